# The default board: only _boot.py (mounts the RAM disk, as the samd port's _boot.py mounts flash).
freeze("$(BOARD_DIR)/modules", "_boot.py")
