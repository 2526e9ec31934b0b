#!/usr/bin/python3
# page_client.py - the browser tests/integration/page.sh drives against
# `repodigest serve`'s page: Debian's chromium, headless, through
# chromium-driver and python3-selenium. Talks to 127.0.0.1 only; every wait
# has a timeout. Screenshots go to SHOTS (one PNG per step).
#
# Usage: page_client.py COMMAND PORT SHOTS [ARGS]; prints "ok NAME" or
# "bad NAME: why" per check (page.sh counts them).
#   flow FAST SLOW WORD   the page without a token: live list, ingest FAST
#                         through the form (bar to 100%, row completed),
#                         SLOW (cancel, retry, cancel), filters, paging,
#                         counts, a search for WORD; no request off origin
#   token TOKEN           a service with a token: the page shows the prompt
#                         and no data until the token is given; then data,
#                         the token in sessionStorage only, never in a URL
#   schedule N|none       the schedule panel: with `serve --feed` of N
#                         repositories, shown with its bar full after the
#                         first pass; without one ("none"), hidden
import base64
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

import serve_client
from serve_client import bad, check, ok  # the same ok/bad lines and count

PORT = 0
SHOTS = ""


def browser():
    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1280,900",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-extensions",
              "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        o.add_argument(a)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"performance": "ALL",
                                           "browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(20)
    d.set_script_timeout(20)
    return d


def shot(d, name, scale=None):
    if scale is None:
        d.save_screenshot(os.path.join(SHOTS, name + ".png"))
        return
    # a smaller picture (README's docs/page.png comes from this one)
    w, h = d.execute_script("return [innerWidth, innerHeight]")
    r = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "clip": {"x": 0, "y": 0, "width": w, "height": h,
                                  "scale": scale}})
    with open(os.path.join(SHOTS, name + ".png"), "wb") as f:
        f.write(base64.b64decode(r["data"]))


def wait(d, name, fn, secs=30):
    """fn(d) until true within secs: the value, or None after a bad line."""
    try:
        # rows are redrawn on every event: a stale element just means "again"
        return WebDriverWait(d, secs, poll_frequency=0.1, ignored_exceptions=(
            StaleElementReferenceException,)).until(fn)
    except TimeoutException:
        bad(name, "not within %d s" % secs)
        return None


def row(d, repo, state=None):
    """The first row of repo (in state, if given), or None; found in the
    page's own script so that a redraw cannot interleave."""
    return d.execute_script("""
        for (const tr of document.querySelectorAll('#jobs tbody tr[data-job]'))
          if (tr.cells[0].textContent === arguments[0] &&
              (arguments[1] === null || tr.dataset.status === arguments[1]))
            return tr;
        return null;""", repo, state)


def info(d, repo, state=None):
    """A row of repo as data: id, status, text, the bar's value, the link's
    text and the state cell's text; or None."""
    return d.execute_script("""
        for (const tr of document.querySelectorAll('#jobs tbody tr[data-job]'))
          if (tr.cells[0].textContent === arguments[0] &&
              (arguments[1] === null || tr.dataset.status === arguments[1])) {
            const a = tr.querySelector('a'), b = tr.querySelector('button');
            return {id: tr.dataset.job, status: tr.dataset.status,
                    text: tr.innerText, bar: tr.querySelector('progress').value,
                    link: a ? a.textContent : null,
                    href: a ? a.getAttribute('href') : null,
                    state: tr.cells[2].textContent,
                    button: b ? b.getAttribute('aria-label') : null};
          }
        return null;""", repo, state)


def rows(d, repo=None):
    """[(jobId, repo, status)] of the rows shown, newest first."""
    return d.execute_script("""
        return Array.from(document.querySelectorAll('#jobs tbody tr[data-job]'))
          .filter((tr) => arguments[0] === null ||
                          tr.cells[0].textContent === arguments[0])
          .map((tr) => [tr.dataset.job, tr.cells[0].textContent,
                        tr.dataset.status]);""", repo)


