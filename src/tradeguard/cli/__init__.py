"""The `tradeguard` command: one module per command group; argument parsing and printing only."""
