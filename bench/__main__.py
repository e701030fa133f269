"""`make bench`: every benchmark, one JSON object per line."""
from bench import engine, imports, slots

for module in (engine, imports, slots):
    module.main()
