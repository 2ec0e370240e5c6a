"""The Alexa protocol as Step Coach speaks it: envelopes in and out, SSML, user ids."""
