"""Health of the API and the services it depends on."""
