// The tuneflow dashboard: plain JavaScript over the REST API (/api/v1), no framework, no build step.
// Pages by URL hash: #/ (campaigns and the start form), #/c/<id> (one campaign, live through the event
// stream), #/c/<id>/t/<n> (one trial). A token, when the server wants one, is kept in sessionStorage and
// sent as a header (never in a URL); the event stream is read with fetch for the same reason.
'use strict';

const API = '/api/v1';
const app = document.getElementById('app');
let stopStream = () => {};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'onclick' || k === 'onsubmit') node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

const fmt = (v) => (v === null || v === undefined ? '–' : typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v));

function headers(extra = {}) {
  const token = sessionStorage.getItem('tuneflow-token');
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

async function api(path, init = {}) {
  const res = await fetch(`${API}${path}`, { ...init, headers: headers(init.headers) });
  if (res.status === 401) document.getElementById('token-box').hidden = false;
  const type = res.headers.get('content-type') || '';
  const body = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, ok: res.ok, body };
}

document.getElementById('token-form').onsubmit = (e) => {
  e.preventDefault();
  sessionStorage.setItem('tuneflow-token', document.getElementById('token').value);
  document.getElementById('token-box').hidden = true;
  route();
};

// ---- #/ : campaigns and the start form ----

async function listPage() {
  const list = el('div', { id: 'campaigns' }, 'Loading…');
  const spec = el('textarea', { id: 'spec', rows: 16, spellcheck: 'false', placeholder: 'name: my-search\ndataset: synthetic-shapes\nmodel: mlp\n...' });
  const file = el('input', { type: 'file', id: 'spec-file', accept: '.yaml,.yml,.json' });
  file.onchange = async () => { if (file.files[0]) spec.value = await file.files[0].text(); };
  const out = el('div', { id: 'start-result' });
  const start = el('button', { id: 'start' }, 'Start campaign');
  start.onclick = async () => {
    out.replaceChildren('Starting…');
    const res = await api('/campaigns', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: spec.value });
    if (res.status === 201) { location.hash = `#/c/${res.body.id}`; return; }
    out.replaceChildren(problemsView(res.body, spec.value));
  };
  app.replaceChildren(el('h2', {}, 'Campaigns'), list, el('h2', {}, 'Start a campaign'), el('p', { class: 'muted' }, 'Paste a spec (YAML or JSON) or pick a file.'), file, spec, el('p', {}, start), out);
  const res = await api('/campaigns?limit=100');
  if (!res.ok) { list.replaceChildren(el('p', { class: 'problems' }, res.body.error || `HTTP ${res.status}`)); return; }
  if (res.body.campaigns.length === 0) { list.replaceChildren(el('p', { class: 'muted' }, 'No campaigns yet.')); return; }
  list.replaceChildren(el('table', {},
    el('tr', {}, el('th', { class: 'l' }, 'campaign'), el('th', { class: 'l' }, 'status'), el('th', { class: 'l' }, 'phase'), el('th', {}, 'best'), el('th', { class: 'l' }, 'started')),
    res.body.campaigns.map((c) => el('tr', {},
      el('td', { class: 'l' }, el('a', { href: `#/c/${c.id}` }, c.id)), el('td', { class: 'l' }, c.workflowStatus), el('td', { class: 'l' }, c.phase || ''),
      el('td', {}, fmt(c.best)), el('td', { class: 'l' }, new Date(c.startTime).toLocaleString())))));
}

