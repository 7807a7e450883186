"""heatface entry point (the app loop arrives with the live-view issue)."""
