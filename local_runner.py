"""Talk to Step Coach on this computer: ``python local_runner.py --help``."""

from skill.local.runner.cli import main

raise SystemExit(main())
