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

BOARD_CODE = os.path.join(ROOT, "tools", "bench", "cm4_stream_board.py")


def main():
    with CM4(form="mpy", files={"/rom/cm4_stream_board.py": BOARD_CODE}) as board:
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


if __name__ == "__main__":
    main()
