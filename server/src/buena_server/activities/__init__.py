"""A lead's timeline: GET /leads/{id}/activities."""
