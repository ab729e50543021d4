"""Alerts for persistent trouble: the policy (pure) and the sending edge."""
