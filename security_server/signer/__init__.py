"""The signer: keys and certificates in tokens, OCSP responses for them, time-stamps."""
