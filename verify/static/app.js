// app.js - the operators' verification page: log-in, batches, the queue of
// one batch, and the ballot view with the decision form, all driven from the
// keyboard. Talks to the JSON API of verify/server.c; every POST carries the
// session's CSRF token.
'use strict';

const state = {
  me: null,          // {name, role, csrf, can_decide}
  view: 'login',
  batches: [], batchSel: 0,
  batch: null,       // the batch being worked on
  item: null,        // the item shown
  matches: [], matchSel: 0,
  writeIns: [],      // [{list, candidate, name, text}] or [{text}]
  rejecting: false,
  decidedAt: 0,      // performance.now() when the last decision was sent
  decisionToNextMs: [], // measured: decision sent -> next ballot shown
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function say(text, kind) {
  const m = $('message');
  m.textContent = text || '';
  m.className = kind || '';
}

async function api(method, url, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method === 'POST' && state.me) opts.headers['X-CSRF-Token'] = state.me.csrf;
  const r = await fetch(url, opts);
  let j = null;
  try { j = await r.json(); } catch (e) { j = { error: 'bad response' }; }
  if (r.status === 401 && url !== '/api/login') {
    state.me = null;
    show('login');
  }
  if (!r.ok) throw new Error(j && j.error ? j.error : ('HTTP ' + r.status));
  return j;
}

function show(view) {
  state.view = view;
  for (const v of ['login', 'batches', 'batch', 'item'])
    $('view-' + v).hidden = v !== view;
  $('who').hidden = !state.me;
  if (state.me) {
    $('who-name').textContent = state.me.name;
    $('who-role').textContent = state.me.role;
  }
  if (view === 'login') $('login-name').focus();
}

// ---- log-in ----

async function login(ev) {
  ev.preventDefault();
  try {
    state.me = await api('POST', '/api/login',
      { name: $('login-name').value, password: $('login-password').value });
    $('login-password').value = '';
    say('Logged in as ' + state.me.name, 'ok');
    await openBatches();
  } catch (e) {
    say(e.message, 'error');
  }
}

async function logout() {
  try { await api('POST', '/api/logout', {}); } catch (e) { /* gone anyway */ }
  state.me = null;
  show('login');
}

// ---- batches ----

async function openBatches() {
  const j = await api('GET', '/api/batches');
  state.batches = j.batches;
  const tb = $('batches').tBodies[0];
  tb.replaceChildren();
  j.batches.forEach((b, i) => {
    const tr = el('tr', { 'data-batch': b.id },
      el('td', { text: b.id }), el('td', { text: b.election }), el('td', { text: b.krets }),
      el('td', { text: b.category }), el('td', { text: b.committed ? 'committed' : 'open' }),
      el('td', { text: b.sheets }), el('td', { text: b.review }), el('td', { text: b.pending }));
    tr.addEventListener('click', () => openBatch(b.id));
    if (i === state.batchSel) tr.className = 'selected';
    tb.append(tr);
  });
  show('batches');
}

function moveBatchSel(d) {
  const n = state.batches.length;
  if (!n) return;
  state.batchSel = (state.batchSel + d + n) % n;
  [...$('batches').tBodies[0].rows].forEach((r, i) =>
    r.className = i === state.batchSel ? 'selected' : '');
}

async function openBatch(id) {
  const b = await api('GET', '/api/batch?id=' + encodeURIComponent(id));
  state.batch = b;
  $('batch-id').textContent = b.id;
  $('batch-state').textContent = b.committed ? 'committed' : 'open';
  $('batch-state').className = 'badge ' + (b.committed ? 'committed' : 'open');
  $('batch-counts').textContent = `${b.election} · krets ${b.krets} · ${b.category} · ` +
    `${b.sheets} sheets, ${b.review} for review, ${b.pending} pending` +
    (b.proposed ? `, ${b.proposed} rejection(s) waiting for a second operator` : '');
  const tb = $('items').tBodies[0];
  tb.replaceChildren();
  for (const it of b.items) {
    const tr = el('tr', { 'data-item': it.id },
      el('td', { text: it.id }), el('td', { text: it.sheet }),
      el('td', {}, el('span', { class: 'badge ' + it.state, text: it.state })),
      el('td', { text: (it.reasons || []).join(', ') }),
      el('td', { text: it.claim_by || '' }),
      el('td', { text: (it.decided_by || '') + (it.confirmed_by ? ' + ' + it.confirmed_by : '') }));
    tr.addEventListener('click', () => openItem(it.id));
    tb.append(tr);
  }
  $('start').disabled = b.pending === 0 || b.committed;
  $('commit').disabled = !state.me.can_decide || b.pending > 0 || b.committed;
  try {
    const t = await api('GET', '/api/tallies?batch=' + encodeURIComponent(b.id));
    $('tallies').textContent = JSON.stringify(t, null, 2);
  } catch (e) {
    $('tallies').textContent = e.message;
  }
  show('batch');
}

