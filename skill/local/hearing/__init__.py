"""Hearing: offline speech input for the local runner (pocketsphinx, nothing downloaded).

How sound becomes a command, and where each step lives:

    WAV file / microphone block        audio.py       read_wav, Converter -> 16 kHz mono int16
      -> noise suppression             denoise.py     RNNoise (measured best at 12 dB SNR)
      -> endpointing                   endpoint.py    pocketsphinx VAD + room level, pre-roll, cap
      -> decoding with the skill's LM  recognizer.py, language_model.py  corpus from the
                                                      interaction model, trigram ARPA +
                                                      dictionary, cached in var/
      -> Hypotheses                    hypotheses.py  each version's readings, coverage, N-best

    Choosing a meaning (and rejecting a guess) is understanding's (skill.local.understanding).

    microphone.py   Microphone (sounddevice; NoMicrophone when there is none),
                    SimulatedMicrophone (feeds recordings, for tests and barge-in)
    synthesis.py    flite / espeak-ng speech, pink and babble noise, SNR mixing (tests, bench)
    _skill.py       the only imports from the rest of Step Coach (never the NLU or the speaker)

Use::

    recognizer = Recognizer("en-US")          # build once (LM cached on disk)
    for hypotheses in recognizer.utterances(microphone.blocks()):
        ...                                   # understanding decides what each one means

Accuracy, false accepts, speed and latency are measured by ``bench/hearing.py``.
"""

from skill.local.hearing.audio import SAMPLE_RATE, AudioError, Converter, read_wav, write_wav
from skill.local.hearing.hypotheses import Hypotheses, Reading
from skill.local.hearing.language_model import LanguageModelError
from skill.local.hearing.microphone import Microphone, NoMicrophone, SimulatedMicrophone
from skill.local.hearing.recognizer import Recognizer

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "Converter",
    "Hypotheses",
    "LanguageModelError",
    "Microphone",
    "NoMicrophone",
    "Reading",
    "Recognizer",
    "SimulatedMicrophone",
    "read_wav",
    "write_wav",
]
