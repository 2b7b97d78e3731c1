"""Pieces shared by training and inference: the network, the checkpoint format,
image preparation and atomic file writes. Nothing here imports the training loop."""
