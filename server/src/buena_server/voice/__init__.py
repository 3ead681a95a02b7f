"""Voice clones (issue 18): uploaded samples decoded, stored and analysed; docs/voice.md."""
