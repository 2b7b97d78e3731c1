"""Plain functions that build the shell commands the invoke tasks run.

Kept apart from `tasks.py` so they are tested without invoke, and so that
`invoke --list` stays instant (nothing here imports torch).
"""