async function next() {
  if (!state.batch) return;
  const j = await api('GET', '/api/next?batch=' + encodeURIComponent(state.batch.id));
  if (j.item) {
    await openItem(j.item);
  } else {
    await openBatch(state.batch.id);
    say(state.batch.pending === 0 ? 'The queue is empty: the batch can be committed (c).'
                                   : 'Every remaining item is claimed by another operator.', 'ok');
  }
}

async function commitBatch() {
  if (!state.batch) return;
  try {
    await api('POST', '/api/commit', { batch: state.batch.id });
    say('Batch ' + state.batch.id + ' committed.', 'ok');
  } catch (e) {
    say(e.message, 'error');
  }
  await openBatch(state.batch.id);
}

// ---- the ballot view ----

// ---- registration: where the reference's millimetres are in the image ----

// Finds the style's registration marks (solid squares) in the page image and
// fits the affine map from reference millimetres to image pixels by least
// squares. A mark is looked for in the quarter of the image at its corner
// (the scan may be shifted, scaled or have margins) as the mark-sized box
// with the most dark pixels, sized as if the image were the page: a 15 %
// difference in scale still leaves the true mark covering 70 % of the box,
// and nothing else printed on a ballot is a solid square. Returns null (the
// regions keep the plain page-sized mapping) when fewer than three marks
// are found or the fit is off by more than 2 mm somewhere.
function fitRegistration(img, marks, pageMm, rotated) {
  const NW = img.naturalWidth, NH = img.naturalHeight;
  if (!NW || !NH || marks.length < 3) return null;
  // Searched at most 1000 pixels wide (about 0.3 mm a pixel on A4): fast,
  // and precise enough for drawing boxes.
  const f = Math.min(1, 1000 / NW);
  const W = Math.round(NW * f), H = Math.round(NH * f);
  const c = document.createElement('canvas');
  c.width = W; c.height = H;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(img, 0, 0, W, H);
  const sx = W / pageMm[0], sy = H / pageMm[1];
  const pairs = [];
  for (const m of marks) {
    const [x, y, w, h] = m.rect_mm;
    let right = x + w / 2 > pageMm[0] / 2, bottom = y + h / 2 > pageMm[1] / 2;
    if (rotated === 180) { right = !right; bottom = !bottom; }
    const bw = Math.max(3, Math.round(w * sx)), bh = Math.max(3, Math.round(h * sy));
    const x0 = right ? Math.floor(W / 2) : 0, y0 = bottom ? Math.floor(H / 2) : 0;
    const ww = Math.floor(W / 2), wh = Math.floor(H / 2);
    const d = g.getImageData(x0, y0, ww, wh).data;
    const I = new Int32Array((ww + 1) * (wh + 1)); // integral image of dark pixels
    for (let j = 0; j < wh; j++) {
      let row = 0;
      for (let i = 0; i < ww; i++) {
        const k = 4 * (j * ww + i);
        row += (d[k] + d[k + 1] + d[k + 2]) < 3 * 128 ? 1 : 0;
        I[(j + 1) * (ww + 1) + i + 1] = I[j * (ww + 1) + i + 1] + row;
      }
    }
    let best = -1, bx = 0, by = 0;
    for (let j = 0; j + bh <= wh; j++) {
      for (let i = 0; i + bw <= ww; i++) {
        const n = I[(j + bh) * (ww + 1) + i + bw] - I[j * (ww + 1) + i + bw] -
                  I[(j + bh) * (ww + 1) + i] + I[j * (ww + 1) + i];
        if (n > best) { best = n; bx = i; by = j; }
      }
    }
    if (best < 0.7 * bw * bh) continue; // no solid square here
    pairs.push({ mm: [x + w / 2, y + h / 2],
                 px: [(x0 + bx + bw / 2) / f, (y0 + by + bh / 2) / f] });
  }
  if (pairs.length < 3) return null;
  // Normal equations for px = A [mx, my, 1].
  const M = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], bxv = [0, 0, 0], byv = [0, 0, 0];
  for (const p of pairs) {
    const v = [p.mm[0], p.mm[1], 1];
    for (let r = 0; r < 3; r++) {
      for (let q = 0; q < 3; q++) M[r][q] += v[r] * v[q];
      bxv[r] += v[r] * p.px[0];
      byv[r] += v[r] * p.px[1];
    }
  }
  const solve = (A, b) => { // Cramer's rule, 3 x 3
    const det = (m) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const D = det(A);
    if (Math.abs(D) < 1e-9) return null;
    return [0, 1, 2].map((col) => det(A.map((row, r) => row.map((v, q) => (q === col ? b[r] : v)))) / D);
  };
  const ax = solve(M, bxv), ay = solve(M, byv);
  if (!ax || !ay) return null;
  const map = (mx, my) => [ax[0] * mx + ax[1] * my + ax[2], ay[0] * mx + ay[1] * my + ay[2]];
  for (const p of pairs) {
    const q = map(p.mm[0], p.mm[1]);
    if (Math.hypot(q[0] - p.px[0], q[1] - p.px[1]) > 2 * sx / f) return null;
  }
  return map;
}

