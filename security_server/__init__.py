"""Security server: client and server proxies, signer, message log (issues 6 and 7)."""
