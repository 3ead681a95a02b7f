"""Accounts: every key, lead and webhook belongs to one."""
