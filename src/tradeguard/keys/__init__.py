"""API keys: the secret that never prints, where it is read from, its rotation, and the
audit of what it may do."""