def requests_seen(d, log):
    """URLs the page asked for (the DevTools log), appended to log."""
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m["method"] == "Network.requestWillBeSent":
            log.append(m["params"]["request"]["url"])
        elif m["method"] == "Network.webSocketCreated":
            log.append(m["params"]["url"])
    return log


def origin_only(d, log, name):
    requests_seen(d, log)
    own = ("http://127.0.0.1:%d/" % PORT, "ws://127.0.0.1:%d/" % PORT)
    # data: (the empty icon) is no request at all
    off = [u for u in log if not u.startswith(own + ("data:",))]
    check(name + ": every request to the service's origin (%d seen)" %
          len(log), log and not off, "off origin: %s" % off[:5])


def console_clean(d, name):
    errs = [e["message"] for e in d.get_log("browser")
            if e["level"] == "SEVERE" and "401" not in e["message"]]
    check(name + ": no console error (CSP, script)", not errs, errs[:3])


def flow(fast, slow, word):
    d = browser()
    log = []
    try:
        base = "http://127.0.0.1:%d/" % PORT
        d.get(base)
        wait(d, "live", lambda x: x.find_element(By.ID, "conn").text == "Live",
             15)
        check("page: the job list shows, no token prompt",
              d.find_element(By.ID, "app").is_displayed() and
              not d.find_element(By.ID, "auth").is_displayed())
        shot(d, "01-empty")

        # ingest through the form, keyboard only
        repo = d.find_element(By.ID, "i-repo")
        repo.click()
        repo.send_keys(fast)
        d.find_element(By.ID, "i-chunks").send_keys(Keys.SPACE)
        repo.send_keys(Keys.ENTER)
        tr = wait(d, "form: the job appears", lambda x: info(x, fast), 15)
        if tr is not None:
            ok("form: the job appears")
        done = wait(d, "form: the row turns completed",
                    lambda x: info(x, fast, "completed"), 60)
        if done is not None:
            ok("form: the row turns completed")
            time.sleep(0.5)     # the whole job, fetched once it moved
            done = info(d, fast, "completed")
            check("form: the bar at 100%",
                  done["bar"] == 100 and "100%" in done["text"], done)
            check("form: attempts and a duration shown",
                  "1 of 3" in done["text"] and " s" in done["text"], done)
            check("form: the result links GET /v1/jobs/{id}",
                  done["href"] == "/v1/jobs/" + done["id"] and
                  "objects" in (done["link"] or ""), done)
            check("form: the state in words and a mark, not colour alone",
                  done["state"].startswith("\u2713") and
                  "completed" in done["state"], done["state"])
            d.find_element(By.CSS_SELECTOR,
                           "tr[data-job='%s'] a" % done["id"]).send_keys(
                Keys.ENTER)
            det = wait(d, "detail", lambda x: x.find_element(
                By.ID, "detail-body").text, 10)
            check("detail: the job's JSON with its result",
                  det and '"objects": 2' in det, det)
            shot(d, "02-completed")
            d.find_element(By.ID, "detail-close").click()

        # a slow job: progress while it runs, cancel from the page
        repo.clear()
        repo.send_keys(slow)
        d.find_element(By.ID, "i-go").click()
        run = wait(d, "slow: the bar moves with phase and bytes",
                   lambda x: (lambda r: r if r is not None and
                              "downloading" in r["text"] and
                              "KiB" in r["text"] else None)(
                                  info(x, slow, "running")), 30)
        if run is not None:
            ok("slow: the bar moves with phase and bytes")
            shot(d, "03-running")
            shot(d, "03-running-small", 0.6)
            check("slow: the cancel button is labelled",
                  run["button"] == "Cancel " + slow, run)
            wait(d, "slow: cancel", lambda x: x.find_element(
                By.CSS_SELECTOR, "tr[data-job='%s'] button" % run["id"]),
                10).click()
            c = wait(d, "slow: cancelled from the page",
                     lambda x: info(x, slow, "cancelled"), 20)
            if c is not None:
                ok("slow: cancelled from the page")
                shot(d, "04-cancelled")
                wait(d, "slow: retry", lambda x: x.find_element(
                    By.CSS_SELECTOR, "tr[data-job='%s'] button" % c["id"]),
                    10).click()
                r2 = wait(d, "slow: retried (a new row)", lambda x: (
                    lambda rs: rs if len(rs) == 2 else None)(rows(x, slow)),
                    15)
                if r2 is not None:
                    check("slow: the retry runs, the cancelled job kept",
                          r2[0][2] in ("queued", "running") and
                          r2[1][2] == "cancelled", r2)
                    shot(d, "05-retried")
                    wait(d, "slow: the retry's cancel", lambda x: x.find_element(
                        By.CSS_SELECTOR, "tr[data-job='%s'] button" % r2[0][0]),
                        10).click()
                    end = wait(d, "slow: the retry cancelled too", lambda x:
                               all(r[2] == "cancelled" for r in rows(x, slow)),
                               20)
                    check("slow: the retry cancelled too", end)

        # counts from /metrics
        counts = wait(d, "counts", lambda x: (
            lambda t: t if "completed" in t and "cancelled" in t and
            "jobs/min" in t else None)(
            x.find_element(By.ID, "counts").text), 15)
        check("counts: by state and throughput", counts is not None, counts)

        # filters: state, then repository
        Select(d.find_element(By.ID, "f-status")).select_by_visible_text(
            "completed")
        d.find_element(By.CSS_SELECTOR, "#filters button").click()
        sts = wait(d, "filter: state", lambda x: (lambda rs: rs if rs and all(
            r[2] == "completed" for r in rs) else None)(rows(x)), 10)
        check("filter: state completed shows only completed jobs",
              sts is not None and not [r for r in sts if r[1] == slow], sts)
        Select(d.find_element(By.ID, "f-status")).select_by_visible_text("any")
        d.find_element(By.ID, "f-repo").send_keys(slow + Keys.ENTER)
        rs = wait(d, "filter: repository", lambda x: (
            lambda rs: rs if rs and all(r[1] == slow for r in rs) else None)(
            rows(x)), 10)
        check("filter: repository shows only its jobs",
              rs is not None and len(rs) == 2, rs)
        shot(d, "06-filtered")
        d.find_element(By.ID, "f-repo").clear()
        d.find_element(By.CSS_SELECTOR, "#filters button").click()

        # paging: page.sh posted more jobs than one page holds
        first = wait(d, "paging: a full page", lambda x: (
            lambda rs: rs if len(rs) == 20 else None)(rows(x)), 10)
        older = d.find_element(By.ID, "older")
        check("paging: a full first page, Older enabled",
              first is not None and older.is_enabled())
        first = [r[0] for r in first or []]
        older.click()
        p2 = wait(d, "paging: the next page", lambda x: (
            lambda ids: ids if ids and ids[0] not in first else None)(
            [r[0] for r in rows(x)]), 10)
        check("paging: Older shows other (older) jobs, Page 2",
              p2 is not None and not set(p2) & set(first) and
              d.find_element(By.ID, "page-no").text == "Page 2", p2)
        d.find_element(By.ID, "newer").click()
        back = wait(d, "paging: back", lambda x: (
            lambda ids: ids if ids == first else None)(
            [r[0] for r in rows(x)]), 10)
        check("paging: Newer returns to the first page", back is not None)

        # search
        q = d.find_element(By.ID, "q")
        q.send_keys(word + Keys.ENTER)
        res = wait(d, "search: results", lambda x: x.find_elements(
            By.CSS_SELECTOR, "#results li"), 15)
        if res:
            t = res[0].text
            check("search: path:lines, repository and snippet",
                  ".c:" in t and fast in t and word in t, t)
        d.execute_script("document.getElementById('search-h').scrollIntoView()")
        shot(d, "07-search")
        check("page: the token is nowhere (none set)",
              d.execute_script("return sessionStorage.length") == 0)
        origin_only(d, log, "flow")
        console_clean(d, "flow")
    finally:
        d.quit()


