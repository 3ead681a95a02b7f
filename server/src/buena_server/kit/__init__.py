"""Infrastructure the domains build on: the database driver, the HTTP front door and hot
paths, rate limits, metrics and logs, errors answered outside Litestar, small shared helpers.
Nothing here knows a domain's rules; docs/modules.md maps every module."""
