"""Streaming overhead on the emulated Cortex-M4F (tools/cm4): the live app loop with and without
the PC link sending every frame (tools/bench/cm4_stream_board.py runs on the board).

    BENCH cm4_stream_overhead_pct            extra instructions per frame while streaming, in %
    BENCH cm4_live_instructions_per_frame    the light board's live loop, not streaming
    BENCH cm4_stream_instructions_per_frame  the same while streaming
    BENCH cm4_stream_raw_overhead_pct        the same with raw subpages too (recording on the PC)
    BENCH stream_bytes_per_frame             what the link sends per frame (and with raw subpages)
    BENCH cm4_live_spread_pct                two runs of the plain loop apart (GC timing), in %
    BENCH cm4_stream_link_pct                the link's own instructions per frame (one frame's
                                             messages, timed alone), in % of the plain loop
    BENCH cm4_stream_raw_link_pct            the same with two raw subpages per frame
    BENCH cm4_stream_heap_bytes              heap the link keeps while streaming (and with raw)
    BENCH wio_fps_estimate_live_stream       frames/s on a Wio Terminal while streaming (and with
                                             raw subpages; bench_cm4.fps_estimate: the loop's
                                             instructions and its sensor and LCD bytes), and
                                             wio_fps_uncapped_live_stream, without the sensor's cap
    BENCH wio_stream_fps_change_pct          what streaming changes the frame rate by, in %: the
                                             uncapped estimate (the capped one changes less); raw too

Runs in the form `make deploy` uses by default (tools/deploy.mk's DEPLOY_FORM).
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "cm4"))

try:
    from run import CM4  # noqa: E402  (tools/cm4: the emulated board)
except ImportError:
    print("tools/cm4 (the emulated Cortex-M4F board) is not here: no cm4_stream figures")
    sys.exit(0)

import bench_cm4  # noqa: E402  (this folder: fps_estimate, the Wio's I2C clock)

BOARD_CODE = os.path.join(ROOT, "tools", "bench", "cm4_stream_board.py")


def main():
    with CM4(form="default", files={"/rom/cm4_stream_board.py": BOARD_CODE}) as board:
        out = board.exec("import cm4_stream_board\ncm4_stream_board.measure()", timeout=3000)
    m = re.search(r"HFSTREAM plain=(\d+) stream=(\d+) raw=(\d+) bytes=(\d+) rawbytes=(\d+) spread=(\d+)", out)
    if not m:
        raise SystemExit("the board printed no result:\n" + out)
    plain, stream, raw, sent, raw_sent, spread = (int(v) for v in m.groups())
    print("BENCH cm4_live_instructions_per_frame %d" % (plain * 1000))
    print("BENCH cm4_stream_instructions_per_frame %d" % (stream * 1000))
    print("BENCH cm4_stream_overhead_pct %.2f" % (100.0 * (stream - plain) / plain))
    print("BENCH cm4_stream_raw_overhead_pct %.2f" % (100.0 * (raw - plain) / plain))
    print("BENCH stream_bytes_per_frame %d" % sent)
    print("BENCH stream_raw_bytes_per_frame %d" % raw_sent)
    print("BENCH cm4_live_spread_pct %.2f" % (100.0 * spread / plain))
    m = re.search(r"HFLINK service=(\d+) subpage=(\d+) heap=(-?\d+) rawheap=(-?\d+)", out)
    service, subpage, heap, rawheap = (int(v) for v in m.groups())
    print("BENCH cm4_stream_heap_bytes %d" % heap)
    print("BENCH cm4_stream_raw_heap_bytes %d" % rawheap)
    print("BENCH cm4_stream_link_instructions_per_frame %d" % (service * 1000))
    print("BENCH cm4_raw_instructions_per_subpage %d" % (subpage * 1000))
    print("BENCH cm4_stream_link_pct %.2f" % (100.0 * service / plain))
    print("BENCH cm4_stream_raw_link_pct %.2f" % (100.0 * (service + 2 * subpage) / plain))
    io = dict((k, tuple(int(v) for v in b.split(","))) for k, b in
              (f.split("=") for f in re.search(r"HFIO (.*)", out).group(1).split()))
    i2c = bench_cm4.i2c_hz()
    fps = {}
    for kind, us in (("plain", plain), ("stream", stream), ("raw", raw)):
        fps[kind] = bench_cm4.fps_estimate(us * 1000, io[kind][0], io[kind][1], i2c)
    for kind, name in (("stream", "stream"), ("raw", "stream_raw")):
        print("BENCH wio_fps_estimate_live_%s %.2f" % (name, fps[kind][0]))
        print("BENCH wio_fps_uncapped_live_%s %.2f" % (name, fps[kind][1]))
        print("BENCH wio_%s_fps_change_pct %.2f" % (name, 100.0 * (fps[kind][1] / fps["plain"][1] - 1)))
    print("BENCH wio_fps_uncapped_live_nostream %.2f" % fps["plain"][1])


if __name__ == "__main__":
    main()
