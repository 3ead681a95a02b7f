"""API keys as credentials: authentication, permissions and guards."""
