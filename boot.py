# heatface boot: nothing to do before main.py yet.
