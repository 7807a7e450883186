"""The PC view in a real browser: `make view SIM=1` (the app on the simulated board in a virtual
board, streaming over its pty) and Debian's headless Chromium, driven through the DevTools
protocol. Checks the page shows the frame and the temperature readout, takes a screenshot, and
that a click on a label button saves a capture on the simulated card."""

import base64
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
import websocket
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = "/usr/bin/chromium"
OUT = os.path.join(ROOT, "out", "view-test")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what, check, timeout=60.0, every=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting for " + what)


def _get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read().decode())


class DevTools:
    """A minimal DevTools-protocol client for one page target."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise AssertionError("JS error in %s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def centre(self, element_id):
        rect = self.js("(() => { const r = document.getElementById(%r).getBoundingClientRect();"
                       " return [r.left + r.width / 2, r.top + r.height / 2]; })()" % element_id)
        return rect[0], rect[1]


@pytest.fixture()
def view():
    """`make view SIM=1` on a free port; yields (page url, the simulated card's folder)."""
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    port = _free_port()
    sim_dir = os.path.join(OUT, "sim")
    log = open(os.path.join(OUT, "make-view.log"), "wb")
    proc = subprocess.Popen(["make", "--no-print-directory", "view", "SIM=1", "VIEW_HTTP=%d" % port,
                             "VIEW_DIR=" + sim_dir, "VIEW_REC=" + os.path.join(OUT, "rec")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = "http://127.0.0.1:%d/" % port
    try:
        def up():
            if proc.poll() is not None:
                raise AssertionError("make view stopped: see " + log.name)
            try:
                return _get_json(url + "state")["frames"] > 0
            except OSError:
                return False

        _wait("the view to receive frames", up, timeout=300)
        yield url, os.path.join(sim_dir, "sd"), os.path.join(OUT, "rec")
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # view.py closes the link and the virtual board
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture()
def browser():
    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: `make setup` installs it"
    profile = os.path.join(OUT, "chromium-profile")
    shutil.rmtree(profile, ignore_errors=True)
    proc = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                             "--remote-debugging-port=0", "--window-size=1280,1100", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        port = _wait("Chromium's DevTools port", lambda: os.path.exists(port_file) and
                     open(port_file).read().split("\n")[0].strip(), timeout=60)
        pages = _wait("a page target", lambda: [t for t in _get_json("http://127.0.0.1:%s/json/list" % port)
                                                if t.get("type") == "page"], timeout=30)
        tools = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield tools
        tools.ws.close()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_page_shows_the_frame_readout_and_captures_on_the_card(view, browser):
    url, card, rec_dir = view
    page = browser
    page.call("Page.enable")
    page.call("Page.navigate", url=url)
    _wait("the page", lambda: page.js("location.href === %r && document.readyState === 'complete'" % url))
    _wait("the first frame on the page",
          lambda: page.js("document.getElementById('s-seq').textContent") not in (None, "--"))
    _wait("the label buttons", lambda: page.js("!!document.getElementById('btn-A')"))
    # the frame: the canvas holds a false-colour image (many colours, not a blank)
    def colours():  # (the canvas is painted after the readout changes: wait for it)
        n = page.js("""(() => { const c = document.getElementById('frame').getContext('2d');
            const d = c.getImageData(0, 0, 640, 480).data, seen = new Set();
            for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
            return seen.size; })()""")
        return n if n > 20 else None

    _wait("a false-colour image on the canvas", colours, timeout=60)
    # the temperature under the mouse: over the warm face in the scene's first frames, or the room
    x, y = page.centre("marks")
    page.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    readout = _wait("the readout", lambda: page.js("document.getElementById('readout').textContent")
                    if "°C" in (page.js("document.getElementById('readout').textContent") or "") else None)
    t = float(re.match(r"(-?\d+\.\d) °C", readout).group(1))
    assert 15.0 < t < 40.0, readout
    assert re.match(r"-?\d+\.\d °C", page.js("document.getElementById('s-max').textContent"))
    shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
    with open(os.path.join(OUT, "pcview.png"), "wb") as f:
        f.write(shot)
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    assert image.size[0] >= 1000
    frame = image.crop((20, 50, 640, 480))  # the thermal image, independent of the page's own JS
    assert len(frame.getcolors(maxcolors=1 << 24)) > 50
    # a label button: the same path as pressing A on the board -> face0.0.jpg on the card
    before = set(os.listdir(card)) if os.path.isdir(card) else set()
    page.click(*page.centre("btn-A"))
    new = _wait("the capture on the simulated card",
                lambda: [n for n in os.listdir(card) if n.endswith(".jpg") and not n.startswith(".")
                             and n not in before], timeout=30)
    assert new == ["face0.0.jpg"], new
    with open(os.path.join(card, new[0]), "rb") as f:
        data = f.read()
    assert data[:2] == b"\xff\xd8" and b"heatface t_lo=22.0 t_hi=37.0" in data
    _wait("the board's status on the page",
          lambda: page.js("document.getElementById('status').textContent") == "Saved face0.0.jpg")
    # record on the PC: the page's button, some subpages, stop; the file replays through the driver
    page.click(*page.centre("record"))
    _wait("the recording to start", lambda: page.js("document.getElementById('recinfo').textContent")
          .endswith("subpages") and int(page.js("document.getElementById('recinfo').textContent")
                                        .split(": ")[-1].split()[0]) >= 4, timeout=60)
    page.click(*page.centre("record"))
    _wait("the recording to stop", lambda: page.js("document.getElementById('record').textContent")
          == "record on PC")
    names = os.listdir(rec_dir)
    assert len(names) == 1 and names[0].endswith(".hfr"), names
    from heatface_sim.recording import read_recording, replay_frames

    rec = read_recording(os.path.join(rec_dir, names[0]))
    assert rec.settings["board"] == "sim" and len(list(rec.subpages())) >= 4
    rec.close()
    frames = [t[1][0] for t in replay_frames(os.path.join(rec_dir, names[0]))]
    assert len(frames) >= 1 and 15.0 < frames[0] < 40.0
