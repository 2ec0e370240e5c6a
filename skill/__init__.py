"""Step Coach: a hands-free voice workout coach for Alexa and for the local runner."""
