"""Integrator adapters: client SDKs, provider toolkit, document exchange."""
