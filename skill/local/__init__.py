"""The local runner: talk to Step Coach on a PC, typed or spoken.

    runner/         the command line, console, session, conversation and turn taking
    understanding/  what an utterance means, decided once, with the dialog's context
    hearing/        audio in: endpointing and decoding into hypotheses (never meanings)
    voice/          the coach's answers spoken: speaker, playback, engine, earcons
    audio_clock.py  the one clock the microphone and the speaker share

Each room imports only the rooms below it (runner, understanding, hearing | voice,
audio_clock): import-linter contracts in pyproject.toml.
"""
