"""The functional core: no I/O, no clock, no environment, no AWS."""
