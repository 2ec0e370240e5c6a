"""``python -m skill.interaction_model``: rewrite interaction_models/ from the content.

The generator is :mod:`skill.coach.interaction_model`; this name stays where the README
and deployers find it.
"""

from skill.coach.interaction_model import main

if __name__ == "__main__":
    raise SystemExit(main())
