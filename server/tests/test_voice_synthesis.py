"""The built-in engine: eSpeak NG through ctypes, PCM to MP3 with PyAV, read back and measured.

What is checked is what a listener would: the MP3 decodes, lasts as long as its text takes
to say, and speaks at the pitch and pace the clone's profile asks for.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from buena_server.voice.engine import SynthesisRequest
from buena_server.voice.espeak import _CALIBRATION, EspeakEngine, Voicing, voicing
from buena_server.voice.mp3 import Mp3Encoder, encode_mp3

from backends import SQLITE_PASS_ONLY
from synthesis_testing import decode_mp3, pitch_track

pytestmark = SQLITE_PASS_ONLY

TEXT = (
    "Hello, this is a preview of your cloned voice. We measured your pitch and your pace, "
    "and this engine speaks with both of them, one sentence after the other, until the end."
)


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    return EspeakEngine()


async def mp3_of(engine: EspeakEngine, request: SynthesisRequest) -> bytes:
    return b"".join([piece async for piece in engine.synthesize(request)])


class TestMp3:
    @pytest.mark.parametrize("rate", [22_050, 24_000])
    def test_a_tone_comes_back_as_long_as_it_went_in(self, rate: int) -> None:
        t = np.arange(rate * 3) / rate
        pcm = (np.sin(2 * np.pi * 220 * t) * 10_000).astype(np.int16)
        pieces = list(encode_mp3((pcm[i : i + 5_000] for i in range(0, pcm.size, 5_000)), rate))
        samples, decoded_rate, codec = decode_mp3(b"".join(pieces))
        assert codec.startswith("mp3")
        assert decoded_rate == rate
        assert samples.size / rate == pytest.approx(3.0, abs=0.1)
        assert all(pieces)
        assert len(pieces) > 10  # handed out frame by frame, not at the end
        spectrum = np.abs(np.fft.rfft(samples[rate // 2 : rate // 2 + rate]))
        assert np.argmax(spectrum) == pytest.approx(220, abs=2)  # 1-second window: 1 Hz bins

    def test_bytes_come_out_before_the_input_ends(self) -> None:
        encoder = Mp3Encoder(22_050)
        out = b"".join(encoder.encode(np.zeros(2_205, dtype=np.int16)) for _ in range(10))
        assert out  # a second of input already gave frames
        assert encoder.finish()
        with pytest.raises(RuntimeError, match="finished"):
            encoder.encode(np.zeros(10, dtype=np.int16))

    def test_no_header_is_written_back_at_the_start(self) -> None:
        """No ID3 tag and no Xing frame: the first bytes are an MPEG audio frame's sync word,
        and nothing is rewritten once sent (the muxer writes to an unseekable sink)."""
        data = b"".join(encode_mp3([np.zeros(22_050, dtype=np.int16)], 22_050))
        assert data[0] == 0xFF
        assert data[1] & 0xE0 == 0xE0
        assert b"Xing" not in data
        assert b"Info" not in data
        assert not data.startswith(b"ID3")


class TestEspeak:
    def test_the_engine_describes_itself(self, engine: EspeakEngine) -> None:
        assert engine.name == "espeak-ng"
        assert engine.version.startswith("1.")
        assert "pitch and pace" in engine.description
        assert "not its timbre" in engine.description
        assert engine.sample_rate == 22_050

    async def test_speech_lasts_as_long_as_its_text(self, engine: EspeakEngine) -> None:
        short = await mp3_of(engine, SynthesisRequest(text="Hello there."))
        long = await mp3_of(engine, SynthesisRequest(text=TEXT))
        short_seconds = decode_mp3(short)[0].size / 22_050
        long_seconds = decode_mp3(long)[0].size / 22_050
        assert 0.5 < short_seconds < 2.0
        # ~175 words a minute: 31 words in about 11 s.
        assert 8 < long_seconds < 15
        assert long_seconds > 4 * short_seconds

    @pytest.mark.parametrize("median", [85.0, 110.0, 140.0, 180.0, 220.0, 280.0])
    def test_speech_is_at_the_profiles_pitch(self, engine: EspeakEngine, median: float) -> None:
        pcm = engine.synthesize_pcm(
            SynthesisRequest(text=TEXT, profile={"pitch_median_hz": median})
        )
        measured = float(np.median(pitch_track(pcm, engine.sample_rate)))
        assert measured == pytest.approx(median, rel=0.08)

    @pytest.mark.parametrize("voice", sorted(_CALIBRATION))
    def test_the_calibration_holds_for_this_build(self, engine: EspeakEngine, voice: str) -> None:
        """The table the pitch is read off: each point measured again."""
        for pitch, hz in _CALIBRATION[voice]:
            pcm = engine.speak(TEXT, Voicing(voice=voice, pitch=pitch))
            measured = float(np.median(pitch_track(pcm, 22_050)))
            assert measured == pytest.approx(hz, rel=0.06), (voice, pitch)

    def test_speech_is_at_the_profiles_pace(self, engine: EspeakEngine) -> None:
        def seconds(rate: float) -> float:
            request = SynthesisRequest(text=TEXT, profile={"speaking_rate": rate})
            return engine.synthesize_pcm(request).size / engine.sample_rate

        slow, usual, fast = seconds(3.0), seconds(4.5), seconds(6.0)
        assert slow > usual > fast
        assert slow / fast == pytest.approx(2.0, rel=0.15)

    def test_stability_narrows_the_pitch_range(self, engine: EspeakEngine) -> None:
        profile = {"pitch_median_hz": 120.0, "pitch_min_hz": 85.0, "pitch_max_hz": 170.0}

        def span(stability: float) -> float:
            request = SynthesisRequest(
                text=TEXT, profile=profile, settings={"stability": stability}
            )
            track = pitch_track(engine.synthesize_pcm(request), engine.sample_rate)
            return float(np.percentile(track, 95) / np.percentile(track, 5))

        assert span(1.0) < span(0.5) < span(0.0)

    def test_the_mapping(self) -> None:
        assert voicing(None, {}) == Voicing()  # eSpeak's defaults
        assert voicing(None, {"stability": 1.0}).range == 25
        mapped = voicing(
            {"speaking_rate": 5.0, "pitch_median_hz": 102.0, "pitch_min_hz": 80.0,
             "pitch_max_hz": 160.0},
            {"stability": 0.5},
        )  # fmt: skip
        assert mapped == Voicing(voice="en", rate=200, pitch=50, range=50)
        assert voicing({"pitch_median_hz": 207.0}, {}).voice == "en+f3"
        assert voicing({"pitch_median_hz": 207.0}, {}).pitch == 50
        assert voicing({"pitch_median_hz": 40.0, "speaking_rate": 20.0}, {}) == Voicing(
            voice="en", rate=450, pitch=0, range=50
        )

    async def test_concurrent_syntheses_each_keep_their_own_voice(
        self, engine: EspeakEngine
    ) -> None:
        """eSpeak holds its parameters in globals: each synthesis sets them under the lock, so
        several at once each speak at their own pitch and pace, as they would alone."""
        voices = ((90.0, 3.5), (150.0, 5.0), (240.0, 6.0), (110.0, 4.0))
        requests = [
            SynthesisRequest(text=TEXT, profile={"pitch_median_hz": hz, "speaking_rate": rate})
            for hz, rate in voices
        ]
        alone = [decode_mp3(await mp3_of(engine, request))[0].size for request in requests]
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.create_task(ticker())
        together = await asyncio.gather(*(mp3_of(engine, r) for r in requests * 2))
        ticking.cancel()
        for (hz, _), size, mp3 in zip(voices * 2, alone * 2, together, strict=True):
            samples = decode_mp3(mp3)[0]
            assert samples.size == pytest.approx(size, rel=0.02)
            assert float(np.median(pitch_track(samples, 22_050))) == pytest.approx(hz, rel=0.08)
        assert ticks > 8  # the loop went on serving while the threads synthesised

    async def test_a_caller_that_stops_early_frees_the_engine(self, engine: EspeakEngine) -> None:
        synthesis = engine.synthesize(SynthesisRequest(text=TEXT * 3))
        assert await anext(synthesis)
        await synthesis.aclose()
        assert await mp3_of(engine, SynthesisRequest(text="Still speaking."))
