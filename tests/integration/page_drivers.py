#!/usr/bin/python3
# page_drivers.py - the browser page_client.py runs its steps in, behind one
# small interface, so that the steps do not depend on how a browser is
# driven: Chromium, Debian's chromium through chromium-driver and
# python3-selenium.
# The interface (selectors are CSS; keys are WebDriver's key code points,
# e.g. ENTER):
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
import base64
import json

ENTER = "\ue007"
SPACE = "\ue00d"
WIDTH, HEIGHT = 1280, 900


class Gone(Exception):
    """The element is not (or no longer) in the page."""


class Chromium:
    name = "chromium"

    def __init__(self):
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


def start(name):
    """The browser called name ("chromium"), started."""
    if name == "chromium":
        return Chromium()
    raise ValueError("unknown browser " + name)
