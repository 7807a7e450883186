"""Turn simulated-LCD frame dumps into PNG files and an animated GIF.

    python tools/lcd_frames.py out/demo/frames.bin --out out/demo [--every 1] [--fps 8]
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from heatface_sim.lcd import read_frames  # noqa: E402


def rgb565_to_image(width, height, pixels):
    """Big-endian RGB565 bytes -> a Pillow RGB image (channels expanded to 8 bits)."""
    v = np.frombuffer(pixels, dtype=">u2").astype(np.uint32).reshape(height, width)
    r = (v >> 11) & 0x1F
    g = (v >> 5) & 0x3F
    b = v & 0x1F
    rgb = np.stack([(r * 255 + 15) // 31, (g * 255 + 31) // 63, (b * 255 + 15) // 31], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def convert(frames_path, out_dir, every=1, fps=8):
    """Write frame_NNNN.png for every ``every``-th frame plus demo.gif; return the paths."""
    os.makedirs(out_dir, exist_ok=True)
    images, pngs = [], []
    with open(frames_path, "rb") as f:
        for i, (w, h, pixels) in enumerate(read_frames(f)):
            if i % every:
                continue
            img = rgb565_to_image(w, h, pixels)
            path = os.path.join(out_dir, "frame_%04d.png" % i)
            img.save(path)
            pngs.append(path)
            images.append(img)
    if not images:
        raise SystemExit("no frames in %s" % frames_path)
    gif = os.path.join(out_dir, "demo.gif")
    images[0].save(gif, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return pngs, gif


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("frames")
    ap.add_argument("--out", default="out/demo")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--fps", type=float, default=8)
    args = ap.parse_args(argv)
    pngs, gif = convert(args.frames, args.out, args.every, args.fps)
    print("%d PNG frames and %s" % (len(pngs), gif))


if __name__ == "__main__":
    main()
