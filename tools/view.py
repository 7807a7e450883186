"""`make view`: a local web page with a heatface board's live thermal image (http://127.0.0.1:8765/).

    python tools/view.py --port auto          a board on USB (the app running, as after a reset)
    python tools/view.py --sim [--recording F] the simulated board (optionally replaying a recording)

The board streams over its USB serial console (heatface.stream); the page shows the frame at its
true temperatures, the temperature under the mouse, hottest/coldest markers, min/max/ambient, fps,
the mode, the classifier's result and scores; its buttons press the board's buttons and record
raw subpages on the PC (data/recordings/) or on the board's card. Ctrl-C stops it.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")]

from pcview import link as board_link  # noqa: E402
from pcview import server  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", default="auto", help="serial device of the board (auto: the first USB one)")
    ap.add_argument("--sim", action="store_true", help="run the app on the simulated board instead")
    ap.add_argument("--recording", help="with --sim: replay this raw recording (.hfr) instead of a scene")
    ap.add_argument("--start-mode", default="collect", choices=("live", "collect", "infer"),
                    help="with --sim: the mode the app starts in (collect)")
    ap.add_argument("--http", type=int, default=8765, help="port of the page on 127.0.0.1 (8765)")
    ap.add_argument("--rec-dir", default=os.path.join(ROOT, "data", "recordings"),
                    help="where recordings made on the PC go")
    ap.add_argument("--sim-dir", default=os.path.join(ROOT, "out", "view"),
                    help="with --sim: the simulated board's files and card")
    args = ap.parse_args(argv)
    vb = None
    if args.sim:
        from pcview import sim

        vb = sim.start(args.sim_dir, recording=args.recording, start_mode=args.start_mode)
        port = vb.port
        print("view: simulated board on %s, its card is %s" % (port, vb.sd), flush=True)
    else:
        port = board_link.find_port(args.port)
    link = board_link.BoardLink(port, rec_dir=args.rec_dir).start()
    httpd = server.make_server(link, args.http)
    print("view: http://127.0.0.1:%d/  (board on %s; Ctrl-C stops)" % (httpd.server_address[1], port),
          flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        link.close()
        if vb is not None:
            time.sleep(0.1)
            vb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
