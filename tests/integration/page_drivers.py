#!/usr/bin/python3
# page_drivers.py - the two browsers page_client.py runs its steps in, behind
# one small interface, so that the steps are written once:
#   Chromium  Debian's chromium through chromium-driver and python3-selenium
#   Firefox   Debian's firefox-esr through WebDriver BiDi, which Firefox
#             speaks itself over a WebSocket (Debian has no geckodriver):
#             a BiDi client on python3-websockets' asyncio API
# The interface (selectors are CSS; keys are WebDriver's key code points,
# the same in both protocols, e.g. ENTER):
#   open(url)            load a page and wait for it
#   js(body, *args)      a function body run in the page (arguments[i]);
#                        its JSON-like value
#   click(sel)           a real mouse click on the element's centre
#   type(sel, keys)      focus the element, then real key presses
#   clear(sel)           empty a text field
#   select(sel, text)    choose a <select>'s option by its text
#   shot(path, scale)    a PNG of the viewport (scale < 1: a smaller one)
#   requests()           URLs the page asked for so far (HTTP and WebSocket)
#   errors()             console errors so far (script, CSP)
#   cookies(), url()     the page's cookies and its URL as the browser has it
#   quit()               the browser stopped, whatever state it is in
# A vanished element (the page redraws its rows on every event) raises Gone:
# the caller looks the element up again. Talks to 127.0.0.1 only; every wait
# has a timeout.
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

ENTER = "\ue007"
SPACE = "\ue00d"
BACKSPACE = "\ue003"
CONTROL = "\ue009"
WIDTH, HEIGHT = 1280, 900


class Gone(Exception):
    """The element is not (or no longer) in the page."""


class Chromium:
    name = "chromium"

    def __init__(self):
        # imported here: a Firefox run needs no selenium
        from selenium import webdriver
        from selenium.common.exceptions import (
            NoSuchElementException, StaleElementReferenceException)
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import Select
        self._gone = (NoSuchElementException, StaleElementReferenceException)
        self._select = Select
        o = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-dev-shm-usage",
                  "--window-size=%d,%d" % (WIDTH, HEIGHT),
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
            o.add_argument(a)
        o.binary_location = "/usr/bin/chromium"
        o.set_capability("goog:loggingPrefs", {"performance": "ALL",
                                               "browser": "ALL"})
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                                  options=o)
        self.d.set_page_load_timeout(20)
        self.d.set_script_timeout(20)
        self._urls = []

    def version(self):
        return "Chromium " + self.d.capabilities.get("browserVersion", "?")

    def _el(self, sel):
        from selenium.webdriver.common.by import By
        try:
            return self.d.find_element(By.CSS_SELECTOR, sel)
        except self._gone as e:
            raise Gone(sel) from e

    def _act(self, sel, fn):
        try:
            return fn(self._el(sel))
        except self._gone as e:
            raise Gone(sel) from e

    def open(self, url):
        self.d.get(url)

    def js(self, body, *args):
        return self.d.execute_script(body, *args)

    def click(self, sel):
        self._act(sel, lambda e: e.click())

    def type(self, sel, keys):
        self._act(sel, lambda e: e.send_keys(keys))

    def clear(self, sel):
        self._act(sel, lambda e: e.clear())

    def select(self, sel, text):
        self._act(sel, lambda e: self._select(e).select_by_visible_text(text))

    def shot(self, path, scale=None):
        if scale is None:
            self.d.save_screenshot(path)
            return
        w, h = self.js("return [innerWidth, innerHeight]")
        r = self.d.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "clip": {"x": 0, "y": 0, "width": w, "height": h,
                                      "scale": scale}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def requests(self):
        # the DevTools log, read once: kept for the next call
        for e in self.d.get_log("performance"):
            m = json.loads(e["message"])["message"]
            if m["method"] == "Network.requestWillBeSent":
                self._urls.append(m["params"]["request"]["url"])
            elif m["method"] == "Network.webSocketCreated":
                self._urls.append(m["params"]["url"])
        return list(self._urls)

    def errors(self):
        return [e["message"] for e in self.d.get_log("browser")
                if e["level"] == "SEVERE"]

    def cookies(self):
        return self.d.get_cookies()

    def url(self):
        return self.d.current_url

    def quit(self):
        self.d.quit()


