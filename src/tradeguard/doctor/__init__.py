"""`tradeguard doctor` and the pre-flight checks a session runs at connect."""
