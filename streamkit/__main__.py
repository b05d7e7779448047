"""``python -m streamkit``: the ``streamkit`` command."""

from streamkit.cli import main

raise SystemExit(main())
