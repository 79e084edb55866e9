"""The `applylens` command line."""