def token_flow(tok):
    d = browser()
    log = []
    try:
        d.get("http://127.0.0.1:%d/" % PORT)
        a = wait(d, "token: the prompt", lambda x: x.find_element(
            By.ID, "auth").is_displayed(), 15)
        check("token: without it the page shows the prompt", a)
        check("token: and no data",
              not d.find_element(By.ID, "app").is_displayed() and
              not d.find_elements(By.CSS_SELECTOR, "#jobs tbody tr") and
              d.find_element(By.ID, "counts").text == "")
        check("token: the prompt has focus, labelled",
              d.switch_to.active_element.get_attribute("id") == "token" and
              d.find_element(By.CSS_SELECTOR, "label[for=token]").text)
        shot(d, "08-token-prompt")
        d.find_element(By.ID, "token").send_keys("wrong" + Keys.ENTER)
        m = wait(d, "token: a wrong one refused", lambda x: (
            lambda t: t if "refused" in t else None)(
            x.find_element(By.ID, "auth-msg").text), 10)
        check("token: a wrong one is refused, still no data",
              m and not d.find_element(By.ID, "app").is_displayed())
        d.find_element(By.ID, "token").send_keys(tok + Keys.ENTER)
        live = wait(d, "token: live with it", lambda x: x.find_element(
            By.ID, "conn").text == "Live", 15)
        check("token: with it the jobs show and the list is live",
              live and d.find_elements(By.CSS_SELECTOR,
                                       "#jobs tbody tr[data-job]"))
        shot(d, "09-token-given")
        check("token: kept in sessionStorage only",
              d.execute_script("return sessionStorage.getItem("
                               "'repodigest.token')") == tok and
              d.execute_script("return localStorage.length") == 0 and
              d.get_cookies() == [])
        check("token: not in the page's URL",
              tok not in d.current_url and
              tok not in d.execute_script("return location.href"))
        requests_seen(d, log)
        http = [u for u in log if u.startswith("http")]
        check("token: never in an HTTP request's URL (%d)" % len(http),
              http and not [u for u in http if tok in u])
        origin_only(d, log, "token")
    finally:
        d.quit()


