"""The voice: the coach's SSML answers spoken on a PC, with their pauses and earcons.

    speaker.py       Speaker: SSML -> text runs and silences -> one turn, streamed
    playback.py      Playback, SpeechAudio, NoAudioDevice: PortAudio output (sounddevice)
    espeak.py        pyttsx3 and espeak-ng: the engine, VoiceInfo, voice_for_locale
    audio_format.py  AudioFormat: a turn's sample format, its silences and earcons
    earcons.py       earcon_for, synthesize: the Sound Library's sounds, made locally

It never imports hearing; the microphone and the speaker share ``skill.local.audio_clock``.
"""
