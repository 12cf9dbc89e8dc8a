"""``python -m lab`` is the ``textgen-lab`` command."""

from lab.cli import main

raise SystemExit(main())
