"""Delivering a trained model: verify, package and release what a merge ships."""
