"""Events: what happened in an account, kept for GET /events and delivered to webhooks."""
