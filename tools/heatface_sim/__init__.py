"""Simulated heatface hardware (host only, never deployed)."""