def sched_flow(want):
    d = browser()
    try:
        d.get("http://127.0.0.1:%d/" % PORT)
        wait(d, "schedule: page loads", lambda d: not d.find_element(
            By.ID, "app").get_attribute("hidden"))
        time.sleep(1)
        panel = d.find_element(By.ID, "sched")
        if want == "none":
            check("schedule: panel hidden without --feed",
                  panel.get_attribute("hidden") is not None)
            return
        n = int(want)
        text = wait(d, "schedule: first pass shown", lambda d: (
            lambda t: t if "Last pass completed" in t else None)(
                d.find_element(By.ID, "sched-text").text), 30)
        if text is None:
            return
        check("schedule: panel visible", panel.is_displayed())
        check("schedule: %d of %d jobs done in the text (%s)" % (n, n, text),
              "%d of %d jobs done" % (n, n) in text and
              "unchanged" in text)
        bar = d.find_element(By.ID, "sched-bar")
        check("schedule: bar full (%s of %s)" % (
            bar.get_attribute("value"), bar.get_attribute("max")),
            bar.get_attribute("value") == bar.get_attribute("max") == str(n))
        check("schedule: bar labelled",
              bar.get_attribute("aria-labelledby") == "sched-h")
        check("schedule: next pass shown", d.find_element(
            By.ID, "sched-next").text.startswith("Next pass: "))
        check("schedule: status announced", d.find_element(
            By.ID, "sched-text").get_attribute("aria-live") == "polite")
        shot(d, "schedule")
        console_clean(d, "schedule")
    finally:
        d.quit()


def main():
    global PORT, SHOTS
    cmd, PORT, SHOTS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if cmd == "flow":
        flow(sys.argv[4], sys.argv[5], sys.argv[6])
    elif cmd == "token":
        token_flow(sys.argv[4])
    elif cmd == "schedule":
        sched_flow(sys.argv[4])
    else:
        bad("usage", "unknown command " + cmd)
    sys.exit(1 if serve_client.FAILS else 0)


if __name__ == "__main__":
    main()
