"""Benchmarks: scripts that print one JSON object per line ({metric, value, unit, target})."""