function pct(v, total) { return (100 * v / total) + '%'; }

// Places every region of a side: rect_mm through `map` (mm -> image px of
// an image W x H, turned 180 degrees when shown turned) or, without a map,
// scaled as if the image were exactly the page.
function placeRegions(box, pageMm, map, W, H, rotated) {
  for (const d of box.querySelectorAll('.region')) {
    const [x, y, w, h] = JSON.parse(d.dataset.rect);
    if (!map) {
      d.style.left = pct(x, pageMm[0]);
      d.style.top = pct(y, pageMm[1]);
      d.style.width = pct(w, pageMm[0]);
      d.style.height = pct(h, pageMm[1]);
      continue;
    }
    const pts = [[x, y], [x + w, y], [x, y + h], [x + w, y + h]].map(([a, b]) => {
      const p = map(a, b);
      return rotated === 180 ? [W - p[0], H - p[1]] : p;
    });
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const l = Math.min(...xs), t = Math.min(...ys);
    d.style.left = pct(l, W);
    d.style.top = pct(t, H);
    d.style.width = pct(Math.max(...xs) - l, W);
    d.style.height = pct(Math.max(...ys) - t, H);
  }
}

function addRegion(layer, rect, cls, title) {
  layer.append(el('div', { class: 'region ' + cls, title: title || cls,
                           'data-rect': JSON.stringify(rect) }));
}

function drawSide(it, page, sideName) {
  const rec = it.record;
  const style = it.style;
  const pageMm = style && style.page_mm ? style.page_mm : [297, 210];
  const box = el('div', { class: 'side', 'data-side': sideName || '' });
  box.append(el('span', { class: 'label', text: (sideName || 'page') +
    (page && page.rotated ? ' (turned ' + page.rotated + '°)' : '') }));
  const sdef = style && style.sides ? style.sides.find((s) => s.name === sideName) : null;
  const regions = sdef ? sdef.regions : [];
  if (page) {
    const img = el('img', { src: page.url, alt: 'side ' + (sideName || '') });
    if (page.rotated === 180) img.className = 'rot180';
    img.addEventListener('load', () => {
      const map = fitRegistration(img, regions.filter((r) => r.type === 'registration_mark'),
                                  pageMm, page.rotated);
      box.dataset.registered = map ? 'yes' : 'no';
      placeRegions(box, pageMm, map, img.naturalWidth, img.naturalHeight, page.rotated);
    });
    box.append(img);
  } else {
    box.style.aspectRatio = pageMm[0] + ' / ' + pageMm[1];
  }
  const marks = {};
  for (const m of rec.marks || []) marks[m.candidate] = m;
  for (const r of regions) {
    if (r.type === 'registration_mark') continue;
    let cls = r.type, title = r.type;
    if (r.type === 'vote_box') {
      const m = r.candidate ? marks[r.candidate] : null;
      if (m) { cls += ' ' + m.state; title = `candidate ${r.candidate}: ${m.state} (${m.score})`; }
      else if (r.candidate && (rec.personal_votes || []).includes(r.candidate)) cls += ' marked';
      if (r.list) title = 'list ' + r.list;
    } else if (r.type === 'stamp_field') {
      cls += rec.stamp === false ? ' missing' : ' found';
      title = rec.stamp === false ? 'stamp field: no stamp found' : 'stamp field';
    }
    addRegion(box, r.rect_mm, cls, title);
  }
  for (const w of rec.writing || []) {
    if ((w.side || '') === (sideName || '') && w.bbox_mm)
      addRegion(box, w.bbox_mm, 'writing', 'writing (' + w.in + ')');
  }
  placeRegions(box, pageMm, null, 0, 0, 0);
  return box;
}