class BidiError(Exception):
    pass


def _local(v):
    """A Python value as a BiDi LocalValue (a script's argument)."""
    if v is None:
        return {"type": "null"}
    if isinstance(v, bool):
        return {"type": "boolean", "value": v}
    if isinstance(v, (int, float)):
        return {"type": "number", "value": v}
    if isinstance(v, str):
        return {"type": "string", "value": v}
    if isinstance(v, (list, tuple)):
        return {"type": "array", "value": [_local(x) for x in v]}
    raise TypeError("no BiDi value for %r" % (v,))


def _remote(v):
    """A BiDi RemoteValue (a script's result) as a Python value; a node as
    its BiDi reference."""
    t = v["type"]
    if t in ("undefined", "null"):
        return None
    if t == "number" and isinstance(v["value"], str):  # NaN, -0, Infinity
        return float(v["value"].replace("Infinity", "inf"))
    if t in ("string", "boolean", "number"):
        return v["value"]
    if t == "array":
        return [_remote(x) for x in v.get("value", [])]
    if t == "object":
        return {k if isinstance(k, str) else _remote(k): _remote(x)
                for k, x in v.get("value", [])}
    if t == "node":
        return {"sharedId": v["sharedId"]}
    raise BidiError("a script's result of type " + t)


# Firefox's own preferences beyond those its remote agent sets for automation
# (no updates, telemetry or first-run pages): nothing but loopback is reached
# (any other address fails at once at a dead proxy on loopback, as every
# other name fails to resolve in Chromium: --host-resolver-rules), no
# background traffic, no session restore.
FIREFOX_PREFS = {
    "network.proxy.type": 1,            # manual: a dead proxy on loopback ...
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,       # (discard: nothing listens)
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "127.0.0.1",   # ... but not for the service
    "network.proxy.allow_hijacking_localhost": False,
    "network.trr.mode": 5,              # no DNS over HTTPS
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.tabs.warnOnClose": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "extensions.update.enabled": False,
}


