"""API key management: list, create, revoke."""
