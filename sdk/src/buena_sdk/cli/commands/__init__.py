"""Every subcommand of ``buena``; importing this package registers them on the group."""

from buena_sdk.cli.commands import events, keys, leads, session, transfer, webhooks

__all__ = ["events", "keys", "leads", "session", "transfer", "webhooks"]
