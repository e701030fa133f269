"""`make bench`: every benchmark, one JSON object per line."""
from bench import booking, engine, imports, slots

for module in (engine, imports, slots, booking):
    module.main()
