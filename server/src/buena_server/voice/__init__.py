"""Voice cloning: clones made from uploaded samples, analysed, stored, and previewed as audio
(docs/voice.md)."""
