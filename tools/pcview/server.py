"""The PC view's web server (standard library only), on the loopback interface.

    GET  /               the page (page.html)
    GET  /frame          the last frame: the board's ``T`` payload (28 bytes of meta, 768 float32)
    GET  /state          JSON: the board's state, link figures, console lines, recording
    GET  /palettes       JSON: {name: [[r, g, b] x 256]} from heatface.palettes (the board's own)
    POST /button?name=A&kind=press   a button event on the board (press, long, release)
    POST /record?on=1|0  start/stop recording raw subpages on the PC
    POST /cardrec?on=1|0 start/stop recording raw subpages on the board's SD card
"""

import json
import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from heatface import palettes

PAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "page.html")
BUTTONS = ("A", "B", "C", "UP", "DOWN", "LEFT", "RIGHT", "PRESS")
KINDS = ("press", "long", "release")


def palette_table():
    return {name: [list(palettes.rgb888(name, i)) for i in range(256)] for name in palettes.names()}


class Handler(BaseHTTPRequestHandler):
    link = None  # set by make_server
    palettes_json = b"{}"

    def log_message(self, fmt, *args):  # quiet: the console shows the board's output instead
        pass

    def _send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj, code=200):
        self._send(code, json.dumps(obj).encode())

    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/":
            with open(PAGE, "rb") as f:
                self._send(200, f.read(), "text/html; charset=utf-8")
        elif path == "/frame":
            data = self.link.frame_bytes()
            if data is None:
                self._send(204, b"", "application/octet-stream")
            else:
                self._send(200, data, "application/octet-stream")
        elif path == "/state":
            self._json(self.link.snapshot())
        elif path == "/palettes":
            self._send(200, self.palettes_json)
        else:
            self._json({"error": "no such page"}, 404)

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/button":
            name, kind = q.get("name", ""), q.get("kind", "press")
            if name not in BUTTONS or kind not in KINDS:
                self._json({"error": "button must be one of %s, kind one of %s" % (BUTTONS, KINDS)}, 400)
                return
            self.link.send("%s %s" % (kind, name))
            self._json({"ok": True})
        elif url.path == "/record":
            if q.get("on") == "1":
                self._json({"recording": self.link.start_recording()})
            else:
                self._json({"recorded": self.link.stop_recording()})
        elif url.path == "/cardrec":
            self.link.send("sdrec %s" % ("1" if q.get("on") == "1" else "0"))
            self._json({"ok": True})
        else:
            self._json({"error": "no such action"}, 404)


def make_server(link, port=8765, host="127.0.0.1"):
    """An HTTP server for ``link`` on ``host:port`` (loopback only unless told otherwise)."""
    handler = type("BoundHandler", (Handler,), {"link": link,
                                                "palettes_json": json.dumps(palette_table()).encode()})
    return ThreadingHTTPServer((host, port), handler)
