"""`make bench`: every benchmark, one JSON object per line."""
from bench import booking, engine, imports, slots, sweep

for module in (engine, imports, slots, booking, sweep):
    module.main()
