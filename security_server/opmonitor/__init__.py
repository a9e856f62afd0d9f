"""Operational monitoring of the security server: records, their store and buffer, the
X-Road queries getSecurityServerOperationalData / getSecurityServerHealthData, and metrics."""
