"""Credits: each account's balance, its ledger, and charging that never overdraws."""
