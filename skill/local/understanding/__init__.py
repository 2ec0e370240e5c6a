"""Understanding: what an utterance means, decided once, with the dialog's context.

    speech_input.py   SpeechInput: hearing and understanding as the one path for a
                      recording (--hear, the microphone, barge-in, bench.hearing)
    choosing.py       Understander: hearing's hypotheses + DialogContext -> Heard (text,
                      confidence, the NLU's Understanding, sure or not)
    nlu.py            LocalNLU: a typed line or a decoded text -> Understanding
    clauses.py        how people talk around a request: two clauses, a question frame,
                      a negated yes, an answer led by yes or no
    model_index.py    the interaction model indexed for reading (samples, values, words)
    values.py         SlotValues: the value a run of words names, as people vary it
    invocation.py     "open step coach", "ask step coach to ...": launches and one-shots
    alignment.py      a sample aligned with an utterance (weighted edit distance)
    meaning.py        Understanding, SlotValue: what the session turns into a request
    compounds.py      compounds as the model's words ("knieblessures", "knie blessures")
    utterance.py      words and their matching keys, by the language's rules (Wording)

Nothing here names the skill's intents except the few commands that need a sure
understanding (choosing.py) and the frames around a request (clauses.py: a start is not
a question, yes and no, pain is never set aside); everything else reads the interaction
model, so intents added to it are understood as they land.
"""
