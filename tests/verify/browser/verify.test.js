// verify.test.js - the operators' page in a real browser (Debian's headless
// Chromium driven by playwright-core). A sample batch is made with the
// project's own tools (telle simulate -> telle interpret -> telle review
// load); then two operators decide every queue item by keyboard only,
// including a write-in found by name search and a rejection that the
// proposer cannot confirm and a second operator does; the batch is
// committed from the keyboard and its tallies are checked against the
// records and the decisions made; an undo reopens it and it is committed
// again. An auditor sees the item read-only.
//
// Env: TELLE_BIN, TELLE_SOURCE_DIR (set by CTest); TELLE_SCREENSHOT_OUT to
// also write the ballot view screenshot there (docs/verify-ballot-view.png).
'use strict';

const assert = require('assert');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is missing: run `npm ci` in tests/verify/browser ' +
                '(scripts/install-deps.sh does)');
  process.exit(1);
}

const SRC = process.env.TELLE_SOURCE_DIR || path.resolve(__dirname, '../../..');
const TELLE = process.env.TELLE_BIN || path.join(SRC, 'build/cli/telle');
const PKG = path.join(SRC, 'samples/package');
const PW = 'korrekt hest';
const BATCH = '0001-VO-01';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'telle-browser-'));
const db = path.join(tmp, 't.db');

function telle(args, opts = {}) {
  return execFileSync(TELLE, args, { cwd: tmp, env: { ...process.env, TELLE_PASSWORD: PW },
                                     encoding: 'utf8', ...opts });
}

function makeSampleBatch() {
  // Under ASan, cairo's fontconfig caches in `telle simulate` show as leaks
  // (libfontconfig internals, not this page's code); the sample batch is
  // only this test's input, so leak reports are off for that one step.
  const asan = process.env.ASAN_OPTIONS ? process.env.ASAN_OPTIONS + ':' : '';
  telle(['simulate', '--package', PKG, '--out', 'sim', '--sheets', '20', '--seed', '5',
         '--format', 'g4'], { env: { ...process.env, TELLE_PASSWORD: PW,
                                     ASAN_OPTIONS: asan + 'detect_leaks=0' } });
  telle(['interpret', '--package', PKG, '--duplex', '--out', 'records.jsonl',
         path.join('sim', BATCH + '.tif')]);
  telle(['init', '--package', PKG, '--db', db]);
  telle(['user', 'add', 'kari', '--role', 'operator', '--db', db]);
  telle(['user', 'add', 'ola', '--role', 'operator', '--db', db]);
  telle(['user', 'add', 'revisor', '--role', 'auditor', '--db', db]);
  telle(['review', 'load', '--db', db, '--batch', BATCH, '--election', 'KS', '--krets', '0001',
         '--category', 'VO', '--archive', tmp, 'records.jsonl']);
  return fs.readFileSync(path.join(tmp, 'records.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l));
}

function startServer() {
  return new Promise((resolve, reject) => {
    // The page built into the binary (not --static), as operators get it.
    const p = spawn(TELLE, ['serve', '--db', db, '--listen', '127.0.0.1:0'], { cwd: tmp });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ proc: p, url: m[0] });
    });
    p.stderr.on('data', (d) => process.stderr.write(d));
    p.on('exit', (code) => reject(new Error('telle serve exited with ' + code)));
  });
}

async function login(page, url, name) {
  await page.goto(url);
  await page.waitForSelector('#login-name', { state: 'visible' });
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PW);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view-batches:not([hidden])');
}

const visible = (page, sel) => page.isVisible(sel);

// Waits until the item view shows another item than `prev`, or the batch
// view comes back; returns the item id shown or null.
async function afterDecision(page, prev) {
  await page.waitForFunction((p) => {
    const item = document.getElementById('view-item');
    const batch = document.getElementById('view-batch');
    return (!item.hidden && document.getElementById('item-id').textContent !== p) || !batch.hidden;
  }, prev);
  return (await visible(page, '#view-item')) ? page.textContent('#item-id') : null;
}

async function currentItem(page) {
  return page.evaluate(() => state.item);
}

