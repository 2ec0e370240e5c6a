"""A turn's sample format, and the sounds made in it: silences and earcons."""

from __future__ import annotations

import wave
from dataclasses import dataclass

from skill.local.voice import earcons


@dataclass(frozen=True)
class AudioFormat:
    """The speech engine's output format, learned from its first WAV."""

    channels: int
    sample_width: int  # bytes per sample
    frame_rate: int

    @classmethod
    def of(cls, reader: wave.Wave_read) -> AudioFormat:
        return cls(reader.getnchannels(), reader.getsampwidth(), reader.getframerate())

    def apply_to(self, writer: wave.Wave_write) -> None:
        writer.setnchannels(self.channels)
        writer.setsampwidth(self.sample_width)
        writer.setframerate(self.frame_rate)

    def earcon(self, src: str, milliseconds: int) -> bytes:
        """The Sound Library sound ``src`` made here; silence as long, if we cannot make it."""
        earcon = earcons.earcon_for(src)
        if earcon is None or (self.channels, self.sample_width) != (1, earcons.SAMPLE_WIDTH):
            return self.silence(milliseconds)
        return earcons.synthesize(earcon, self.frame_rate)

    def silence(self, milliseconds: int) -> bytes:
        frames = round(milliseconds * self.frame_rate / 1000)
        # 8-bit WAV is unsigned, so its silence is 0x80; wider samples are signed.
        sample = b"\x80" if self.sample_width == 1 else b"\x00" * self.sample_width
        return sample * (frames * self.channels)
