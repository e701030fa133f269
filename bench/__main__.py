"""`make bench`: every benchmark, one JSON object per line."""
from bench import booking, engine, imports, package, slots, sweep

for module in (engine, imports, slots, booking, sweep, package):
    module.main()