function renderSides(it) {
  const sides = $('sides');
  sides.replaceChildren();
  const drawn = new Set();
  for (const p of it.pages) {
    sides.append(drawSide(it, p, p.side));
    drawn.add(p.side);
  }
  // Sides the style has but no archived page shows: still draw the regions.
  for (const s of (it.style && it.style.sides) || [])
    if (!drawn.has(s.name)) sides.append(drawSide(it, null, s.name));
}

function listOptions(it) {
  const sel = $('f-list');
  sel.replaceChildren(el('option', { value: '', text: '— no list —' }));
  for (const l of (it.election && it.election.lists) || [])
    sel.append(el('option', { value: l.code, text: l.code + ' – ' + l.name }));
  sel.value = it.record.list || '';
}

async function openItem(id) {
  const it = await api('GET', '/api/item?id=' + id);
  state.item = it;
  state.writeIns = [];
  state.matches = [];
  state.rejecting = false;
  if (!state.batch || state.batch.id !== it.batch)
    state.batch = { id: it.batch };
  $('item-id').textContent = it.id;
  $('item-sheet').textContent = it.sheet;
  $('item-state').textContent = it.state;
  $('item-state').className = 'badge ' + it.state;
  $('item-claim').textContent = it.claim_by ? 'claimed by ' + it.claim_by : '';
  $('item-outcome').textContent = it.outcome;
  $('item-list').textContent = it.record.list || 'none';
  $('item-votes').textContent = (it.record.personal_votes || []).join(', ') || 'none';
  $('item-stamp').textContent = it.record.stamp === null || it.record.stamp === undefined
    ? '–' : (it.record.stamp ? 'found' : 'NOT found');
  $('item-reasons').replaceChildren(...(it.record.reasons || []).map((r) => el('li', { text: r })));
  const dec = $('item-decision');
  dec.replaceChildren();
  if (it.decision) {
    dec.append(el('div', { text: `Decision by ${it.decided_by}` +
      (it.confirmed_by ? `, confirmed by ${it.confirmed_by}` : '') + ': ' + describe(it.decision) }));
  }
  for (const r of it.remarks || []) dec.append(el('div', { text: `Remark by ${r.by}: ${r.text}` }));
  $('item-history').replaceChildren(...(it.history || []).map((h) =>
    el('li', { text: `#${h.seq} ${h.time} ${h.actor} ${h.kind}` })));
  listOptions(it);
  $('f-votes').value = (it.record.personal_votes || []).join(', ');
  $('f-wsearch').value = '';
  $('f-remark').value = '';
  $('grounds').hidden = true;
  renderMatches();
  renderWriteIns();
  const open = it.state === 'open';
  const mine = it.decided_by === state.me.name;
  const can = state.me.can_decide && !it.batch_committed;
  for (const b of ['b-approve', 'b-blank', 'b-reject']) $(b).disabled = !(can && open);
  $('b-confirm-reject').disabled = !(can && it.state === 'reject_proposed' && !mine);
  $('b-undo').disabled = !(state.me.can_decide && it.decision);
  for (const f of ['f-list', 'f-votes', 'f-wsearch', 'f-remark']) $(f).disabled = !(can && open);
  renderSides(it);
  show('item');
  if (state.decidedAt) {
    state.decisionToNextMs.push(performance.now() - state.decidedAt);
    state.decidedAt = 0;
  }
  if (it.state === 'reject_proposed')
    say(mine ? 'You proposed this rejection; a second operator must confirm it.'
             : `${it.decided_by} proposed rejection (${it.decision.ground_text}). Confirm with k, or undo with u.`,
        mine ? 'error' : '');
  document.activeElement && document.activeElement.blur();
}

function describe(d) {
  if (d.action === 'approve') {
    let s = `approved for ${d.list}, personal votes [${(d.personal_votes || []).join(', ')}]`;
    for (const w of d.write_ins || [])
      s += `; write-in ${w.list ? w.list + ' ' + w.candidate + ' ' + w.name : '"' + w.text + '"'}` +
           (w.counts ? '' : ` (does not count: ${w.why})`);
    return s;
  }
  if (d.action === 'reject') return 'rejected: ' + d.ground_text;
  return d.action;
}

