"""Lead enrichment: the provider seam, the built-in offline providers, and /enrich."""