(async () => {
  const records = makeSampleBatch();
  const review = records.filter((r) => r.outcome === 'review');
  assert(review.length >= 3, `the sample batch has ${review.length} review sheets; need 3`);
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'election.json'), 'utf8'));
  const ks = pkg.elections.find((e) => e.id === 'KS');

  const server = await startServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
                                          args: CHROMIUM_ARGS });
  const decisions = {}; // sheet -> {action, list, votes, writeIn}
  const timings = [];
  const pageErrors = [];
  try {
    // ---- kari decides every item, by keyboard ----
    const kari = await (await browser.newContext({ viewport: { width: 1500, height: 1000 } })).newPage();
    kari.on('pageerror', (e) => pageErrors.push(e.message));
    await login(kari, server.url, 'kari');
    assert.strictEqual(await kari.textContent('#batches tbody tr td'), BATCH);
    await kari.keyboard.press('Enter'); // open the selected batch
    await kari.waitForSelector('#view-batch:not([hidden])');
    await kari.keyboard.press('Enter'); // decide the next ballot
    await kari.waitForSelector('#view-item:not([hidden])');
    let shown = await kari.textContent('#item-id');
    let wroteIn = false, rejected = null, screenshot = false;
    while (shown) {
      const it = await currentItem(kari);
      assert.strictEqual(it.claim_by, 'kari');
      const rec = it.record;
      if (!screenshot && (rec.writing || []).length > 0 && it.pages.length === 2) {
        await kari.waitForFunction(() => [...document.querySelectorAll('#sides img')]
          .every((i) => i.complete && i.naturalWidth > 0));
        const n = await kari.$$eval('.region.writing', (e) => e.length);
        assert(n > 0, 'writing is drawn over the ballot');
        // The regions are placed through the registration marks found in
        // each side's image, not just scaled to the page.
        await kari.waitForFunction(() => [...document.querySelectorAll('#sides .side')]
          .every((s) => s.dataset.registered));
        const reg = await kari.$$eval('#sides .side', (e) => e.map((s) => s.dataset.registered));
        assert.deepStrictEqual(reg, ['yes', 'yes'], 'both sides registered');
        const shot = path.join(tmp, 'verify-ballot-view.png');
        await kari.screenshot({ path: shot, fullPage: true });
        if (process.env.TELLE_SCREENSHOT_OUT)
          fs.copyFileSync(shot, process.env.TELLE_SCREENSHOT_OUT);
        screenshot = true;
      }
      const t0 = Date.now();
      const wrongElection = (rec.reasons || []).includes('wrong_election');
      if (rec.list && !wroteIn && !wrongElection) {
        // A write-in of a candidate of another list, found by name.
        const other = ks.lists.find((l) => l.code !== rec.list);
        const cand = other.candidates[1];
        const piece = cand.name.split(' ').pop().slice(0, 5).toLowerCase();
        await kari.keyboard.press('w');
        await kari.keyboard.type(piece);
        await kari.waitForFunction((name) => [...document.querySelectorAll('#f-matches li')]
          .some((li) => li.textContent.includes(name)), cand.name);
        const idx = await kari.$$eval('#f-matches li', (lis, name) =>
          lis.findIndex((li) => li.textContent.includes(name)), cand.name);
        for (let i = 0; i < idx; i++) await kari.keyboard.press('ArrowDown');
        await kari.keyboard.press('Enter');
        await kari.waitForFunction(() => document.querySelectorAll('#f-writeins li').length === 1);
        await kari.keyboard.press('Escape');
        await kari.keyboard.press('a');
        decisions[rec.sheet] = { action: 'approve', list: rec.list, votes: rec.personal_votes,
                                 writeIn: { list: other.code, no: cand.no } };
        wroteIn = true;
      } else if (!rejected && (wrongElection || rec.list)) {
        await kari.keyboard.press('r');
        await kari.waitForSelector('#grounds:not([hidden])');
        await kari.keyboard.press('a');
        decisions[rec.sheet] = { action: 'reject', ground: 'a' };
        rejected = { id: it.id, sheet: rec.sheet };
      } else if (!rec.list) {
        // A blank or all-lists ballot with a written list: set the list.
        await kari.keyboard.press('l');
        await kari.keyboard.press('ArrowDown');
        const list = await kari.$eval('#f-list', (s) => s.value);
        assert(list, 'a list was chosen with the keyboard');
        await kari.keyboard.press('Enter');
        decisions[rec.sheet] = { action: 'approve', list, votes: [], setList: true };
      } else {
        await kari.keyboard.press('a');
        decisions[rec.sheet] = { action: 'approve', list: rec.list, votes: rec.personal_votes };
      }
      const next = await afterDecision(kari, shown);
      timings.push(Date.now() - t0);
      const msg = await kari.textContent('#message');
      assert(!/error/.test(await kari.getAttribute('#message', 'class') || ''), msg);
      shown = next;
    }
    assert(wroteIn && rejected, 'a write-in and a rejection were made');
    assert(screenshot, 'a ballot with writing was shown, checked and photographed');
    assert.strictEqual(Object.keys(decisions).length, review.length);

    // Kari cannot confirm her own rejection.
    await kari.click(`#items tr[data-item="${rejected.id}"]`);
    await kari.waitForSelector('#view-item:not([hidden])');
    assert(await kari.isDisabled('#b-confirm-reject'));
    await kari.keyboard.press('k');
    assert.strictEqual(await kari.textContent('#item-state'), 'reject_proposed');
    const kariRefused = await kari.evaluate(async (item) => {
      const r = await fetch('/api/decide', { method: 'POST', headers: {
        'Content-Type': 'application/json', 'X-CSRF-Token': state.me.csrf },
        body: JSON.stringify({ item, action: 'confirm_reject' }) });
      return [r.status, (await r.json()).error];
    }, rejected.id);
    assert.strictEqual(kariRefused[0], 409, kariRefused[1]);
    assert(/cannot confirm their own/.test(kariRefused[1]));

    // ---- an auditor sees it, read-only ----
    const rev = await (await browser.newContext()).newPage();
    await login(rev, server.url, 'revisor');
    await rev.goto(server.url); // keeps the session
    await rev.waitForSelector('#view-batches:not([hidden])');
    await rev.keyboard.press('Enter');
    await rev.waitForSelector('#view-batch:not([hidden])');
    assert(await rev.isDisabled('#commit'));
    await rev.click(`#items tr[data-item="${rejected.id}"]`);
    await rev.waitForSelector('#view-item:not([hidden])');
    assert(await rev.isDisabled('#b-confirm-reject'));
    assert(await rev.isDisabled('#b-approve'));
    const revStatus = await rev.evaluate(async (item) => (await fetch('/api/decide', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': state.me.csrf },
      body: JSON.stringify({ item, action: 'confirm_reject' }) })).status, rejected.id);
    assert.strictEqual(revStatus, 403);

    // ---- ola confirms the rejection and commits, by keyboard ----
    const ola = await (await browser.newContext()).newPage();
    await login(ola, server.url, 'ola');
    await ola.keyboard.press('Enter');
    await ola.waitForSelector('#view-batch:not([hidden])');
    await ola.keyboard.press('Enter');
    await ola.waitForSelector('#view-item:not([hidden])');
    assert.strictEqual(await ola.textContent('#item-id'), String(rejected.id));
    assert.strictEqual(await ola.textContent('#item-state'), 'reject_proposed');
    await ola.keyboard.press('k');
    assert.strictEqual(await afterDecision(ola, String(rejected.id)), null);
    await ola.waitForFunction(() => !document.getElementById('commit').disabled);
    await ola.keyboard.press('c');
    await ola.waitForFunction(() => document.getElementById('batch-state').textContent === 'committed');

    // ---- the counts follow from the records and the decisions ----
    const expect = { approved: 0, blank: 0, rejected: 0, lists: {}, received: {} };
    const lt = (code) => (expect.lists[code] = expect.lists[code] || { approved: 0, pv: {} });
    for (const r of records) {
      const d = r.outcome === 'review' ? decisions[r.sheet]
              : r.outcome === 'blank' ? { action: 'blank' }
              : { action: 'approve', list: r.list, votes: r.personal_votes };
      if (d.action === 'blank') expect.blank++;
      else if (d.action === 'reject') expect.rejected++;
      else {
        expect.approved++;
        const l = lt(d.list);
        l.approved++;
        for (const v of d.votes || []) l.pv[v] = (l.pv[v] || 0) + 1;
        if (d.writeIn) expect.received[d.writeIn.list + ' ' + d.writeIn.no] = 1;
      }
    }
    const t = await ola.evaluate(async (b) => (await fetch('/api/tallies?batch=' + b)).json(), BATCH);
    assert.strictEqual(t.ballots, records.length);
    assert.strictEqual(t.pending, 0);
    assert.strictEqual(t.approved, expect.approved);
    assert.strictEqual(t.blank, expect.blank);
    assert.strictEqual(t.rejected, expect.rejected);
    assert.strictEqual(t.rejected_by_ground.a, 1);
    for (const [code, l] of Object.entries(expect.lists)) {
      assert.strictEqual(t.lists[code].approved, l.approved, 'approved ' + code);
      for (const [no, n] of Object.entries(l.pv))
        assert.strictEqual(t.lists[code].personal_votes[no], n, `personal votes ${code} ${no}`);
    }
    for (const key of Object.keys(expect.received)) {
      const [code, no] = key.split(' ');
      assert.strictEqual(t.lists[code].write_ins_received[no], 1, 'write-in to ' + key);
    }
    // Undo by keyboard reopens the committed batch; the item is decided
    // again (blank) and the batch committed again with the new counts.
    ola.on('dialog', (d) => d.accept('stempel funnet på baksiden'));
    await ola.click(`#items tr[data-item="${rejected.id}"]`);
    await ola.waitForSelector('#view-item:not([hidden])');
    await ola.keyboard.press('u');
    await ola.waitForFunction(() => document.getElementById('item-state').textContent === 'open');
    await ola.keyboard.press('b');
    assert.strictEqual(await afterDecision(ola, String(rejected.id)), null);
    assert.strictEqual(await ola.textContent('#batch-state'), 'open');
    await ola.waitForFunction(() => !document.getElementById('commit').disabled);
    await ola.keyboard.press('c');
    await ola.waitForFunction(() => document.getElementById('batch-state').textContent === 'committed');
    const t2 = await ola.evaluate(async (b) => (await fetch('/api/tallies?batch=' + b)).json(), BATCH);
    assert.strictEqual(t2.rejected, 0);
    assert.strictEqual(t2.blank, expect.blank + 1);
    assert.strictEqual(t2.approved, expect.approved);

    // The committed event carries the same tallies, and the chain is whole.
    const verify = telle(['review', 'verify', '--db', db]);
    assert(/chain whole/.test(verify), verify);
    const list = telle(['review', 'list', '--db', db]);
    assert(/committed/.test(list), list);

    assert.deepStrictEqual(pageErrors, [], 'no script errors in the page');
    // Measured in the page: decision sent -> next ballot's view built (the
    // images then stream in); and from the test's key press, through
    // Playwright, to seeing the next item.
    const inPage = (await kari.evaluate(() => state.decisionToNextMs)).sort((a, b) => a - b);
    timings.sort((a, b) => a - b);
    const med = (a) => Math.round(a[a.length >> 1]);
    const kinds = Object.values(decisions).map((d) => d.writeIn ? 'write-in' : d.setList ? 'list set'
                                                 : d.action === 'reject' ? 'rejection' : 'confirmed');
    console.log(`browser test: ${review.length} items decided by keyboard (${kinds.join(', ')}), batch committed; ` +
                `decision to next ballot in the page: median ${med(inPage)} ms, ` +
                `max ${Math.round(inPage[inPage.length - 1])} ms (n=${inPage.length}); ` +
                `key press to next item through Playwright: median ${med(timings)} ms`);
  } finally {
    await browser.close();
    server.proc.removeAllListeners('exit');
    server.proc.kill('SIGTERM');
  }
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((e) => {
  console.error('FAILED:', e && e.stack ? e.stack : e);
  console.error('(work folder kept: ' + tmp + ')');
  process.exit(1);
});