class Firefox:
    name = "firefox"

    def __init__(self, binary="/usr/bin/firefox-esr", secs=280):
        # the profile and HOME in a temporary directory: a fresh profile each
        # run, nothing written to root's home (the tests run as root)
        self.dir = tempfile.mkdtemp(prefix="page-firefox-")
        prof = os.path.join(self.dir, "profile")
        os.mkdir(prof)
        with open(os.path.join(prof, "user.js"), "w") as f:
            for k, v in FIREFOX_PREFS.items():
                f.write("user_pref(%s, %s);\n" % (json.dumps(k), json.dumps(v)))
        env = dict(os.environ, HOME=self.dir, MOZ_HEADLESS="1",
                   MOZ_CRASHREPORTER_DISABLE="1", MOZ_CRASHREPORTER="0",
                   MOZ_DISABLE_AUTO_SAFE_MODE="1", XDG_CACHE_HOME=self.dir,
                   XDG_CONFIG_HOME=self.dir, TMPDIR=self.dir)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        self.log = open(os.path.join(self.dir, "firefox.log"), "wb")
        # under timeout(1): Firefox stops by itself even if this script is
        # killed outright; its own process group, so quit() can end the
        # content processes with it (by the PID recorded here)
        self.proc = subprocess.Popen(
            ["timeout", "-k", "5", str(secs), binary, "--headless",
             "--no-remote", "--profile", prof, "--remote-debugging-port", "0",
             "about:blank"], env=env, stdout=self.log, stderr=self.log,
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)   # websockets 10.4 takes it from here
        self.ws = None
        self.events = []
        self.n = 0
        try:
            self._start(prof)
        except BaseException:
            self.quit()
            raise

    def _start(self, prof):
        # the port Firefox chose (port 0): its WebDriverBiDiServer.json
        f = os.path.join(prof, "WebDriverBiDiServer.json")
        port = None
        for _ in range(300):                        # 30 s
            if self.proc.poll() is not None:
                raise BidiError("firefox exited %d: %s" % (
                    self.proc.returncode, self._tail()))
            try:
                with open(f) as fp:
                    port = json.load(fp)["ws_port"]
                break
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        if port is None:
            raise BidiError("firefox: no WebDriver BiDi port within 30 s: " +
                            self._tail())
        import websockets   # python3-websockets 10.4, asyncio API
        self.ws = self.loop.run_until_complete(websockets.connect(
            "ws://127.0.0.1:%d/session" % port, max_size=None,
            open_timeout=10, close_timeout=2))
        r = self.call("session.new", {"capabilities": {"alwaysMatch": {
            "acceptInsecureCerts": False}}})
        self._version = r["capabilities"].get("browserVersion", "?")
        # headless Firefox's first window never has the focus (a page in it
        # gets keys but no keyboard activation: Space on a checkbox, Enter on
        # a button do nothing); a window opened over BiDi has it
        first = self.call("browsingContext.getTree", {"maxDepth": 0})[
            "contexts"][0]["context"]
        self.ctx = self.call("browsingContext.create", {"type": "window"})[
            "context"]
        self.call("browsingContext.close", {"context": first})
        self.call("browsingContext.setViewport", {
            "context": self.ctx,
            "viewport": {"width": WIDTH, "height": HEIGHT}})
        self.call("session.subscribe", {
            "events": ["network.beforeRequestSent", "log.entryAdded"],
            "contexts": [self.ctx]})

    def _tail(self):
        try:
            with open(os.path.join(self.dir, "firefox.log"), "rb") as f:
                return f.read()[-400:].decode("utf-8", "replace")
        except OSError:
            return ""

    async def _call(self, msg, secs):
        await self.ws.send(json.dumps(msg))
        end = time.monotonic() + secs
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise BidiError("%s: no answer within %d s" % (
                    msg["method"], secs))
            m = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if m.get("type") == "event":
                self.events.append(m)
            elif m.get("id") == msg["id"]:
                return m

    def call(self, method, params, secs=30):
        """One BiDi command: its result; BidiError with the remote end's
        error code and message."""
        self.n += 1
        try:
            m = self.loop.run_until_complete(self._call(
                {"id": self.n, "method": method, "params": params}, secs))
        except asyncio.TimeoutError as e:
            raise BidiError("%s: no answer within %d s" % (method, secs)) from e
        if m.get("type") == "error":
            if m.get("error") in ("no such node", "stale element reference",
                                  "move target out of bounds"):
                raise Gone("%s: %s" % (m["error"], m.get("message")))
            raise BidiError("%s: %s: %s" % (method, m.get("error"),
                                            m.get("message")))
        return m["result"]

    def version(self):
        return "Firefox " + self._version

    def open(self, url):
        self.call("browsingContext.navigate", {
            "context": self.ctx, "url": url, "wait": "complete"}, 20)

    def js(self, body, *args):
        r = self.call("script.callFunction", {
            "functionDeclaration": "function () {\n" + body + "\n}",
            "arguments": [_local(a) for a in args],
            "target": {"context": self.ctx}, "awaitPromise": False,
            "resultOwnership": "none"}, 20)
        if r["type"] == "exception":
            raise BidiError("script: " + r["exceptionDetails"]["text"])
        return _remote(r["result"])

    def _node(self, sel, how):
        """The element for sel, scrolled into view (as WebDriver classic
        does before it clicks or types), focused for "focus"."""
        n = self.js("""
            const e = document.querySelector(arguments[0]);
            if (!e) return null;
            e.scrollIntoView({block: 'center', inline: 'nearest'});
            if (arguments[1] === 'focus' && document.activeElement !== e) {
              e.focus();
              // the caret at the end, as WebDriver's Element Send Keys does
              if (typeof e.value === 'string' && e.setSelectionRange)
                try { e.setSelectionRange(e.value.length, e.value.length); }
                catch (x) { /* a type without a caret */ }
            }
            return e;""", sel, how)
        if n is None:
            raise Gone(sel)
        return n

    def _keys(self, seq):
        self.call("input.performActions", {"context": self.ctx, "actions": [{
            "type": "key", "id": "keyboard", "actions": seq}]})

    def click(self, sel):
        n = self._node(sel, "click")
        self.call("input.performActions", {"context": self.ctx, "actions": [{
            "type": "pointer", "id": "mouse",
            "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "x": 0, "y": 0,
                 "origin": {"type": "element", "element": n}},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0}]}]})

    def type(self, sel, keys):
        self._node(sel, "focus")
        seq = []
        for k in keys:
            seq += [{"type": "keyDown", "value": k},
                    {"type": "keyUp", "value": k}]
        self._keys(seq)

    def clear(self, sel):
        # select all, delete: the keyboard's way
        self._node(sel, "focus")
        self._keys([{"type": "keyDown", "value": CONTROL},
                    {"type": "keyDown", "value": "a"},
                    {"type": "keyUp", "value": "a"},
                    {"type": "keyUp", "value": CONTROL},
                    {"type": "keyDown", "value": BACKSPACE},
                    {"type": "keyUp", "value": BACKSPACE}])

    def select(self, sel, text):
        # what WebDriver's Element Click does for an <option> (no native
        # menu is involved in either browser): select it, fire input, change
        done = self.js("""
            const s = document.querySelector(arguments[0]);
            if (!s) return false;
            for (const o of s.options)
              if (o.text.trim() === arguments[1]) {
                s.focus();
                if (!o.selected) {
                  o.selected = true;
                  s.dispatchEvent(new Event('input', {bubbles: true}));
                  s.dispatchEvent(new Event('change', {bubbles: true}));
                }
                return true;
              }
            return false;""", sel, text)
        if not done:
            raise Gone("%s: no option %r" % (sel, text))

    def shot(self, path, scale=None):
        if scale is not None:
            # fewer device pixels per CSS pixel: the same picture, smaller
            self.call("browsingContext.setViewport", {
                "context": self.ctx, "devicePixelRatio": scale,
                "viewport": {"width": WIDTH, "height": HEIGHT}})
        try:
            r = self.call("browsingContext.captureScreenshot", {
                "context": self.ctx, "origin": "viewport"})
        finally:
            if scale is not None:
                self.call("browsingContext.setViewport", {
                    "context": self.ctx, "devicePixelRatio": None,
                    "viewport": {"width": WIDTH, "height": HEIGHT}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def _events(self, method):
        self.call("session.status", {})    # what came before it, in order
        return [e["params"] for e in self.events if e["method"] == method]

    def requests(self):
        # a WebSocket's handshake comes as its http: request: named ws: here,
        # as Chromium names it
        urls = []
        for p in self._events("network.beforeRequestSent"):
            u = p["request"]["url"]
            if any(h["name"].lower() == "sec-websocket-key"
                   for h in p["request"].get("headers", [])):
                u = "ws" + u[len("http"):] if u.startswith("http") else u
            urls.append(u)
        return urls

    def errors(self):
        return [p.get("text") or "" for p in self._events("log.entryAdded")
                if p.get("level") == "error"]

    def cookies(self):
        return self.call("storage.getCookies", {"partition": {
            "type": "context", "context": self.ctx}})["cookies"]

    def url(self):
        return self.call("browsingContext.getTree", {
            "root": self.ctx, "maxDepth": 0})["contexts"][0]["url"]

    def quit(self):
        try:
            if self.ws is not None:
                try:
                    self.call("browser.close", {}, 10)
                except Exception:   # noqa: BLE001 - stopped below anyway
                    pass
                try:
                    self.loop.run_until_complete(asyncio.wait_for(
                        self.ws.close(), 3))
                except Exception:   # noqa: BLE001
                    pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
            # and any content process left in its group
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        finally:
            self.loop.close()
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def start(name):
    """The browser called name ("chromium" or "firefox"), started."""
    if name == "chromium":
        return Chromium()
    if name == "firefox":
        return Firefox()
    raise ValueError("unknown browser " + name)
