"""`python -m reporting`: see `reporting.cli`."""

from reporting.cli import main

raise SystemExit(main())
