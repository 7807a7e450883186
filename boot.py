"""heatface boot: nothing to prepare here.

main.py starts the app (board profile, config, app loop). The SD card is mounted by the app
itself, so a missing or broken card can never stop the board from booting.
"""
