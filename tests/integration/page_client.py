#!/usr/bin/python3
# page_client.py - the browser tests/integration/page.sh drives against
# `repodigest serve`'s page: the same steps in Debian's chromium (through
# chromium-driver and python3-selenium) and Debian's firefox-esr (through
# WebDriver BiDi), both headless; the two drivers are in page_drivers.py.
# Talks to 127.0.0.1 only; every wait has a timeout. Screenshots go to SHOTS
# (one PNG per step).
#
# Usage: page_client.py BROWSER COMMAND PORT SHOTS [ARGS]; BROWSER is
# chromium or firefox; prints "browser NAME VERSION", then "ok NAME" or
# "bad NAME: why" per check (page.sh counts them).
#   flow FAST SLOW WORD   the page without a token: live list, ingest FAST
#                         through the form (bar to 100%, row completed),
#                         SLOW (cancel, retry, cancel), filters, paging,
#                         counts, a search for WORD; no request off origin
#   token TOKEN           a service with a token: the page shows the prompt
#                         and no data until the token is given; then data,
#                         the token in sessionStorage only, never in a URL
#   schedule N            the schedule panel of a service with `serve --feed`
#                         of N repositories: shown, its bar full after the
#                         first pass (flow checks it hidden without --feed)
# A command is a list of steps (FLOW, TOKEN below): a step is a function of
# the driver and the run's arguments, written once for both browsers.
import os
import signal
import sys
import time
from types import SimpleNamespace

import page_drivers
import serve_client
from page_drivers import ENTER, SPACE, Gone
from serve_client import bad, check, ok  # the same ok/bad lines and count


def wait(d, name, fn, secs=30):
    """fn(d) until true within secs: the value, or None after a bad line.
    Rows are redrawn on every event: a vanished element just means again."""
    end = time.monotonic() + secs
    while True:
        try:
            v = fn(d)
            if v:
                return v
        except Gone:
            pass
        if time.monotonic() >= end:
            bad(name, "not within %d s" % secs)
            return None
        time.sleep(0.1)


def press(d, name, sel, secs=10):
    """A click on sel once it is there (looked up again if it vanishes)."""
    def go(x):
        x.click(sel)
        return True
    return wait(d, name, go, secs)


def text(d, sel):
    """The element's rendered text, or None without it."""
    t = d.js("const e = document.querySelector(arguments[0]);"
             "return e ? e.innerText : null;", sel)
    return None if t is None else t.strip()


def texts(d, sel):
    return d.js("return Array.from(document.querySelectorAll(arguments[0]),"
                "(e) => e.innerText);", sel)


def shown(d, sel):
    """The element is there and rendered (not hidden, nor in a hidden
    ancestor)."""
    return d.js("""
        const e = document.querySelector(arguments[0]);
        return !!e && getComputedStyle(e).visibility !== 'hidden' &&
               e.getClientRects().length > 0;""", sel)


def count(d, sel):
    return d.js("return document.querySelectorAll(arguments[0]).length", sel)


def shot(d, a, name, scale=None):
    d.shot(os.path.join(a.shots, name + ".png"), scale)


