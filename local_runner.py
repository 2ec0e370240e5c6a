"""Talk to Step Coach on this computer: ``python local_runner.py --help``."""

from skill.local.cli import main

raise SystemExit(main())
