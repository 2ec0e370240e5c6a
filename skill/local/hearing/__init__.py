"""Hearing: offline speech input for the local runner (pocketsphinx, nothing downloaded).

How sound becomes a command, and where each step lives:

    WAV file / microphone block        audio.py       read_wav, Converter -> 16 kHz mono int16
      -> noise suppression             denoise.py     RNNoise (measured best at 12 dB SNR)
      -> endpointing                   recognizer.py  pocketsphinx Endpointer + pre-roll + cap
      -> decoding with the skill's LM  language_model.py  corpus from the interaction model,
                                                      trigram ARPA + dictionary, cached in var/
      -> rejection                     recognizer.py  coverage by command words, length
      -> Heard(text, confidence)       text "" when nothing was understood

    microphone.py   Microphone (sounddevice; NoMicrophone when there is none),
                    SimulatedMicrophone (feeds recordings, for tests and barge-in)
    synthesis.py    flite / espeak-ng speech, pink and babble noise, SNR mixing (tests, bench)
    _skill.py       the only imports from the rest of Step Coach

Use::

    recognizer = Recognizer("en-US")          # build once (LM cached on disk)
    heard = recognizer.hear_file("turn.wav")  # one turn, as --hear does
    with Microphone() as mic:
        heard = recognizer.hear(mic.blocks(seconds=8))
    if heard.understood:
        LocalNLU.for_locale("en-US").understand(heard.text)

Accuracy, false accepts, speed and latency are measured by ``bench/hearing.py``.
"""

from skill.local.hearing.audio import SAMPLE_RATE, AudioError, Converter, read_wav, write_wav
from skill.local.hearing.language_model import LanguageModelError
from skill.local.hearing.microphone import Microphone, NoMicrophone, SimulatedMicrophone
from skill.local.hearing.recognizer import Heard, Recognizer

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "Converter",
    "Heard",
    "LanguageModelError",
    "Microphone",
    "NoMicrophone",
    "Recognizer",
    "SimulatedMicrophone",
    "read_wav",
    "write_wav",
]
