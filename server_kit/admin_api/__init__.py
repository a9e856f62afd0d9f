"""Admin REST API plumbing both servers use: API keys, error rendering, bodies and replies,
the operation table's shape, the OpenAPI builder and the key-checking guard."""
