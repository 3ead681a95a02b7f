"""LinkedIn Automation: the connected account, scheduled actions within human limits, and
the executor seam that performs them (docs/linkedin.md)."""
