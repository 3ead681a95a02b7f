"""Generated voice samples for the voice tests: a synthetic voiced signal (harmonics at a
known F0, amplitude-modulated at a known syllable rate) with silent gaps, encoded by PyAV
in each of the four upload formats."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

# Container and codec of each format; the sample format each encoder takes.
_ENCODERS = {
    "wav": ("wav", "pcm_s16le"),
    "mp3": ("mp3", "libmp3lame"),
    "m4a": ("ipod", "aac"),
    "flac": ("flac", "flac"),
}


@dataclass(frozen=True, slots=True)
class Voice:
    """What was generated: its F0, syllables per second of speech, and silent share."""

    f0: float = 140.0
    syllable_rate: float = 4.0
    seconds: float = 12.0
    silence_share: float = 0.25
    sample_rate: int = 22_050


def voiced_signal(voice: Voice) -> npt.NDArray[np.float32]:
    """Speech-like stretches (harmonics 1..8 of F0, falling 6 dB an octave; the envelope
    peaks ``syllable_rate`` times a second) between silent gaps, ``silence_share`` of the
    whole."""
    rate = voice.sample_rate
    total = int(voice.seconds * rate)
    speech = int(total * (1 - voice.silence_share))
    # Four stretches of speech, the silence spread over the four gaps after them.
    stretch, gap = speech // 4, (total - speech) // 4
    t = np.arange(stretch) / rate
    phase = 2 * np.pi * voice.f0 * t
    tone = sum(np.sin(k * phase) / k for k in range(1, 9))
    # sin^2 at half the syllable rate: one peak per syllable, troughs at 0.25 (-12 dB).
    envelope = 0.25 + 0.75 * np.sin(np.pi * voice.syllable_rate * t) ** 2
    piece = (0.3 * tone * envelope).astype(np.float32)
    silence = np.zeros(gap, dtype=np.float32)
    return np.concatenate([part for _ in range(4) for part in (piece, silence)])


def encode(samples: npt.NDArray[np.float32], rate: int, audio_format: str) -> bytes:
    """``samples`` (mono, -1..1) as a file of ``audio_format``."""
    container_format, codec = _ENCODERS[audio_format]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate)
        assert isinstance(stream, av.audio.stream.AudioStream)
        stream.layout = "mono"
        sample_format = stream.codec_context.format.name
        values: npt.NDArray[np.int16] | npt.NDArray[np.int32] | npt.NDArray[np.float32]
        if sample_format.startswith("s16"):
            values = (samples * 32767).astype(np.int16)
        elif sample_format.startswith("s32"):
            values = (samples * 2_147_483_647).astype(np.int32)
        else:
            values = samples.astype(np.float32)
        frame_size = stream.codec_context.frame_size or 4096
        for start in range(0, len(values), frame_size):
            frame = av.AudioFrame.from_ndarray(
                values[None, start : start + frame_size], format=sample_format, layout="mono"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


DEFAULT_VOICE = Voice()


def voice_file(audio_format: str, voice: Voice = DEFAULT_VOICE) -> bytes:
    return encode(voiced_signal(voice), voice.sample_rate, audio_format)
