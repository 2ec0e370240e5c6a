"""Alexa's limits on what a response may say, apart from the validator that checks them.

The coach's pacing needs only the numbers; the rules in :mod:`skill.alexa.ssml_rules`
parse XML, which a Lambda cold start should not load to learn a constant.
"""

# Longest <break time>, in milliseconds ("10s" or "10000ms").
MAX_BREAK_MS = 10_000
# Longest outputSpeech Alexa accepts, counted over the whole SSML string, tags included.
MAX_SSML_CHARS = 8_000
# Most <audio> elements allowed in one response.
MAX_AUDIO_TAGS = 5
# Longest total audio in one response, in milliseconds. The SSML reference allows 240 s
# in outputSpeech and 90 s in a reprompt; older copies say 90 s for the whole response.
# The stricter reading holds for both (five earcons come to under 8 s).
MAX_AUDIO_MS = 90_000
