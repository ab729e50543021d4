"""Profiles: tradeguard.toml read strictly, located, and locked to one runner."""
