"""Training: `python -m training` trains the CNN and writes the artifact set (see DESIGN.md)."""
