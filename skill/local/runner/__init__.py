"""The runner: a conversation with Step Coach on a PC, typed, scripted or hands-free.

    cli.py           main: the command line (local_runner.py calls it)
    listening.py     Listener, hands_free, take_turn: turns taken by ear, barge-in
    conversation.py  Conversation: what was said goes out, the answer is shown and spoken
    console.py       Console, Exchange: the transcript, or one JSON object per line
    dialog_files.py  read_replay, SkillIoRecorder: the ASK CLI's dialog files
    session.py       LocalSession: Alexa's session rules, turning words into requests
    transports.py    InProcessSkill, HttpSkill: where the requests go
    screen_text.py   screen_of, screen_lines: an Echo Show's screen as text (--screen)
    runner_words.py  RunnerWords: the runner's own words in the conversation's language

Each module imports only those listed below it (an import-linter contract); the runner
is the one room of skill.local that may import understanding, hearing and the voice.
"""
