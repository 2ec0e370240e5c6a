"""Understanding: what an utterance means, decided once, with the dialog's context.

    choosing.py       Understander: hearing's hypotheses + DialogContext -> Heard
                      (text, confidence, the NLU's Understanding, sure or not)
    speech_input.py   SpeechInput: hearing and understanding as the one path for a
                      recording (--hear, the microphone, barge-in, bench.hearing)

The text NLU (``skill.local.nlu``) reads typed lines and each decoded text.
"""
