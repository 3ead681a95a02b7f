"""Jobs: long work an account asked for, run in chunks on the durable queue (GET /jobs)."""
