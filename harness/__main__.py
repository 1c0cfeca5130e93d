"""``python -m harness``: the same as the ``linmem`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
