"""Telephone-band audio: recognized as such, and given a high band the model expects.

The acoustic model (pocketsphinx's US English PTM) was trained on 16 kHz speech: its
filterbank reaches 6.8 kHz, and its fricatives ("s", "f", "sh") live mostly above 4 kHz.
Audio from an 8 kHz source (a telephone-band WAV, a Bluetooth headset in hands-free mode)
reaches the decoder upsampled, with nothing above 4 kHz: the top filters read silence
whatever is said, and the cepstra no longer look like any speech the model knows. On the
held-out set, 12 of the 15 clean commands missed were the 8 kHz voice.

Narrowing the decoder's filterbank to the band there is (``upperf``/``nfilt``, or decoding
at ``samprate`` 8000) changes what every cepstral coefficient means and was worse: 24 to
35 of 63 missed instead of 11. So the audio is widened instead, by the simplest bandwidth
extension: the band above 4 kHz is filled with noise that follows the envelope of the
band just below it (3-3.8 kHz), frame by frame. A fricative, loud at 3-3.8 kHz, becomes
loud above 4 kHz too; a vowel, quiet there, stays quiet. The level matters little:
cepstral mean normalization removes a constant offset in any filter.
"""

from __future__ import annotations

import numpy as np

from skill.local.hearing.audio import SAMPLE_RATE

# Above this, an 8 kHz source upsampled holds only the resampler's residue.
HIGH_BAND_HZ = 4_400
# Share of an utterance's power above HIGH_BAND_HZ, in dB, under which it is narrowband.
# Upsampled 8 kHz speech measures -81 to -87 dB; 16 kHz speech, even a word of nasals and
# vowels ("no way", "menu"), -50 dB or more; noise from the room much more.
NARROWBAND_DB = -65.0
# The band whose envelope is carried up, and where the filling starts, in Hz.
REFERENCE_HZ = (3_000, 3_800)
FILL_FROM_HZ = 3_900
# Level of the filled band relative to the reference band: wideband speech's 4-7 kHz sits
# 2-8 dB below its 3-3.8 kHz (mean over the tests' voices, slt and rms).
FILL_DB = -5.0
# Short-time Fourier transform: 32 ms frames, 8 ms hop.
_FRAME = 512
_HOP = 128


def is_narrowband(samples: np.ndarray) -> bool:
    """Whether 16 kHz samples came from a source of 8 kHz or less (nothing above 4 kHz)."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    total = spectrum.sum()
    if total <= 0:
        return False  # digital silence: nothing to tell
    high = spectrum[np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE) >= HIGH_BAND_HZ].sum()
    return 10 * np.log10(high / total + 1e-30) < NARROWBAND_DB


def widen(samples: np.ndarray, seed: int = 0) -> np.ndarray:
    """Narrowband 16 kHz samples with the band above 4 kHz filled (same length).

    The band below :data:`FILL_FROM_HZ` comes back as it went in (overlap-add with a
    window whose squares sum to a constant). ``seed`` fixes the noise: the same audio
    is always decoded the same way.
    """
    window = np.hanning(_FRAME + 1)[:-1]
    padded = np.concatenate([np.zeros(_FRAME), samples.astype(np.float64), np.zeros(_FRAME)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, _FRAME)[::_HOP] * window
    spectra = np.fft.rfft(frames, axis=1)
    freqs = np.fft.rfftfreq(_FRAME, 1 / SAMPLE_RATE)
    reference = (freqs >= REFERENCE_HZ[0]) & (freqs < REFERENCE_HZ[1])
    fill = freqs >= FILL_FROM_HZ
    power = np.mean(np.abs(spectra[:, reference]) ** 2, axis=1, keepdims=True)
    phase = np.exp(2j * np.pi * np.random.default_rng(seed).random((len(spectra), fill.sum())))
    spectra[:, fill] = np.sqrt(power * 10 ** (FILL_DB / 10)) * phase
    out = _overlap_add(np.fft.irfft(spectra, _FRAME, axis=1) * window, window)
    out = out[_FRAME : _FRAME + len(samples)]
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def _overlap_add(frames: np.ndarray, window: np.ndarray) -> np.ndarray:
    length = _HOP * (len(frames) - 1) + _FRAME
    out = np.zeros(length)
    norm = np.zeros(length)
    for i, frame in enumerate(frames):
        out[i * _HOP : i * _HOP + _FRAME] += frame
        norm[i * _HOP : i * _HOP + _FRAME] += window**2
    return out / np.maximum(norm, 1e-8)
