"""Prospect lists: people to reach on LinkedIn, uploaded before they are leads."""
