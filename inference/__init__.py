"""Prediction with a trained checkpoint: `python -m inference --input PATH`.

Rebuilds the model from the checkpoint alone (via `core`); never imports `training`.
"""
