"""VDX protocol core: pure X-Road protocol and domain code (no sockets, no event loop)."""

__version__ = "0.1.0"
