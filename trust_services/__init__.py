"""Development trust services: CA, OCSP responder, RFC 3161 TSA (issue 4)."""