/** A refused spec: each problem as file:line:column, and the text with those lines marked. */
function problemsView(body, text) {
  const problems = body.problems || [];
  const lines = new Set(problems.map((p) => p.line));
  const items = problems.map((p) => el('li', { class: 'problem' }, `${p.line ? `line ${p.line}:${p.column}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`));
  const source = el('div', { class: 'source' }, text.split('\n').map((line, i) => el('div', lines.has(i + 1) ? { class: 'err', 'data-line': i + 1 } : {}, `${String(i + 1).padStart(3)}  ${line}`)));
  return el('div', { class: 'problems' }, el('p', {}, body.error || 'refused'), el('ul', {}, items), problems.length ? source : null);
}

// ---- #/c/<id> : one campaign, live ----

async function campaignPage(id) {
  const phase = el('b', { id: 'phase' }, '…');
  const counts = el('span', { id: 'counts' });
  const bar = el('div', { class: 'bar' }, el('div', { id: 'bar', style: 'width:0%' }));
  const best = el('div', { id: 'best' });
  const eta = el('span', { id: 'eta', class: 'muted' });
  const links = el('p', { id: 'links', class: 'muted' });
  const message = el('div', { id: 'message' });
  const board = el('div', { id: 'leaderboard' });
  const plots = el('div', { id: 'plots' }, el('p', { class: 'muted' }, 'Plots load from the report…'));
  const extendTrials = el('input', { id: 'extend-trials', type: 'number', min: 1, value: 2, style: 'width:4em' });
  const enqueueText = el('input', { id: 'enqueue-config', size: 40, placeholder: '{"learningRate": 0.003}' });
  const verb = async (name, body) => {
    message.replaceChildren('…');
    const init = body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await api(`/campaigns/${encodeURIComponent(id)}/${name}`, init);
    if (res.ok && res.body.started) message.replaceChildren(el('span', { class: 'ok' }, `${name}: continued as `, el('a', { href: `#/c/${res.body.started}` }, res.body.started)));
    else if (res.ok) { message.replaceChildren(el('span', { class: 'ok' }, `${name}: done`)); if (res.body.progress) showProgress({ progress: res.body.progress, workflowStatus: 'RUNNING' }); }
    else message.replaceChildren(el('span', { class: 'problems refusal' }, `${name} refused: ${res.body.error}${res.body.problems ? ` (${res.body.problems.map((p) => `${p.path}: ${p.message}`).join('; ')})` : ''}`));
  };
  let configs;
  const controls = el('p', { class: 'controls' },
    ['pause', 'resume', 'stop'].map((v) => el('button', { id: `btn-${v}`, onclick: () => verb(v) }, v)),
    el('button', { id: 'btn-extend', onclick: () => verb('extend', { trials: Number(extendTrials.value) }) }, 'extend by'), extendTrials, ' trials ',
    el('button', { id: 'btn-enqueue', onclick: () => { try { configs = JSON.parse(enqueueText.value); } catch (e) { message.replaceChildren(el('span', { class: 'problems refusal' }, `enqueue: not JSON (${e.message})`)); return; } verb('enqueue', { configurations: Array.isArray(configs) ? configs : [configs] }); } }, 'enqueue'), enqueueText);
  app.replaceChildren(
    el('h2', {}, id), el('p', {}, 'Phase ', phase, ' · ', counts, ' ', eta), bar, best, links, controls, message,
    el('h3', {}, 'Leaderboard'), board, el('h3', {}, 'Plots'), plots,
    el('p', {}, el('a', { href: '#', id: 'report-link' }, 'report'), ' · ', el('a', { href: '#', id: 'zip-link' }, 'results.zip')));
  for (const [linkId, path, name] of [['report-link', 'report', `report-${id}.html`], ['zip-link', 'results.zip', `tuneflow-report-${id}.zip`]]) {
    document.getElementById(linkId).onclick = async (e) => {
      e.preventDefault();
      const res = await fetch(`${API}/campaigns/${encodeURIComponent(id)}/${path}`, { headers: headers() });
      const a = el('a', { href: URL.createObjectURL(await res.blob()), download: name });
      a.click();
    };
  }

  function showProgress(s) {
    const p = s.progress;
    if (!p) { phase.textContent = s.workflowStatus; return; }
    phase.textContent = s.workflowStatus === 'RUNNING' ? p.phase : `${p.phase} (${s.workflowStatus})`;
    const t = p.trials;
    const max = p.budget ? p.budget.maxTrials : t.total;
    counts.textContent = `${t.completed + t.pruned + t.failed} of ${max} trials finished (${t.completed} complete, ${t.pruned} pruned, ${t.failed} failed, ${t.running} running)`;
    document.getElementById('bar').style.width = `${Math.min(100, (100 * (t.completed + t.pruned + t.failed)) / Math.max(1, max))}%`;
    best.replaceChildren(p.best ? `Best: trial ${p.best.trialNumber}, ${p.metric || 'objective'} = ${fmt(p.best.value)} ${JSON.stringify(p.best.params)}` : 'No complete trial yet.');
    eta.textContent = s.etaSeconds ? `about ${Math.round(s.etaSeconds)} s left` : '';
  }
  async function showBoard() {
    const res = await api(`/campaigns/${encodeURIComponent(id)}/trials?limit=50`);
    if (!res.ok) { board.replaceChildren(el('p', { class: 'muted' }, res.body.error)); return; }
    const names = [...new Set(res.body.trials.flatMap((t) => Object.keys(t.params)))];
    board.replaceChildren(el('table', {},
      el('tr', {}, el('th', {}, 'rank'), el('th', {}, 'trial'), el('th', { class: 'l' }, 'state'), el('th', {}, 'value'), el('th', {}, 'epochs'), names.map((n) => el('th', {}, n))),
      res.body.trials.map((t) => el('tr', { class: 'trial-row' }, el('td', {}, t.rank), el('td', {}, el('a', { href: `#/c/${id}/t/${t.trialNumber}` }, t.trialNumber)),
        el('td', { class: 'l' }, t.state), el('td', {}, fmt(t.values && t.values[0])), el('td', {}, t.epochs), names.map((n) => el('td', {}, fmt(t.params[n])))))),
    el('p', { class: 'muted' }, `${res.body.total} trials`));
  }
  async function showPlots() {
    const res = await api(`/campaigns/${encodeURIComponent(id)}/report`);
    if (!res.ok) { plots.replaceChildren(el('p', { class: 'muted' }, res.body.error || 'no report yet')); return; }
    // The report's own plots (Vega-Lite rendered to SVG on the server): nothing to draw here.
    const doc = new DOMParser().parseFromString(res.body, 'text/html');
    plots.replaceChildren(...[...doc.querySelectorAll('section.plot')].map((s) => document.importNode(s, true)));
  }

  const status = await api(`/campaigns/${encodeURIComponent(id)}`);
  if (!status.ok) { app.replaceChildren(el('p', { class: 'problems' }, status.body.error)); return; }
  showProgress(status.body);
  links.replaceChildren(...[['Temporal UI', status.body.links.temporal], ['MLflow UI', status.body.links.mlflow]].filter(([, u]) => u).flatMap(([n, u]) => [el('a', { href: u, target: '_blank', rel: 'noopener' }, n), ' ']));
  // The report reads MLflow: not before the campaign has its run (after `loading`), then on each finished trial.
  let plotted = false;
  const plotOnce = (p) => { if (!plotted && p && p.phase !== 'loading') { plotted = true; showPlots(); } };
  showBoard();
  plotOnce(status.body.progress);
  follow(id, {
    progress: (s) => { showProgress(s); plotOnce(s.progress); },
    trial: () => { showBoard(); if (plotted) showPlots(); },
    end: () => { showBoard(); showPlots(); },
  });
}

/** The event stream, read with fetch so the token travels as a header. */
function follow(id, handlers) {
  const controller = new AbortController();
  stopStream = () => controller.abort();
  (async () => {
    const res = await fetch(`${API}/campaigns/${encodeURIComponent(id)}/events`, { headers: headers(), signal: controller.signal });
    if (!res.ok || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (event && data && handlers[event[1]]) handlers[event[1]](JSON.parse(data[1]));
      }
    }
  })().catch((e) => { if (e.name !== 'AbortError') console.warn('event stream:', e.message); });
}

