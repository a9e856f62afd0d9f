"""The VDX benchmark (``make bench``): the provider called directly, a plain two-hop mutual-TLS
proxy chain (the baseline), and the full exchange through two security servers, measured on
the same machine with the same payloads. It reports; it never asserts a time."""
