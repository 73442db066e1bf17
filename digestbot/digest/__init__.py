"""Digests: reading them from their source and parsing them (pure)."""
