#!/usr/bin/env python3
"""Opens an evidence pack's evidence.html in headless Chromium (Debian's chromium) and checks it as a person
would see it, over the DevTools protocol on a pipe (no extra package):

- it renders: a screenshot at a laptop's 1366 x 900 is taken and is not blank (many distinct colours, most of
  it not the background), and the page needs no sideways scrolling at that width;
- no console error, no uncaught exception, no Content-Security-Policy violation, and no network request
  beyond the file itself;
- every section is present and visible, every plot is drawn (an SVG with a size);
- every number shown (each element with data-ref, a JSON pointer) equals evidence.json's value there, as the
  pack formats it (printf %.4g; null as "-"), read from the rendered page's text;
- a sortable table sorts when its header is clicked.

Usage: evidence_browser.py DIR [--screenshot OUT.png] [--view SECTION=OUT.png ...] [--self-test]
--self-test: first checks that the checks fail on tampered copies of the page (a number changed, a section
removed, an external image requested, a console error).
"""
import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

from evidence_common import SECTIONS, pointer, self_test, shown


class Browser:
    def __init__(self):
        exe = shutil.which("chromium") or "/usr/bin/chromium"
        self.profile = tempfile.mkdtemp(prefix="stratum-chromium-")
        r_ours, w_theirs = os.pipe()   # chromium writes fd 4, we read
        r_theirs, w_ours = os.pipe()   # we write, chromium reads fd 3
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}", "about:blank"]

        def fds():
            # Chromium reads fd 3 and writes fd 4. Through high numbers first, so that neither dup2 clobbers the
            # other's source; close_fds=False below, because subprocess closes every fd it was not told to keep
            # after this function runs.
            a, b = os.dup2(r_theirs, 200), os.dup2(w_theirs, 201)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.close(a)
            os.close(b)

        self.proc = subprocess.Popen(args, close_fds=False, preexec_fn=fds, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r_theirs)
        os.close(w_theirs)
        self.rd = os.fdopen(r_ours, "rb", buffering=0)
        self.wr = os.fdopen(w_ours, "wb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self):
        while b"\0" not in self.buf:
            chunk = self.rd.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.wr.write(json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
            self.events.append(m)

    def wait_event(self, method):
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            m = self._read()
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and ctype in (2, 6)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


PROBE = r"""
(() => {
  const out = {};
  out.sections = Array.from(document.querySelectorAll('section')).map(s => ({
    id: s.id, visible: s.getBoundingClientRect().height > 0, title: s.querySelector('h2') ? s.querySelector('h2').innerText : ''}));
  out.refs = Array.from(document.querySelectorAll('[data-ref]')).map(e => [e.dataset.ref, e.innerText.trim()]);
  out.svgs = Array.from(document.querySelectorAll('svg')).map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('*').length]; });
  out.scrollWidth = document.documentElement.scrollWidth;
  out.innerWidth = window.innerWidth;
  out.title = document.title;
  return JSON.stringify(out);
})()
"""

SORT = r"""
(() => {
  const t = document.querySelector('table.sortable');
  if (!t) return JSON.stringify({none: true});
  const col = t.tHead.rows[0].cells.length - 1;
  const before = Array.from(t.tBodies[0].rows).map(r => r.cells[0].innerText);
  const th = t.tHead.rows[0].cells[0];
  th.click();
  const asc = Array.from(t.tBodies[0].rows).map(r => r.cells[0].innerText);
  th.click();
  const desc = Array.from(t.tBodies[0].rows).map(r => r.cells[0].innerText);
  return JSON.stringify({before, asc, desc});
})()
"""


def check(d, screenshot, sections=()):
    errors = []
    path = os.path.abspath(os.path.join(d, "evidence.html"))
    url = "file://" + path
    with open(os.path.join(d, "evidence.json")) as f:
        doc = json.load(f)
    b = Browser()
    try:
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for dom in ("Page", "Runtime", "Log", "Network"):
            b.call(dom + ".enable", session=s)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.call("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired")
        probe = json.loads(b.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                                  session=s)["result"]["value"])
        shot = b.call("Page.captureScreenshot", {"format": "png"}, session=s)  # before any table is sorted
        for sid, out in sections:  # views of single sections, to look at
            b.call("Runtime.evaluate", {"expression": f"document.getElementById('{sid}').scrollIntoView()"}, session=s)
            b.call("Runtime.evaluate", {"expression": "new Promise(r => requestAnimationFrame(() => r(1)))",
                                        "awaitPromise": True}, session=s)
            with open(out, "wb") as f:
                f.write(base64.b64decode(b.call("Page.captureScreenshot", {"format": "png"}, session=s)["data"]))
        sort = json.loads(b.call("Runtime.evaluate", {"expression": SORT, "returnByValue": True},
                                 session=s)["result"]["value"])
        png = base64.b64decode(shot["data"])
        # drain what is queued, then read the events
        b.call("Runtime.evaluate", {"expression": "1"}, session=s)
        events = list(b.events)
    finally:
        b.close()
    if screenshot:
        with open(screenshot, "wb") as f:
            f.write(png)
    # rendering
    w, h, bpp, rows = png_pixels(png)
    colours, background = set(), 0
    for y in range(0, h, 3):
        row = rows[y]
        for x in range(0, w * bpp, bpp * 3):
            px = row[x:x + 3]
            colours.add(px)
            background += px == b"\xff\xff\xff"
    total = len(range(0, h, 3)) * len(range(0, w * bpp, bpp * 3))
    if len(colours) < 50 or background > 0.97 * total:
        errors.append(f"the screenshot looks blank: {len(colours)} colours, {background / total:.1%} white")
    if probe["scrollWidth"] > probe["innerWidth"]:
        errors.append(f"the page scrolls sideways at 1366 px: {probe['scrollWidth']} > {probe['innerWidth']}")
    # console, exceptions, CSP, network
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            errors.append(f"console {p.get('type')}: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            errors.append(f"exception: {p.get('exceptionDetails', {}).get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            errors.append(f"log {p['entry']['level']}: {p['entry'].get('text')}")
        elif m == "Network.requestWillBeSent":
            u = p.get("request", {}).get("url", "")
            if u != url:
                errors.append(f"network request: {u}")
    # sections, plots, numbers
    ids = [x["id"] for x in probe["sections"]]
    for sid in SECTIONS:
        if sid not in ids:
            errors.append(f"section {sid} missing")
    for x in probe["sections"]:
        if not x["visible"]:
            errors.append(f"section {x['id']} is not visible")
    for i, (sw, sh, n) in enumerate(probe["svgs"]):
        if sw < 100 or sh < 50 or n < 10:
            errors.append(f"plot {i} is not drawn ({sw} x {sh}, {n} elements)")
    if len(probe["svgs"]) < 4:
        errors.append(f"only {len(probe['svgs'])} plots")
    for ptr, text in probe["refs"]:
        try:
            want = shown(pointer(doc, ptr))
        except (KeyError, IndexError) as e:
            errors.append(f"{ptr}: not in evidence.json ({e})")
            continue
        if text != want:
            errors.append(f"{ptr}: the page shows {text!r}, evidence.json holds {want!r}")
    if len(probe["refs"]) < 100:
        errors.append(f"only {len(probe['refs'])} numbers on the page")
    if sort.get("none"):
        errors.append("no sortable table")
    elif sorted(sort["before"]) != sorted(sort["asc"]) or sort["asc"] == sort["desc"] and len(set(sort["asc"])) > 1:
        errors.append(f"sorting a table does not sort it: {sort}")
    return errors, probe, len(colours)


TAMPER = [
    ("a number changed", "evidence.html", lambda t: re.sub(r'(data-ref="/criteria/0/n">)(\d+)<',
                                          lambda m: m.group(1) + str(int(m.group(2)) + 1) + "<", t, 1)),
    ("a section removed", "evidence.html", lambda t: re.sub(r'<section id="drift">.*?</section>', "", t, 1, re.S)),
    ("an external image", "evidence.html", lambda t: t.replace("<h1>", '<img src="http://127.0.0.1:9/x.png"><h1>', 1)),
    ("a console error", "evidence.html", lambda t: t.replace("<script>", '<script>console.error("tampered");', 1)),
]


def main():
    d = sys.argv[1]
    shot = None
    if "--screenshot" in sys.argv:
        shot = sys.argv[sys.argv.index("--screenshot") + 1]
    views = [tuple(a.split("=", 1)) for i, a in enumerate(sys.argv) if i > 0 and sys.argv[i - 1] == "--view"]
    if "--self-test" in sys.argv and not self_test(d, TAMPER, lambda tmp: check(tmp, None)[0],
                                                   ("evidence.json", "evidence.html")):
        return 1
    errors, probe, colours = check(d, shot, views)
    for e in errors[:20]:
        print(e)
    if errors:
        print(f"evidence_browser: {len(errors)} problems")
        return 1
    print(f"evidence_browser: rendered in headless Chromium at 1366x900 ({colours} colours, no sideways scroll); "
          f"no console error, no network request; {len(probe['sections'])} sections, {len(probe['svgs'])} plots; "
          f"{len(probe['refs'])} numbers equal evidence.json; tables sort")
    return 0


if __name__ == "__main__":
    sys.exit(main())
