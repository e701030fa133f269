"""Use cases: gather inputs through ports, let the core decide, then do the I/O."""
