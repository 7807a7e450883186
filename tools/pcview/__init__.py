"""The PC view (`make view`): a local web page showing a heatface board's live thermal image."""
