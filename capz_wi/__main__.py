"""``python -m capz_wi`` runs the CLI."""

from __future__ import annotations

import sys

from capz_wi.cli import main

if __name__ == "__main__":
    sys.exit(main())