// ---- write-ins ----

let searchSeq = 0;
async function search() {
  const q = $('f-wsearch').value.trim();
  const mySeq = ++searchSeq;
  if (!q || !state.item) { state.matches = []; renderMatches(); return; }
  const it = state.item;
  const own = $('f-list').value || '';
  // Write-ins are for the batch's election, whatever the machine read.
  const j = await api('GET', `/api/search?election=${encodeURIComponent(it.election.id)}` +
    `&own=${encodeURIComponent(own)}&q=${encodeURIComponent(q)}`);
  if (mySeq !== searchSeq) return;
  state.matches = j.matches;
  state.matchSel = 0;
  renderMatches();
}

function renderMatches() {
  $('f-matches').replaceChildren(...state.matches.map((m, i) => {
    const li = el('li', { class: (i === state.matchSel ? 'sel ' : '') + (m.own_list ? 'own' : ''),
      text: `${m.list} ${m.no} ${m.name}` + (m.own_list ? ' (own list: does not count)' : '') });
    li.addEventListener('click', () => { state.matchSel = i; addWriteIn(false); });
    return li;
  }));
}

function renderWriteIns() {
  const own = $('f-list').value;
  $('f-writeins').replaceChildren(...state.writeIns.map((w, i) => {
    const nocount = !w.list || w.list === own;
    return el('li', { class: nocount ? 'nocount' : '', 'data-i': i,
      text: (w.list ? `${w.list} ${w.candidate} ${w.name}` : `"${w.text}" (no candidate)`) +
            (w.list && w.list === own ? ' (own list: does not count)' : '') });
  }));
}

function addWriteIn(asText) {
  const q = $('f-wsearch').value.trim();
  if (asText) {
    if (!q) return;
    state.writeIns.push({ text: q });
  } else {
    const m = state.matches[state.matchSel];
    if (!m) return;
    state.writeIns.push({ list: m.list, candidate: m.no, name: m.name, text: q });
  }
  $('f-wsearch').value = '';
  state.matches = [];
  renderMatches();
  renderWriteIns();
}

// ---- decisions ----

function parseVotes() {
  const t = $('f-votes').value.trim();
  if (!t) return [];
  return t.split(/[\s,;]+/).filter(Boolean).map((x) => {
    const n = parseInt(x, 10);
    if (!(n > 0)) throw new Error(`"${x}" is not a candidate number`);
    return n;
  });
}

async function decide(body) {
  const it = state.item;
  if (!it) return;
  body.item = it.id;
  body.next_batch = it.batch;
  state.decidedAt = performance.now();
  const remark = $('f-remark').value.trim();
  if (remark) body.remark = remark;
  try {
    const r = await api('POST', '/api/decide', body);
    say(`Item ${it.id} (${it.sheet}): ${body.action === 'reject' ? 'rejection proposed' :
         body.action === 'confirm_reject' ? 'rejection confirmed' : body.action} – event ${r.seq}.`, 'ok');
    // The server claimed the next item in the same request.
    if (r.next) await openItem(r.next);
    else await next();
  } catch (e) {
    say(e.message, 'error');
  }
}

function approve() {
  let votes;
  try { votes = parseVotes(); } catch (e) { say(e.message, 'error'); return; }
  const list = $('f-list').value;
  if (!list) { say('Choose the list (l), or call the ballot blank (b).', 'error'); return; }
  decide({ action: 'approve', list, votes,
           write_ins: state.writeIns.map((w) => w.list ? { list: w.list, candidate: w.candidate, text: w.text }
                                                       : { text: w.text }) });
}

async function undo() {
  const it = state.item;
  const reason = window.prompt('Why is this decision undone?');
  if (!reason) return;
  try {
    await api('POST', '/api/undo', { item: it.id, reason });
    say(`Item ${it.id}: decision undone.`, 'ok');
    await openItem(it.id);
  } catch (e) {
    say(e.message, 'error');
  }
}

async function skip() {
  const it = state.item;
  if (it && it.claim_by === state.me.name) {
    try { await api('POST', '/api/release', { item: it.id }); } catch (e) { /* expired */ }
  }
  await openBatch(it.batch);
}

// ---- keyboard ----

