"""The ``vdx`` command: the only part of ``vdx`` that may import the servers."""
