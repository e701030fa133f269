"""Property-based fuzzing of the HTTP API from its OpenAPI document (schemathesis)."""
