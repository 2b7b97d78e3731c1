"""Exit statuses of `python -m reporting`, the same scheme as `python -m training` and `python -m inference`."""

EXIT_OK = 0
EXIT_FAILED = 1  # a runtime failure: GitHub refused or kept failing, the baseline's training failed
EXIT_BAD_INPUT = 2  # bad flags (argparse uses 2 too) or bad input: a file missing, unreadable or invalid
EXIT_GATE_FAILED = 3  # the report was written, but the quality gate failed
