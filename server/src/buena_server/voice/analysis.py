"""A voice's profile from its samples: loudness, silence, pitch and speaking rate.

Every sample is decoded to mono at ``ANALYSIS_RATE`` (16 kHz: the voice band, a third of the
memory of 48 kHz) and the samples are measured as one recording, in order:

- ``loudness_lufs``: integrated loudness after ITU-R BS.1770 (pyloudnorm: K-weighting, 400 ms
  blocks, the absolute and relative gates).
- ``silence_ratio``: the share of 20 ms frames whose level is below the silence threshold:
  ``SILENCE_RANGE_DB`` under the loudest frames (their 99th percentile), and never above
  ``SILENCE_FLOOR_DBFS``'s complement (a frame under -60 dBFS is always silence).
- ``pitch_*``: F0 by Praat's autocorrelation method (parselmouth; 10 ms steps, 75-600 Hz,
  Praat's voicing decision) over the voiced frames: their median, and the 5th and 95th
  percentiles as the range (the extremes are mostly octave errors).
- ``speaking_rate``: syllable nuclei per second of speech, after de Jong & Wempe (2009):
  peaks of Praat's intensity contour above the silence threshold that stand at least
  ``DIP_DB`` over the dip before them and fall on a voiced frame, divided by the seconds
  that are not silence.

A recording without voiced speech is refused (`NoSpeech`): its clone fails with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import parselmouth
import pyloudnorm

ANALYSIS_RATE = 16_000
FRAME_SECONDS = 0.02
SILENCE_RANGE_DB = 25.0
SILENCE_FLOOR_DBFS = -60.0
PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = 600.0
DIP_DB = 2.0
MIN_VOICED_SECONDS = 0.5

Samples = npt.NDArray[np.float32]


class NoSpeech(ValueError):
    """The recording holds no voiced speech to measure."""


@dataclass(frozen=True, slots=True)
class VoiceMeasures:
    loudness_lufs: float
    silence_ratio: float
    pitch_median_hz: float
    pitch_min_hz: float
    pitch_max_hz: float
    speaking_rate: float


def _frame_levels_db(samples: Samples, rate: int) -> npt.NDArray[np.float64]:
    size = max(1, int(rate * FRAME_SECONDS))
    count = len(samples) // size
    frames = samples[: count * size].astype(np.float64).reshape(count, size)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    levels: npt.NDArray[np.float64] = 20 * np.log10(np.maximum(rms, 1e-10))
    return levels


def silence_threshold_db(levels: npt.NDArray[np.float64]) -> float:
    return max(SILENCE_FLOOR_DBFS, float(np.percentile(levels, 99)) - SILENCE_RANGE_DB)


def _voiced_f0(sound: parselmouth.Sound) -> tuple[parselmouth.Pitch, npt.NDArray[np.float64]]:
    pitch = sound.to_pitch_ac(
        time_step=0.01, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
    )
    f0 = pitch.selected_array["frequency"]
    voiced: npt.NDArray[np.float64] = f0[f0 > 0]
    return pitch, voiced


def has_voiced_speech(samples: Samples, rate: int = ANALYSIS_RATE) -> bool:
    """Whether one sample holds at least ``MIN_VOICED_SECONDS`` of voiced frames."""
    if len(samples) < rate * MIN_VOICED_SECONDS:
        return False
    sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate)
    return len(_voiced_f0(sound)[1]) * 0.01 >= MIN_VOICED_SECONDS


def measure(parts: Sequence[Samples], rate: int = ANALYSIS_RATE) -> VoiceMeasures:
    """The measures of ``parts`` (mono float32 at ``rate``) taken as one recording."""
    samples = np.concatenate(parts).astype(np.float64)
    levels = _frame_levels_db(samples.astype(np.float32), rate)
    if len(levels) == 0:
        raise NoSpeech("the samples hold no audio")
    threshold = silence_threshold_db(levels)
    silent = levels < threshold
    speech_seconds = float(np.count_nonzero(~silent)) * FRAME_SECONDS
    sound = parselmouth.Sound(samples, sampling_frequency=rate)
    pitch, voiced = _voiced_f0(sound)
    if len(voiced) * 0.01 < MIN_VOICED_SECONDS or speech_seconds <= 0:
        raise NoSpeech("no voiced speech found")
    nuclei = _syllable_nuclei(sound, pitch, threshold)
    try:
        loudness = float(pyloudnorm.Meter(rate).integrated_loudness(samples))
    except ValueError:  # shorter than one 400 ms block
        loudness = float("-inf")
    return VoiceMeasures(
        loudness_lufs=round(loudness, 2) if np.isfinite(loudness) else -70.0,
        silence_ratio=round(float(np.mean(silent)), 4),
        pitch_median_hz=round(float(np.median(voiced)), 2),
        pitch_min_hz=round(float(np.percentile(voiced, 5)), 2),
        pitch_max_hz=round(float(np.percentile(voiced, 95)), 2),
        speaking_rate=round(nuclei / speech_seconds, 3),
    )


def _syllable_nuclei(
    sound: parselmouth.Sound, pitch: parselmouth.Pitch, threshold_db: float
) -> int:
    """De Jong & Wempe's count: intensity peaks over the threshold, each ``DIP_DB`` above
    the lowest point since the last counted peak, on a voiced frame."""
    intensity = sound.to_intensity(minimum_pitch=50.0, time_step=0.01, subtract_mean=False)
    values = intensity.values[0]
    times = intensity.xs()
    # Praat's intensity is in dB SPL (re 2e-5 Pa, taking samples as Pa); the threshold is
    # in dBFS: the offset is 20 log10(1 / 2e-5) ~ 93.98 dB.
    floor = threshold_db + 20 * np.log10(1 / 2e-5)
    count = 0
    dip = float(values[0]) if len(values) else 0.0
    for index in range(1, len(values) - 1):
        value = values[index]
        dip = min(dip, value)
        if not (values[index - 1] < value >= values[index + 1]) or value < floor:
            continue
        if value - dip < DIP_DB:
            continue
        frequency = pitch.get_value_at_time(times[index])
        if frequency is None or not np.isfinite(frequency) or frequency <= 0:
            continue
        count += 1
        dip = value
    return count
