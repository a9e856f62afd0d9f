"""Sans-IO codecs of the X-Road message protocols: SOAP 4.0, REST r1, faults, transport."""
