"""Infrastructure the domains build on: the database driver, the HTTP front door and hot
paths, rate limits, metrics and logs, errors answered outside Litestar, small shared helpers.
Domain rules live in the domain packages; the few kit modules that use them (the hot paths,
the access log's caller id, the request transaction's idempotency hook) say so. docs/modules.md
maps every module."""
