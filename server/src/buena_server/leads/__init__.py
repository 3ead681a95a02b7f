"""Lead management."""
