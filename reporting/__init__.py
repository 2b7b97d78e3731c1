"""Render `report.md` from the training artifacts, compare with a baseline, apply the quality gate, publish it.

Reads only the artifact files (never imports torch), so it runs anywhere the artifacts are.
"""
