"""``python -m streamkit.cli``: the command line."""

from streamkit.cli import main

raise SystemExit(main())
