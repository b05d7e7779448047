"""``python -m streamkit``: the ``streamkit`` command."""

from .cli import main

raise SystemExit(main())
