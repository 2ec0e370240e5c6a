"""Audio in: WAV files and microphone blocks, both turned into what the decoder wants.

The decoder hears 16 kHz mono 16-bit samples. Files and microphones deliver other rates
and channel counts, so both go through one :class:`Converter` (soxr's streaming resampler,
channels averaged to mono): a file fed through ``--hear`` is heard exactly as the same
sound from a microphone would be. Anything the engine cannot read faithfully (8-bit,
24-bit or float samples, a rate outside 8-48 kHz, a truncated or empty file, not a WAV,
a path that is not a regular file, a recording longer than its reader allows) raises
:class:`AudioError` with a one-line message naming the problem.
"""

from __future__ import annotations

import errno
import os
import stat
import wave
from pathlib import Path

import numpy as np
import soxr

# What the decoder hears: 16 kHz, mono, signed 16-bit.
SAMPLE_RATE = 16_000
# Input rates accepted from files and microphones, in Hz.
MIN_RATE = 8_000
MAX_RATE = 48_000
# Frames of a WAV read per block while converting a file.
_READ_BLOCK = 8_192


class AudioError(ValueError):
    """Audio the engine cannot hear; the message is one line naming the problem."""


class Converter:
    """Blocks of interleaved 16-bit samples at any accepted rate to 16 kHz mono int16.

    Stateful: feed consecutive blocks of one stream, then :meth:`flush` for the tail the
    resampler still holds.
    """

    def __init__(self, rate: int, channels: int = 1) -> None:
        if not MIN_RATE <= rate <= MAX_RATE:
            raise AudioError(f"sample rate {rate} Hz is not supported (8000-48000 Hz)")
        if channels < 1:
            raise AudioError(f"{channels} channels is not audio")
        self.rate = rate
        self.channels = channels
        self._stream = (
            None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, "float32")
        )

    def convert(self, block: bytes | np.ndarray) -> np.ndarray:
        """One block of interleaved int16 samples (bytes or array) as 16 kHz mono int16."""
        samples = np.frombuffer(block, dtype="<i2") if isinstance(block, bytes) else block
        if samples.size % self.channels:
            raise AudioError("a block ends in the middle of a sample frame")
        mono = samples.reshape(-1, self.channels).astype(np.float32).mean(axis=1)
        if self._stream is not None:
            mono = self._stream.resample_chunk(mono, last=False)
        return _to_int16(mono)

    def flush(self) -> np.ndarray:
        """What the resampler still holds at the end of the stream."""
        if self._stream is None:
            return np.zeros(0, dtype=np.int16)
        return _to_int16(self._stream.resample_chunk(np.zeros(0, np.float32), last=True))


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


def read_wav(path: str | Path, max_seconds: float | None = None) -> np.ndarray:
    """A WAV file as 16 kHz mono int16 samples; :class:`AudioError` if it cannot be heard.

    ``max_seconds`` caps the recording: a longer one is refused before it is read, so a
    ten-minute file costs nothing. Only a regular file is opened (a FIFO would block).
    """
    path = Path(path)
    _check_regular_file(path)
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            declared = wav.getnframes()
            if width != 2:
                bits = {1: "8-bit", 3: "24-bit", 4: "32-bit"}.get(width, f"{8 * width}-bit")
                raise AudioError(f"{path.name}: {bits} samples; only 16-bit PCM is supported")
            converter = Converter(rate, channels)
            limit = None if max_seconds is None else int(max_seconds * rate)
            if limit is not None and declared > limit:
                raise _too_long(declared / rate, max_seconds)
            parts, read = [], 0
            while True:
                block = wav.readframes(_READ_BLOCK)
                if not block:
                    break
                if len(block) % (2 * channels):
                    raise AudioError("its data ends in the middle of a sample")
                read += len(block) // (2 * channels)
                if limit is not None and read > limit:
                    raise _too_long(read / rate, max_seconds)
                parts.append(converter.convert(block))
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a directory, not a WAV file") from None
    except (wave.Error, EOFError) as error:
        raise AudioError(f"{path.name}: not a readable WAV file ({_wave_reason(error)})") from None
    except RuntimeError:  # wave's chunk reader, on a chunk sized past the end of the file
        raise AudioError(
            f"{path.name}: not a readable WAV file (a chunk runs past the end of the file)"
        ) from None
    except OSError as error:
        raise AudioError(f"{path}: cannot be read ({error.strerror or error})") from None
    except AudioError as error:
        message = str(error)
        prefixed = message if message.startswith(path.name) else f"{path.name}: {message}"
        raise AudioError(prefixed) from None
    if read == 0:
        raise AudioError(f"{path.name}: the file holds no audio")
    if read < declared:
        raise AudioError(f"{path.name}: truncated ({read} of {declared} frames present)")
    parts.append(converter.flush())
    return np.concatenate(parts)


def _check_regular_file(path: Path) -> None:
    """One line for a path that names no regular file, before anything opens it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except NotADirectoryError:
        raise AudioError(f"{path}: no such file (a part of the path is not a folder)") from None
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise AudioError(f"{str(path)[:60]}...: the file name is too long") from None
        raise AudioError(f"{path}: cannot be read ({error.strerror or error})") from None
    if stat.S_ISDIR(mode):
        raise AudioError(f"{path}: is a directory, not a WAV file")
    if not stat.S_ISREG(mode):
        raise AudioError(f"{path}: not a regular file (a pipe or a device), not a WAV file")


def _too_long(seconds: float, max_seconds: float) -> AudioError:
    return AudioError(f"{seconds:.1f} s of audio; one turn holds at most {max_seconds:g} s")


def _wave_reason(error: Exception) -> str:
    reason = str(error) or type(error).__name__
    if reason.startswith("unknown format: 3"):
        return "floating-point samples; only 16-bit PCM is supported"
    if reason.startswith("unknown format"):
        return f"{reason}; only 16-bit PCM is supported"
    return reason


def write_wav(path: str | Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Mono int16 samples to a 16-bit PCM WAV file (for tests, benchmarks and recordings)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.asarray(samples, dtype="<i2").tobytes())
