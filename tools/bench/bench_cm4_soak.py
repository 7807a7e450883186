"""The soak on the emulated Cortex-M4F board: 10,000 frames a mode (tools/cm4/soak.py, `make soak`).

cm4_soak_frames_<mode>, cm4_soak_errors_<mode>, cm4_soak_min_free_<mode>, cm4_soak_heap_drift_<mode>
and cm4_soak_default_form_<mode> (1: soaked in the form `make deploy` uses, 0: in the frozen form);
details in out/soak.json. SOAK_FRAMES=N shortens it (the frames key says how many ran).
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "cm4"))

import soak  # noqa: E402

soak.main(["--bench", "--json", os.path.join(ROOT, "out", "soak.json")])
