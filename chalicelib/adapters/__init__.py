"""Adapters to external services (video, messaging, storage)."""
