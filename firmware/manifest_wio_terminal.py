# The Wio Terminal image (firmware/build_wio_terminal.sh): the samd51 port's default manifest
# (the port's modules and asyncio; FROZEN_MANIFEST replaces it, so it is included here) plus heatface
# with only the Wio Terminal's board profile.
include("$(PORT_DIR)/mcu/samd51/manifest.py")
include("manifest.py", port_manifest=False, boards=("wio_terminal",))
