"""HTTP entry points: blueprints per resource, request parsing, error mapping."""
