"""`make train` at the original project's scale: 3 labels x 200 synthetic images, 2 CPU cores.

Generates the default dataset into out/bench-train/data, trains and quantizes into
out/bench-train/model (never models/), and reports wall times and what the model scored.
The acceptance bound for the whole run is 10 minutes.
"""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "tools"), os.path.join(ROOT, "lib")]

import make_faces  # noqa: E402
import train  # noqa: E402

work = os.path.join(ROOT, "out", "bench-train")
data = os.path.join(work, "data")
start = time.time()
if os.path.isdir(data):
    make_faces._clear_previous(data)
make_faces.generate(data)
generated = time.time()
meta = train.run(data, os.path.join(work, "model"), "heatface", progress=lambda s: None)
done = time.time()
print("BENCH data_generate_s %.1f" % (generated - start))
print("BENCH train_wall_s %.1f" % (done - generated))
print("BENCH train_cv_int8_accuracy %.4f" % meta["cv_int8_accuracy"])
print("BENCH model_bytes %d" % meta["model_bytes"])
print("BENCH model_arena_bytes %d" % meta["arena_min_host"])
