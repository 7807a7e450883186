# The custom-firmware form: the default board plus heatface frozen in by heatface's own manifest.
# HF_REPO (the heatface checkout) and HF_GENERATED (where the model module is written) are passed
# by tools/cm4/build.py in the environment of the build.
import os

include("$(BOARD_DIR)/manifest.py")
include(
    os.environ["HF_REPO"] + "/firmware/manifest.py",
    port_manifest=False,
    generated=os.environ["HF_GENERATED"],
)