// ---- #/c/<id>/t/<n> : one trial ----

/** One metric per epoch as a small line chart (SVG drawn here: a few points need no plotting library). */
function curve(name, points) {
  const w = 320, h = 120, pad = 24;
  const xs = points.map((p) => p.step), ys = points.map((p) => p.value);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const sy = (y) => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', w); svg.setAttribute('height', h); svg.setAttribute('class', 'curve');
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', points.map((p) => `${sx(p.step)},${sy(p.value)}`).join(' '));
  line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#2563eb'); line.setAttribute('stroke-width', '2');
  svg.append(line);
  for (const p of points) {
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', sx(p.step)); c.setAttribute('cy', sy(p.value)); c.setAttribute('r', 3); c.setAttribute('fill', '#2563eb');
    svg.append(c);
  }
  return el('div', { class: 'plot' }, el('b', {}, name), ` ${fmt(ys[0])} → ${fmt(ys[ys.length - 1])}`, el('br'), svg);
}

async function trialPage(id, n) {
  const res = await api(`/campaigns/${encodeURIComponent(id)}/trials/${n}`);
  if (!res.ok) { app.replaceChildren(el('p', { class: 'problems' }, res.body.error)); return; }
  const t = res.body;
  app.replaceChildren(
    el('p', {}, el('a', { href: `#/c/${id}` }, `← ${id}`)),
    el('h2', { id: 'trial-title' }, `Trial ${t.trialNumber}`),
    el('p', {}, 'State ', el('b', { id: 'trial-state' }, t.state), t.reason ? ` (${t.reason})` : '', ` · ${t.epochs} epochs · value ${fmt(t.values && t.values[0])}`, t.links.mlflow ? [' · ', el('a', { href: t.links.mlflow, target: '_blank', rel: 'noopener' }, 'MLflow run')] : ''),
    el('table', { id: 'trial-params' }, Object.entries(t.params).map(([k, v]) => el('tr', {}, el('th', { class: 'l' }, k), el('td', {}, fmt(v))))),
    el('h3', {}, 'Metrics per epoch'),
    el('div', { id: 'curves' }, Object.entries(t.metrics).filter(([, pts]) => pts.length > 0).map(([k, pts]) => curve(k, pts))));
}

async function route() {
  stopStream();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'c' && parts[1] && parts[2] === 't' && parts[3] !== undefined) return trialPage(parts[1], parts[3]);
  if (parts[0] === 'c' && parts[1]) return campaignPage(parts[1]);
  return listPage();
}

window.addEventListener('hashchange', route);
route();
