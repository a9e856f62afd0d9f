"""The security server's message log: writer, batch timestamper, metrics (architecture §2.8)."""
