// repodigest serve's page: the job list live over /ws, ingest, cancel,
// retry, filters, paging, counts from /metrics, search through /v1/query,
// the feed schedule's pass from /v1/schedule.
// Everything comes from this origin; the token (when the service needs one)
// lives in sessionStorage only and goes out as a header, or as access_token
// on the WebSocket, which cannot carry headers.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = 'repodigest.token';
  const PAGE = 20;
  // the original's words on /ws -> the /v1 words the table shows
  const WORD = { pending: 'queued', in_progress: 'running' };
  const MARK = { queued: '… ', running: '▶ ', completed: '✓ ', failed: '✗ ', cancelled: '■ ' };
  let token = sessionStorage.getItem(KEY) || '';
  let cursors = [null];          // before= of each page seen; [0]: the newest
  let pageNo = 0;
  let next = null;
  let ws = null;
  let wsTries = 0;
  const rows = new Map();        // jobId -> {tr, job}
  let refreshTimer = 0;
  let lastFin = null;            // {n, t}: finished jobs at the previous read
  let rate = null;               // jobs a minute, from the last two reads
  let hasSched = false;          // the service has --feed (from /metrics)

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }

  // fetch JSON from the API; a 401 shows the token prompt and throws
  async function api(method, path, body) {
    const init = { method: method, headers: headers(body ? { 'Content-Type': 'application/json' } : null),
      cache: 'no-store' };
    if (body) init.body = JSON.stringify(body);
    const r = await fetch(path, init);
    if (r.status === 401) { needToken(token ? 'That token was refused.' : null); throw new Error('unauthorized'); }
    const t = await r.text();
    let d = null;
    try { d = t ? JSON.parse(t) : null; } catch (e) { d = { text: t }; }
    if (!r.ok) {
      const m = d && d.error && d.error.message ? d.error.message : (r.status + ' ' + r.statusText);
      const err = new Error(m); err.status = r.status; throw err;
    }
    return { status: r.status, body: d };
  }

  function needToken(why) {
    closeWs();
    $('app').hidden = true;
    $('jobs').querySelector('tbody').textContent = '';
    $('counts').textContent = '';
    $('results').textContent = '';
    rows.clear();
    $('auth').hidden = false;
    const m = $('auth-msg');
    if (why) { m.textContent = why; m.className = 'error'; }
    $('conn').textContent = 'Token needed';
    $('token').focus();
  }

  function say(id, text, isError) {
    const m = $(id);
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function size(n) {
    if (n === null || n === undefined) return '';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1048576).toFixed(1) + ' MiB';
  }

  function duration(j) {
    if (!j.startedAt) return '';
    const a = Date.parse(j.startedAt);
    const b = j.finishedAt ? Date.parse(j.finishedAt) : Date.now();
    const s = Math.max(0, (b - a) / 1000);
    return s < 60 ? s.toFixed(1) + ' s' : Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  }

  function progressCell(td, j) {
    td.textContent = '';
    const p = el('progress');
    p.max = 100;
    p.value = j.progress || 0;
    const parts = [(j.progress || 0) + '%'];
    if (j.phase) parts.push(j.phase);
    if (j.bytes) parts.push(size(j.bytes) + (j.total ? ' of ' + size(j.total) : ''));
    if (j.files) parts.push(j.files + ' files');
    if (j.currentFile) parts.push(j.currentFile);
    const label = parts.join(' · ');
    p.setAttribute('aria-label', label);
    p.textContent = label;
    td.appendChild(p);
    td.appendChild(el('span', label, 'ptext'));
  }

  function button(text, label, fn) {
    const b = el('button', text);
    b.type = 'button';
    b.setAttribute('aria-label', label);
    b.addEventListener('click', fn);
    return b;
  }

  function render(tr, j) {
    // keep keyboard focus on a row's button across a redraw
    const f = document.activeElement;
    const refocus = f && f.tagName === 'BUTTON' && tr.contains(f) ? f.textContent : null;
    tr.textContent = '';
    tr.dataset.status = j.status;
    tr.appendChild(el('td', j.repository));
    tr.appendChild(el('td', j.ref));
    tr.appendChild(el('td', (MARK[j.status] || '') + j.status, 'state s-' + j.status));
    const pc = el('td');
    progressCell(pc, j);
    tr.appendChild(pc);
    tr.appendChild(el('td', j.attempts + ' of ' + j.maxAttempts));
    tr.appendChild(el('td', duration(j)));
    const res = el('td');
    if (j.error) {
      res.className = 'err';
      res.textContent = 'Error: ' + j.error;
    } else if (j.result) {
      const r = j.result;
      const a = el('a', r.cached ? 'cached, nothing stored' :
        r.objects + (r.objects === 1 ? ' object, ' : ' objects, ') + size(r.bytes));
      a.href = '/v1/jobs/' + encodeURIComponent(j.jobId);
      a.addEventListener('click', (ev) => {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
        ev.preventDefault();
        showJob(j.jobId);
      });
      res.appendChild(a);
      res.appendChild(el('span', ' ' + r.files + ' files, ' + r.tokens + ' tokens', 'ptext'));
    }
    tr.appendChild(res);
    const act = el('td');
    const who = j.repository + (j.ref && j.ref !== 'HEAD' ? '@' + j.ref : '');
    if (j.status === 'queued' || j.status === 'running') {
      act.appendChild(button('Cancel', 'Cancel ' + who, () => act_(j, 'DELETE', '')));
    }
    if (j.status === 'failed' || j.status === 'cancelled') {
      act.appendChild(button('Retry', 'Retry ' + who, () => act_(j, 'POST', '/retry')));
    }
    tr.appendChild(act);
    if (refocus) for (const b of act.querySelectorAll('button')) if (b.textContent === refocus) b.focus();
  }

  async function act_(j, method, suffix) {
    try {
      const r = await api(method, '/v1/jobs/' + encodeURIComponent(j.jobId) + suffix);
      const nj = r.body;
      say('msg', (suffix ? 'Retry of ' : 'Cancel of ') + j.repository + ': ' + nj.status +
        (nj.cancelRequested && nj.status === 'running' ? ' (stopping)' : ''));
      if (nj.jobId !== j.jobId) scheduleRefresh(); else upsert(nj);
    } catch (e) {
      if (e.message !== 'unauthorized') say('msg', j.repository + ': ' + e.message, true);
    }
  }

  function upsert(j) {
    const have = rows.get(j.jobId);
    if (have) {
      have.job = j;
      render(have.tr, j);
    }
  }

  async function showJob(id) {
    try {
      const r = await api('GET', '/v1/jobs/' + encodeURIComponent(id));
      $('detail-body').textContent = JSON.stringify(r.body, null, 2);
      $('detail').hidden = false;
      $('detail-close').focus();
    } catch (e) {
      if (e.message !== 'unauthorized') say('msg', e.message, true);
    }
  }

  function filterQuery() {
    const q = new URLSearchParams();
    const st = $('f-status').value, pr = $('f-project').value.trim(), re = $('f-repo').value.trim();
    if (st) q.set('status', st);
    if (pr) q.set('project', pr);
    if (re) q.set('repo', re);
    q.set('limit', String(PAGE));
    if (cursors[pageNo] !== null) q.set('before', String(cursors[pageNo]));
    return q.toString();
  }

  async function loadJobs() {
    let r;
    try {
      r = await api('GET', '/v1/jobs?' + filterQuery());
    } catch (e) {
      if (e.message !== 'unauthorized') say('msg', 'Jobs: ' + e.message, true);
      return false;
    }
    $('auth').hidden = true;
    $('app').hidden = false;
    $('forget').hidden = !token;
    const tb = $('jobs').querySelector('tbody');
    tb.textContent = '';
    rows.clear();
    for (const j of r.body.jobs) {
      const tr = el('tr');
      tr.dataset.job = j.jobId;
      render(tr, j);
      tb.appendChild(tr);
      rows.set(j.jobId, { tr: tr, job: j });
    }
    if (r.body.jobs.length === 0) {
      const tr = el('tr');
      const td = el('td', 'No jobs.');
      td.colSpan = 8;
      tr.appendChild(td);
      tb.appendChild(tr);
    }
    next = r.body.next;
    $('older').disabled = next === null || next === undefined;
    $('newer').disabled = pageNo === 0;
    $('page-no').textContent = 'Page ' + (pageNo + 1);
    return true;
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = 0; loadJobs(); loadCounts(); }, 300);
  }

  async function loadCounts() {
    let t;
    try {
      const r = await fetch('/metrics', { headers: headers(), cache: 'no-store' });
      if (r.status === 401) { needToken(null); return; }
      t = await r.text();
    } catch (e) { return; }
    const dl = $('counts');
    dl.textContent = '';
    const add = (k, v) => {
      const d = el('div');
      d.appendChild(el('dt', k));
      d.appendChild(el('dd', v));
      dl.appendChild(d);
    };
    const re = /^repodigest_jobs\{state="([a-z]+)"\} ([0-9.e+]+)$/gm;
    let m;
    while ((m = re.exec(t)) !== null) add(m[1], Number(m[2]));
    let fin = 0;
    const rf = /^repodigest_jobs_finished_total\{state="([a-z]+)"\} ([0-9.e+]+)$/gm;
    while ((m = rf.exec(t)) !== null) fin += Number(m[2]);
    const b = /^repodigest_workers_busy ([0-9]+)/m.exec(t), w = /^repodigest_workers ([0-9]+)/m.exec(t);
    add('finished since start', fin);
    // throughput: jobs finished a minute between reads of /metrics at
    // least 2 s apart (the last figure stays between them)
    const now = Date.now();
    if (!lastFin || now - lastFin.t >= 2000) {
      if (lastFin) rate = (fin - lastFin.n) * 60000 / (now - lastFin.t);
      lastFin = { n: fin, t: now };
    }
    if (rate !== null) add('throughput', rate.toFixed(1) + ' jobs/min');
    if (b && w) add('workers busy', b[1] + ' of ' + w[1]);
    // the schedule's lines are there only with --feed: no request for it
    // otherwise (a 404 would be a console error)
    hasSched = /^repodigest_schedule_pass_running /m.test(t);
    if (hasSched) loadSchedule(); else $('sched').hidden = true;
  }

  function closeWs() {
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
  }

  function openWs() {
    closeWs();
    const u = new URL('/ws', location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // the WebSocket API cannot set headers: the token goes as the service
    // accepts it there; this URL is neither shown nor stored
    if (token) u.searchParams.set('access_token', token);
    const s = new WebSocket(u.toString());
    ws = s;
    s.onopen = () => {
      wsTries = 0;
      s.send(JSON.stringify({ action: 'subscribe', project: 'all', topics: ['github:progress'] }));
    };
    s.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === 'subscribed') { $('conn').textContent = 'Live'; return; }
      if (m.type !== 'github:progress' || !m.data) return;
      onEvent(m.data);
    };
    s.onclose = () => {
      ws = null;
      $('conn').textContent = 'Disconnected: reconnecting…';
      // back off 1, 2, 4 ... 30 s; a refused token shows the prompt via loadJobs
      const d = Math.min(30000, 1000 * Math.pow(2, wsTries++));
      setTimeout(() => { if (!$('app').hidden) { loadJobs().then((ok) => { if (ok) openWs(); }); } }, d);
    };
  }

  function onEvent(d) {
    const st = WORD[d.status] || d.status;
    const have = rows.get(d.jobId);
    if (!have) {
      if (pageNo === 0) scheduleRefresh();   // a new job on the newest page
      return;
    }
    const j = Object.assign({}, have.job);
    const changed = j.status !== st;
    j.status = st;
    j.progress = d.progress;
    j.phase = d.phase;
    j.currentFile = d.currentFile;
    if ('bytes' in d) { j.bytes = d.bytes; j.total = d.total; j.files = d.files; }
    if (d.error) j.error = d.error;
    have.job = j;
    render(have.tr, j);
    if (changed) {
      // the whole job (attempts, result, times) once its state moves
      api('GET', '/v1/jobs/' + encodeURIComponent(d.jobId)).then((r) => upsert(r.body), () => {});
      loadCounts();
    }
  }

  // the feed schedule (serve --feed): hidden when the service has none
  function when(t) { return t ? new Date(t).toLocaleString() : ''; }
  async function loadSchedule() {
    let d;
    try {
      d = (await api('GET', '/v1/schedule')).body;
    } catch (e) {
      if (e.status === 404) $('sched').hidden = true;
      return;
    }
    const p = d.pass || d.lastPass;
    $('sched').hidden = false;
    $('sched-feed').textContent = 'Feed ' + d.feed + ', every ' + d.every;
    const bar = $('sched-bar');
    let text = 'No pass yet';
    if (p) {
      const done = p.completed + p.failed;
      bar.max = Math.max(p.queued, 1);
      bar.value = d.pass ? done : bar.max;
      text = (d.pass ? 'Pass under way: ' : 'Last pass ' + p.outcome + ' ' + when(p.finishedAt) + ': ') +
        done + ' of ' + p.queued + ' jobs done' + (p.failed ? ' (' + p.failed + ' failed)' : '') +
        (d.pass ? ', ' + p.running + ' running' : '') + ', ' + p.unchanged + ' unchanged, ' +
        p.skipped + ' records skipped' + (p.error ? '. Error: ' + p.error : '');
    }
    bar.textContent = text;
    $('sched-text').textContent = text;
    $('sched-text').className = p && p.error ? 'error' : '';
    $('sched-next').textContent = d.nextPassAt ? 'Next pass: ' + when(d.nextPassAt) +
      (d.overdue ? ' (' + d.note + ')' : '') : 'No further pass (stopping)';
  }

  async function start() {
    if (await loadJobs()) {
      loadCounts();
      openWs();
    }
  }

  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    token = $('token').value.trim();
    $('token').value = '';
    if (token) sessionStorage.setItem(KEY, token); else sessionStorage.removeItem(KEY);
    say('auth-msg', 'Checking…');
    start();
  });

  $('forget').addEventListener('click', () => {
    token = '';
    sessionStorage.removeItem(KEY);
    start();
  });

  $('ingest').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const formats = [];
    if ($('i-full').checked) formats.push('full');
    if ($('i-chunks').checked) formats.push('chunks');
    if (formats.length === 0) { say('msg', 'Choose at least one format.', true); return; }
    const body = { repo: $('i-repo').value.trim(), formats: formats };
    const ref = $('i-ref').value.trim();
    if (ref) body.ref = ref;
    try {
      const r = await api('POST', '/v1/jobs', body);
      say('msg', body.repo + ': job ' + r.body.status + (r.status === 200 ? ' (an existing job answers it)' : ''));
      pageNo = 0; cursors = [null];
      await loadJobs();
      loadCounts();
    } catch (e) {
      if (e.message !== 'unauthorized') say('msg', body.repo + ': ' + e.message, true);
    }
  });

  $('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    pageNo = 0; cursors = [null];
    loadJobs();
  });

  $('older').addEventListener('click', () => {
    if (next === null || next === undefined) return;
    cursors[pageNo + 1] = next;
    pageNo++;
    loadJobs();
  });

  $('newer').addEventListener('click', () => {
    if (pageNo === 0) return;
    pageNo--;
    loadJobs();
  });

  $('detail-close').addEventListener('click', () => { $('detail').hidden = true; });

  $('search').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { query: $('q').value, k: 10 };
    const pr = $('q-project').value.trim();
    if (pr) body.project = pr;
    const ol = $('results');
    ol.textContent = '';
    try {
      const r = await api('POST', '/v1/query', body);
      const res = r.body.results || [];
      say('q-msg', res.length + (res.length === 1 ? ' result' : ' results'));
      for (const x of res) {
        const li = el('li');
        li.appendChild(el('span', x.path + ':' + x.start_line + '-' + x.end_line, 'loc'));
        li.appendChild(el('span', ' ' + x.repo + (x.ref && x.ref !== 'HEAD' ? '@' + x.ref : '') +
          ' · score ' + Number(x.score).toPrecision(3)));
        const snip = (x.text || '').split('\n').slice(0, 8).join('\n');
        li.appendChild(el('pre', snip));
        ol.appendChild(li);
      }
    } catch (e) {
      if (e.message !== 'unauthorized') say('q-msg', 'Search: ' + e.message, true);
    }
  });

  // durations of running jobs move without events
  setInterval(() => {
    for (const v of rows.values()) {
      if (v.job.status === 'running' && v.tr.children[5]) v.tr.children[5].textContent = duration(v.job);
    }
  }, 1000);
  setInterval(loadCounts, 10000);
  setInterval(() => { if (hasSched && !$('app').hidden) loadSchedule(); }, 3000);

  start();
})();