def info(d, repo, state=None):
    """A row of repo (in state, if given) as data: id, status, text, the
    bar's value, the link's text and the state cell's text; or None. Found
    in the page's own script so that a redraw cannot interleave."""
    return d.js("""
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
    return d.js("""
        return Array.from(document.querySelectorAll('#jobs tbody tr[data-job]'))
          .filter((tr) => arguments[0] === null ||
                          tr.cells[0].textContent === arguments[0])
          .map((tr) => [tr.dataset.job, tr.cells[0].textContent,
                        tr.dataset.status]);""", repo)


def origin_only(d, a, name):
    log = d.requests()
    own = ("http://127.0.0.1:%d/" % a.port, "ws://127.0.0.1:%d/" % a.port)
    # data: (the empty icon) is no request at all
    off = [u for u in log if not u.startswith(own + ("data:",))]
    check(name + ": every request to the service's origin (%d seen)" %
          len(log), log and not off, "off origin: %s" % off[:5])


def console_clean(d, name):
    errs = [e for e in d.errors() if "401" not in e]
    check(name + ": no console error (CSP, script)", not errs, errs[:3])


# ------------------------------------------------------------ flow's steps

def live(d, a):
    d.open(a.base)
    wait(d, "live", lambda x: text(x, "#conn") == "Live", 15)
    check("page: the job list shows, no token prompt",
          shown(d, "#app") and not shown(d, "#auth"))
    shot(d, a, "01-empty")


def form(d, a):
    # ingest through the form, keyboard only
    d.click("#i-repo")
    d.type("#i-repo", a.fast)
    d.type("#i-chunks", SPACE)
    d.type("#i-repo", ENTER)
    tr = wait(d, "form: the job appears", lambda x: info(x, a.fast), 15)
    if tr is not None:
        ok("form: the job appears")
    done = wait(d, "form: the row turns completed",
                lambda x: info(x, a.fast, "completed"), 60)
    if done is None:
        return
    ok("form: the row turns completed")
    time.sleep(0.5)     # the whole job, fetched once it moved
    done = info(d, a.fast, "completed")
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
    d.type("tr[data-job='%s'] a" % done["id"], ENTER)
    det = wait(d, "detail", lambda x: text(x, "#detail-body"), 10)
    check("detail: the job's JSON with its result",
          det and '"objects": 2' in det, det)
    shot(d, a, "02-completed")
    d.click("#detail-close")


def slow(d, a):
    # a slow job: progress while it runs, cancel from the page
    d.clear("#i-repo")
    d.type("#i-repo", a.slow)
    d.click("#i-go")
    run = wait(d, "slow: the bar moves with phase and bytes",
               lambda x: (lambda r: r if r is not None and
                          "downloading" in r["text"] and
                          "KiB" in r["text"] else None)(
                              info(x, a.slow, "running")), 30)
    if run is None:
        return
    ok("slow: the bar moves with phase and bytes")
    shot(d, a, "03-running")
    shot(d, a, "03-running-small", 0.6)  # README's docs/page.png
    check("slow: the cancel button is labelled",
          run["button"] == "Cancel " + a.slow, run)
    press(d, "slow: cancel", "tr[data-job='%s'] button" % run["id"])
    c = wait(d, "slow: cancelled from the page",
             lambda x: info(x, a.slow, "cancelled"), 20)
    if c is None:
        return
    ok("slow: cancelled from the page")
    shot(d, a, "04-cancelled")
    press(d, "slow: retry", "tr[data-job='%s'] button" % c["id"])
    r2 = wait(d, "slow: retried (a new row)", lambda x: (
        lambda rs: rs if len(rs) == 2 else None)(rows(x, a.slow)), 15)
    if r2 is None:
        return
    check("slow: the retry runs, the cancelled job kept",
          r2[0][2] in ("queued", "running") and r2[1][2] == "cancelled", r2)
    shot(d, a, "05-retried")
    press(d, "slow: the retry's cancel", "tr[data-job='%s'] button" % r2[0][0])
    end = wait(d, "slow: the retry cancelled too", lambda x:
               all(r[2] == "cancelled" for r in rows(x, a.slow)), 20)
    check("slow: the retry cancelled too", end)


def counts(d, a):
    # counts from /metrics
    c = wait(d, "counts", lambda x: (
        lambda t: t if "completed" in t and "cancelled" in t and
        "jobs/min" in t else None)(text(x, "#counts") or ""), 15)
    check("counts: by state and throughput", c is not None, c)


def filters(d, a):
    # state, then repository
    d.select("#f-status", "completed")
    d.click("#filters button")
    sts = wait(d, "filter: state", lambda x: (lambda rs: rs if rs and all(
        r[2] == "completed" for r in rs) else None)(rows(x)), 10)
    check("filter: state completed shows only completed jobs",
          sts is not None and not [r for r in sts if r[1] == a.slow], sts)
    d.select("#f-status", "any")
    d.type("#f-repo", a.slow + ENTER)
    rs = wait(d, "filter: repository", lambda x: (
        lambda rs: rs if rs and all(r[1] == a.slow for r in rs) else None)(
        rows(x)), 10)
    check("filter: repository shows only its jobs",
          rs is not None and len(rs) == 2, rs)
    shot(d, a, "06-filtered")
    d.clear("#f-repo")
    d.click("#filters button")


def paging(d, a):
    # page.sh posted more jobs than one page holds
    first = wait(d, "paging: a full page", lambda x: (
        lambda rs: rs if len(rs) == 20 else None)(rows(x)), 10)
    check("paging: a full first page, Older enabled",
          first is not None and
          d.js("return !document.getElementById('older').disabled"))
    first = [r[0] for r in first or []]
    d.click("#older")
    p2 = wait(d, "paging: the next page", lambda x: (
        lambda ids: ids if ids and ids[0] not in first else None)(
        [r[0] for r in rows(x)]), 10)
    check("paging: Older shows other (older) jobs, Page 2",
          p2 is not None and not set(p2) & set(first) and
          text(d, "#page-no") == "Page 2", p2)
    d.click("#newer")
    back = wait(d, "paging: back", lambda x: (
        lambda ids: ids if ids == first else None)(
        [r[0] for r in rows(x)]), 10)
    check("paging: Newer returns to the first page", back is not None)


def search(d, a):
    d.type("#q", a.word + ENTER)
    res = wait(d, "search: results", lambda x: texts(x, "#results li"), 15)
    if res:
        t = res[0]
        check("search: path:lines, repository and snippet",
              ".c:" in t and a.fast in t and a.word in t, t)
    d.js("document.getElementById('search-h').scrollIntoView()")
    shot(d, a, "07-search")


def clean(d, a):
    check("page: the token is nowhere (none set)",
          d.js("return sessionStorage.length") == 0)
    origin_only(d, a, "flow")
    console_clean(d, "flow")


def schedule(d, a):
    # flow's service has no --feed: no panel (and no request for it, which
    # clean's console check would see as a 404)
    check("schedule: panel hidden without --feed", not shown(d, "#sched"))


FLOW = [live, form, slow, counts, filters, paging, search, schedule, clean]


# ------------------------------------------------------------ token's steps

def prompt(d, a):
    d.open(a.base)
    p = wait(d, "token: the prompt", lambda x: shown(x, "#auth"), 15)
    check("token: without it the page shows the prompt", p)
    check("token: and no data",
          not shown(d, "#app") and count(d, "#jobs tbody tr") == 0 and
          text(d, "#counts") == "")
    check("token: the prompt has focus, labelled",
          d.js("return document.activeElement.id") == "token" and
          text(d, "label[for=token]"))
    shot(d, a, "08-token-prompt")


def wrong(d, a):
    d.type("#token", "wrong" + ENTER)
    m = wait(d, "token: a wrong one refused", lambda x: (
        lambda t: t if t and "refused" in t else None)(
        text(x, "#auth-msg")), 10)
    check("token: a wrong one is refused, still no data",
          m and not shown(d, "#app"))


def given(d, a):
    d.type("#token", a.token + ENTER)
    live_ = wait(d, "token: live with it",
                 lambda x: text(x, "#conn") == "Live", 15)
    check("token: with it the jobs show and the list is live",
          live_ and count(d, "#jobs tbody tr[data-job]"))
    shot(d, a, "09-token-given")


def kept(d, a):
    tok = a.token
    check("token: kept in sessionStorage only",
          d.js("return sessionStorage.getItem('repodigest.token')") == tok and
          d.js("return localStorage.length") == 0 and d.cookies() == [])
    check("token: not in the page's URL",
          tok not in d.url() and tok not in d.js("return location.href"))
    http = [u for u in d.requests() if u.startswith("http")]
    check("token: never in an HTTP request's URL (%d)" % len(http),
          http and not [u for u in http if tok in u])
    origin_only(d, a, "token")


TOKEN = [prompt, wrong, given, kept]


# ------------------------------------------------------------ schedule's steps

def sched_panel(d, a):
    d.open(a.base)
    wait(d, "schedule: live", lambda x: text(x, "#conn") == "Live", 15)
    n = int(a.want)
    t = wait(d, "schedule: the first pass shown", lambda x: (
        lambda v: v if v and "Last pass completed" in v else None)(
        text(x, "#sched-text")), 30)
    check("schedule: panel shown", shown(d, "#sched"))
    check("schedule: %d of %d jobs done, unchanged count (%s)" % (n, n, t),
          t and "%d of %d jobs done" % (n, n) in t and "unchanged" in t)
    check("schedule: the bar full", d.js(
        "const b = document.getElementById('sched-bar');"
        "return [b.value, b.max];") == [n, n])
    check("schedule: the bar labelled, the text announced",
          d.js("return document.getElementById('sched-bar')"
               ".getAttribute('aria-labelledby')") == "sched-h" and
          d.js("return document.getElementById('sched-text')"
               ".getAttribute('aria-live')") == "polite")
    check("schedule: the next pass shown",
          (text(d, "#sched-next") or "").startswith("Next pass: "))
    shot(d, a, "11-schedule")


def sched_clean(d, a):
    console_clean(d, "schedule")


SCHEDULE = [sched_panel, sched_clean]


def run(browser, steps, a):
    try:
        d = page_drivers.start(browser)
    except Exception as e:  # noqa: BLE001 - one bad line says why
        bad(browser, "did not start: %s: %s" % (type(e).__name__, e))
        return
    print("browser " + d.version(), flush=True)
    try:
        for step in steps:
            try:
                step(d, a)
            except Exception as e:  # noqa: BLE001 - a bad line, then on
                bad(step.__name__, "%s: %s" % (type(e).__name__, e))
    finally:
        d.quit()


def main():
    # timeout(1)'s SIGTERM: quit the browser on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    browser, cmd = sys.argv[1], sys.argv[2]
    a = SimpleNamespace(port=int(sys.argv[3]), shots=sys.argv[4])
    a.base = "http://127.0.0.1:%d/" % a.port
    if cmd == "flow":
        a.fast, a.slow, a.word = sys.argv[5], sys.argv[6], sys.argv[7]
        run(browser, FLOW, a)
    elif cmd == "token":
        a.token = sys.argv[5]
        run(browser, TOKEN, a)
    elif cmd == "schedule":
        a.want = sys.argv[5]
        run(browser, SCHEDULE, a)
    else:
        bad("usage", "unknown command " + cmd)
    sys.exit(1 if serve_client.FAILS else 0)


if __name__ == "__main__":
    main()
