"""Signatures, hash chains, certificates and OCSP, timestamps, ASiC-E containers and archives."""
