"""ApplyLens: a self-hosted mailbox assistant for people looking for work."""

__version__ = "0.1.0"
