"""Talk to Step Coach on this computer: ``python local_runner.py --help``."""

from skill.runner import main

raise SystemExit(main())
