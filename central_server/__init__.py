"""Central server: registry, management requests, signed global configuration (issue 5)."""