function onKey(ev) {
  const t = ev.target;
  const inField = t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
  if (state.view === 'login') return;
  if (ev.key === 'Escape') {
    if (state.rejecting) { state.rejecting = false; $('grounds').hidden = true; }
    if (inField) t.blur();
    return;
  }
  if (state.view === 'item' && inField) {
    if (t.id === 'f-wsearch') {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const n = state.matches.length;
        if (n) state.matchSel = (state.matchSel + (ev.key === 'ArrowDown' ? 1 : -1) + n) % n;
        renderMatches();
      } else if (ev.key === 'Enter') {
        ev.preventDefault();
        addWriteIn(ev.shiftKey);
      } else if (ev.key === 'Delete' && !t.value) {
        state.writeIns.pop();
        renderWriteIns();
      }
      return;
    }
    if (ev.key === 'Enter') { ev.preventDefault(); t.blur(); approve(); }
    return;
  }
  if (inField || ev.ctrlKey || ev.altKey || ev.metaKey) return;
  const k = ev.key;
  if (state.view === 'batches') {
    if (k === 'ArrowDown' || k === 'j') moveBatchSel(1);
    else if (k === 'ArrowUp' || k === 'k') moveBatchSel(-1);
    else if (k === 'Enter' && state.batches[state.batchSel]) openBatch(state.batches[state.batchSel].id);
    else return;
    ev.preventDefault();
    return;
  }
  if (state.view === 'batch') {
    if (k === 'Enter' && !$('start').disabled) next();
    else if (k === 'c' && !$('commit').disabled) commitBatch();
    else if (k === 'q') openBatches();
    else return;
    ev.preventDefault();
    return;
  }
  if (state.view !== 'item') return;
  if (state.rejecting) {
    if ('abcd'.includes(k) && k.length === 1) {
      ev.preventDefault();
      state.rejecting = false;
      $('grounds').hidden = true;
      decide({ action: 'reject', ground: k });
    }
    return;
  }
  const focus = (id) => { ev.preventDefault(); $(id).focus(); if ($(id).select) $(id).select(); };
  switch (k) {
    case 'a': case 'Enter': if (!$('b-approve').disabled) { ev.preventDefault(); approve(); } break;
    case 'b': if (!$('b-blank').disabled) { ev.preventDefault(); decide({ action: 'blank' }); } break;
    case 'r': if (!$('b-reject').disabled) { ev.preventDefault(); state.rejecting = true; $('grounds').hidden = false; } break;
    case 'k': if (!$('b-confirm-reject').disabled) { ev.preventDefault(); decide({ action: 'confirm_reject' }); } break;
    case 'u': if (!$('b-undo').disabled) { ev.preventDefault(); undo(); } break;
    case 'v': if (!$('f-votes').disabled) focus('f-votes'); break;
    case 'w': if (!$('f-wsearch').disabled) focus('f-wsearch'); break;
    case 'l': if (!$('f-list').disabled) focus('f-list'); break;
    case 'm': if (!$('f-remark').disabled) focus('f-remark'); break;
    case 'n': ev.preventDefault(); skip(); break;
    case 'q': ev.preventDefault(); openBatch(state.item.batch); break;
    default: break;
  }
}

// ---- start ----

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('start').addEventListener('click', next);
  $('commit').addEventListener('click', commitBatch);
  $('b-approve').addEventListener('click', approve);
  $('b-blank').addEventListener('click', () => decide({ action: 'blank' }));
  $('b-reject').addEventListener('click', () => { state.rejecting = true; $('grounds').hidden = false; });
  $('b-confirm-reject').addEventListener('click', () => decide({ action: 'confirm_reject' }));
  $('b-undo').addEventListener('click', undo);
  $('b-next').addEventListener('click', skip);
  $('b-back').addEventListener('click', () => openBatch(state.item.batch));
  $('f-wsearch').addEventListener('input', () => search().catch((e) => say(e.message, 'error')));
  $('f-list').addEventListener('change', renderWriteIns);
  $('decide-form').addEventListener('submit', (ev) => ev.preventDefault());
  document.addEventListener('keydown', onKey);
  // A claim lasts five minutes; keep it while the operator is still
  // looking at the ballot.
  setInterval(() => {
    const it = state.item;
    if (state.view === 'item' && it && state.me && it.claim_by === state.me.name &&
        (it.state === 'open' || it.state === 'reject_proposed'))
      api('POST', '/api/claim', { item: it.id }).catch((e) => say(e.message, 'error'));
  }, 120000);
  try {
    state.me = await api('GET', '/api/me');
    await openBatches();
  } catch (e) {
    show('login');
  }
});
