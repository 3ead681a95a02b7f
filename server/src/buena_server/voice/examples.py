"""The OpenAPI examples of /voice-clones."""

from __future__ import annotations

from typing import Any

CLONE_ID = "voice_7c1e9a3b5d2f4e6a8b0c2d4e"
_SAMPLE: dict[str, Any] = {
    "id": "vsmp_1a2b3c4d5e6f7a8b9c0d1e2f",
    "filename": "intro.wav",
    "format": "wav",
    "size_bytes": 1_323_044,
    "duration_seconds": 15.0,
    "sample_rate": 44_100,
    "channels": 1,
}
_BASE: dict[str, Any] = {
    "id": CLONE_ID,
    "name": "Ada (sales)",
    "description": "Warm, unhurried; recorded in a quiet room",
    "failure_reason": None,
    "is_active": True,
    "sample_count": 1,
    "samples": [_SAMPLE],
    "settings": {"stability": 0.5, "clarity": 0.75, "use_speaker_boost": True},
    "labels": {"language": "en", "accent": "british"},
    "created_at": "2026-12-06T10:00:00Z",
}
CREATED: dict[str, Any] = {
    **_BASE, "status": "processing", "profile": None, "updated_at": "2026-12-06T10:00:00Z",
}  # fmt: skip
CLONE: dict[str, Any] = {
    **_BASE,
    "status": "ready",
    "profile": {
        "duration_seconds": 15.0,
        "sample_rate": 44_100,
        "loudness_lufs": -18.4,
        "silence_ratio": 0.21,
        "pitch_median_hz": 196.5,
        "pitch_min_hz": 162.3,
        "pitch_max_hz": 251.8,
        "speaking_rate": 4.1,
    },
    "updated_at": "2026-12-06T10:00:03Z",
}
PAGE: dict[str, Any] = {"data": [CLONE], "total": 1, "limit": 50, "offset": 0}
UPDATE_REQUEST: dict[str, Any] = {
    "name": "Ada (support)",
    "settings": {"stability": 0.7},
    "labels": {"language": "en", "use": "support"},
}
CREATE_FORM: dict[str, Any] = {
    "name": "Ada (sales)",
    "description": "Warm, unhurried; recorded in a quiet room",
    "files": ["(intro.wav: binary)"],
    "settings": {"stability": 0.5, "clarity": 0.75, "use_speaker_boost": True},
    "labels": {"language": "en", "accent": "british"},
}
PREVIEW_REQUEST: dict[str, Any] = {
    "voice_id": CLONE_ID,
    "text": "Hi Sam, it was good to meet you at the fair. Shall we talk on Tuesday?",
}
PREVIEW_REQUEST_HOSTED: dict[str, Any] = {
    "voiceId": CLONE_ID,
    "text": "Hi Sam, it was good to meet you at the fair.",
}
