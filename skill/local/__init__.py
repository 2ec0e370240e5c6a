"""The local runner: talk to Step Coach on a PC, typed or spoken."""
