"""Webhooks: endpoints of each account, signed deliveries of its events, retried."""
