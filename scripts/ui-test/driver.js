// Drives the dashboard in Debian's headless chromium; started by scripts/ui-test.sh, which
// provides the running API and these variables: BASE, CHROMIUM, SHOTS, WS_A, WS_B, TOKEN_A,
// TOKEN_B, STRATEGY_A, STRATEGY_B, JWT_SECRET, and A's results awaiting approval: GATE_APPROVE and
// GATE_REJECT (each with an email task waiting on it, GATE_APPROVE_EMAIL and GATE_REJECT_EMAIL)
// and GATE_RACE (nothing waits on it). Each step prints one line; the first failed
// assertion ends the run with a non-zero status.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = process.env;
const WAIT = 20000;

async function apiGet(p, token) {
  const r = await fetch(env.BASE + p, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

async function apiPost(p, token, body) {
  const r = await fetch(env.BASE + p, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

// Every console error, uncaught exception, failed request and HTTP error of a page. A step
// declares the HTTP errors it causes on purpose (`expect`); anything else fails at `check`.
function watch(page) {
  const w = { console: [], pageErrors: [], failed: [], http: [], bodies: [], expected: [], navigating: false };
  page.on('console', (m) => {
    if (m.type() === 'error') w.console.push({ text: m.text(), url: m.location().url });
  });
  page.on('pageerror', (e) => w.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText ?? '';
    // A poll still in flight when the test itself navigates away is aborted by the browser.
    if (w.navigating && error === 'net::ERR_ABORTED') return;
    w.failed.push(`${r.method()} ${r.url()}: ${error}`);
  });
  page.on('response', async (r) => {
    const url = r.url();
    if (r.status() >= 400) w.http.push({ url, status: r.status() });
    if (url.includes('/api/')) {
      try {
        w.bodies.push({ url, status: r.status(), body: await r.text() });
      } catch {
        // The page navigated away before the body arrived.
      }
    }
  });
  w.expect = (status, urlPart) => w.expected.push({ status, urlPart });
  w.check = (label) => {
    const allowed = (e) => w.expected.some((x) => x.status === e.status && e.url.includes(x.urlPart));
    const unexpectedHttp = w.http.filter((e) => !allowed(e));
    // Chromium logs each 4xx of a fetch as "Failed to load resource"; those are judged above.
    const unexpectedConsole = w.console.filter((c) => !(c.text.startsWith('Failed to load resource')
      && w.http.some((e) => e.url === c.url && allowed(e))));
    assert.deepEqual(w.pageErrors, [], `${label}: uncaught errors`);
    assert.deepEqual(w.failed, [], `${label}: failed requests`);
    assert.deepEqual(unexpectedHttp, [], `${label}: unexpected HTTP errors`);
    assert.deepEqual(unexpectedConsole, [], `${label}: console errors`);
  };
  return w;
}

const b64url = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
function jwt(claims) {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${crypto.createHmac('sha256', env.JWT_SECRET).update(head).digest('base64url')}`;
}

// More screenshots (the table, a task) for a reviewer, only when EXTRA_SHOTS names a directory.
async function extraShot(page, name) {
  if (env.EXTRA_SHOTS) await page.screenshot({ path: path.join(env.EXTRA_SHOTS, name), fullPage: true });
}

const textOf = (page, sel) => page.locator(sel).first().textContent({ timeout: WAIT });
const waitText = (page, sel, re) => page.waitForFunction(([s, src]) => {
  const el = document.querySelector(s);
  return el && new RegExp(src).test(el.textContent);
}, [sel, re.source], { timeout: WAIT });

async function main() {
  // CI runs as root, where chromium refuses to start with its sandbox on.
  const browser = await chromium.launch({ executablePath: env.CHROMIUM, args: ['--no-sandbox'] });
  try {
    await operator(browser);
    await approvals(browser);
    await expired(browser);
    await otherTenant(browser);
  } finally {
    await browser.close();
  }
}

// Workspace A's operator: overview, tasks, timeline, cancel and retry, DAG, screenshots.
async function operator(browser) {
  const all = await apiGet(`/api/tasks/status?workspace_id=${env.WS_A}&limit=1000`, env.TOKEN_A);
  const tasks = all.body.tasks;
  const total = all.body.summary.total;
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const w = watch(page);

  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_A}#token=${env.TOKEN_A}`);
  await waitText(page, '#count-total', new RegExp(`^${total}$`));
  assert.ok(!page.url().includes('token='), `the token left the address bar: ${page.url()}`);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('taskfleet.token')), env.TOKEN_A);
  assert.equal(await page.locator('#workspace').inputValue(), env.WS_A);
  await page.locator('#throughput-chart rect.completed').first().waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#alerts li').count(), 3, 'three alerts');
  // No full reloads: the same document keeps polling (a marker survives two polls).
  await page.evaluate(() => { window.__sameDocument = true; });
  const before = await textOf(page, '#live');
  await page.waitForFunction((b) => document.querySelector('#live').textContent !== b, before, { timeout: WAIT });
  await page.waitForTimeout(2100);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page reloaded');
  await page.screenshot({ path: path.join(env.SHOTS, 'overview.png'), fullPage: true });
  console.log(`ok overview: signed in from the fragment, ${total} tasks, chart, alerts; screenshot`);

  // Tasks: the table and a filter.
  await page.click('#nav a[data-view=tasks]');
  await waitText(page, '#task-summary', new RegExp(`^${total} tasks match`));
  const queued = tasks.filter((t) => t.status === 'queued').length;
  await page.selectOption('#f-status', 'queued');
  await waitText(page, '#task-summary', new RegExp(`^${queued} tasks match`));
  const statuses = await page.locator('#task-rows tr').evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'queued'), `filtered rows: ${statuses}`);
  await page.fill('#f-q', 'WEBINAR');
  const webinar = tasks.filter((t) => t.status === 'queued' && /webinar/i.test(t.description)).length;
  await waitText(page, '#task-summary', new RegExp(`^${webinar} tasks match`));
  await extraShot(page, 'tasks.png');
  console.log(`ok tasks: ${total} in the table, ${queued} queued, ${webinar} queued matching "webinar"`);

  // A completed task's audit timeline, opened from the table.
  await page.fill('#f-q', '');
  await page.selectOption('#f-status', 'completed');
  await page.locator('#task-rows tr[data-status=completed] a').first().waitFor({ timeout: WAIT });
  await page.locator('#task-rows tr[data-status=completed] a').first().click();
  await page.locator('#timeline li', { hasText: 'task.executed' }).waitFor({ timeout: WAIT });
  const actions = await page.locator('#timeline li strong').allTextContents();
  assert.equal(actions[actions.length - 1], 'task.executed', `timeline: ${actions}`);
  await waitText(page, '#task-output', /\S/);
  console.log(`ok timeline: ${actions.join(' → ')}`);

  // Cancel a queued task that nothing depends on, through the button; then a refused cancel
  // shows the envelope; then Retry brings it back, and a second Cancel leaves it cancelled.
  const dependedOn = new Set(tasks.flatMap((t) => t.depends_on));
  const target = tasks.find((t) => t.status === 'queued' && !t.retrying && !dependedOn.has(t.id) && t.phase_index === 2);
  assert.ok(target, 'a queued phase-3 task with no dependents');
  await page.evaluate((id) => { location.hash = `#/task/${id}`; }, target.id);
  await waitText(page, '#task-title .badge', /^queued$/);
  await page.click('#cancel-button');
  await waitText(page, '#action-result', /Cancelled \(was queued\)/);
  await waitText(page, '#task-title .badge', /^cancelled$/);
  await page.locator('#timeline li', { hasText: 'task.cancelled' }).waitFor({ timeout: WAIT });
  w.expect(409, `/api/tasks/${target.id}/cancel`);
  await page.click('#cancel-button');
  await waitText(page, '#action-result', /409 TASK_009/);
  await page.click('#retry-button');
  await waitText(page, '#action-result', /Queued again/);
  await waitText(page, '#task-title .badge', /^queued$/);
  await page.click('#cancel-button');
  await waitText(page, '#task-title .badge', /^cancelled$/);
  await extraShot(page, 'task.png');
  const row = await apiGet(`/api/tasks/${target.id}`, env.TOKEN_A);
  assert.equal(row.body.task.status, 'cancelled');
  console.log(`ok cancel/retry: "${target.description}" cancelled, refused again (409 TASK_009), retried, cancelled`);

  // The strategy's DAG: one node per task, edges, phases; then the screenshot.
  const inStrategy = tasks.filter((t) => t.strategy_id === env.STRATEGY_A);
  await page.click('#nav a[data-view=dag]');
  await page.locator('#dag-svg').waitFor({ timeout: WAIT });
  await page.waitForFunction((id) => document.querySelector(`#dag-svg g.node[data-id="${id}"]`)?.classList.contains('s-cancelled'), target.id, { timeout: WAIT });
  const nodeIds = await page.locator('#dag-svg g.node').evaluateAll((gs) => gs.map((g) => g.dataset.id));
  assert.equal(nodeIds.length, inStrategy.length, 'one node per task');
  assert.deepEqual([...nodeIds].sort(), inStrategy.map((t) => t.id).sort(), 'the nodes are the tasks');
  const edges = await page.locator('#dag-svg path.edge').count();
  const wantEdges = inStrategy.reduce((n, t) => n + t.depends_on.length, 0);
  assert.equal(edges, wantEdges, 'one edge per dependency');
  const phases = await page.locator('#dag-svg text.phase').allTextContents();
  assert.ok(phases.some((p) => p.startsWith('Ongoing')) && phases.length === 4, `phase labels: ${phases}`);
  // Content approval: the strategy's completed content waiting for a decision is outlined.
  const awaiting = inStrategy.filter((t) => t.status === 'completed' && t.approval?.state === 'pending').map((t) => t.id);
  const outlined = await page.locator('#dag-svg g.node.awaiting').evaluateAll((gs) => gs.map((g) => g.dataset.id));
  assert.deepEqual(outlined.sort(), awaiting.sort(), 'nodes outlined as awaiting approval');
  await page.locator('#dag-svg').screenshot({ path: path.join(env.SHOTS, 'dag.png') });
  console.log(`ok dag: ${nodeIds.length} nodes, ${edges} edges, columns ${phases.join(' | ')}, ${outlined.length} awaiting approval; screenshot`);

  w.check('operator');
  await context.close();
}

// The approval queue: a result with the agent's output and the task waiting on it, approved with a
// comment through the button; another rejected from its task's page (Reject stays disabled
// without a reason), which cancels its email with TASK_006; a refused Reject shows the envelope.
async function approvals(browser) {
  const queue = (await apiGet(`/api/approvals?workspace_id=${env.WS_A}`, env.TOKEN_A)).body.approvals;
  const gate = queue.find((a) => a.id === env.GATE_APPROVE);
  assert.ok(gate && queue.some((a) => a.id === env.GATE_REJECT) && queue.some((a) => a.id === env.GATE_RACE), 'the seeded results wait');
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const w = watch(page);
  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_A}#token=${env.TOKEN_A}`);
  await waitText(page, '#approvals-count', new RegExp(`^${queue.length}$`));

  // The table marks it; the mark leads to the queue.
  await page.click('#nav a[data-view=tasks]');
  await page.fill('#f-q', 'autumn newsletter');
  await waitText(page, `#task-rows tr[data-id="${env.GATE_APPROVE}"]`, /awaiting approval/);
  await page.click(`#task-rows tr[data-id="${env.GATE_APPROVE}"] .mark.approval`);

  const card = page.locator(`#approval-list article[data-id="${env.GATE_APPROVE}"]`);
  await card.waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#approval-list article').count(), queue.length, 'one card per result');
  assert.equal(await card.locator('a.approval-task').getAttribute('href'), `#/task/${env.GATE_APPROVE}`);
  assert.equal(await card.locator('.agent').textContent(), 'content-generator');
  assert.equal(await card.locator('.approval-output').textContent(), JSON.stringify(gate.output_data, null, 2), 'the output');
  assert.match(await card.locator('.approval-output').textContent(), /Draft the autumn newsletter/);
  assert.equal(await card.locator('a.dependent').getAttribute('href'), `#/task/${env.GATE_APPROVE_EMAIL}`);
  assert.equal(await card.locator('.reject-button').isDisabled(), true, 'Reject without a reason');
  await page.screenshot({ path: path.join(env.SHOTS, 'approvals.png'), fullPage: true });
  await card.locator('.approve-comment').fill('Good to send');
  // A poll in between keeps what is being typed.
  const polled = await textOf(page, '#live');
  await page.waitForFunction((b) => document.querySelector('#live').textContent !== b, polled, { timeout: WAIT });
  assert.equal(await card.locator('.approve-comment').inputValue(), 'Good to send');
  await card.locator('.approve-button').click();
  await waitText(page, '#approval-result', /Approved; 1 dependent task ready/);
  await card.waitFor({ state: 'detached', timeout: WAIT });
  await waitText(page, '#approvals-count', new RegExp(`^${queue.length - 1}$`));
  const email = (await apiGet(`/api/tasks/status?workspace_id=${env.WS_A}&task_id=${env.GATE_APPROVE_EMAIL}`, env.TOKEN_A)).body.tasks[0];
  assert.equal(email.status, 'queued');
  assert.equal(email.dependencies_met, true);
  await page.evaluate((id) => { location.hash = `#/task/${id}`; }, env.GATE_APPROVE);
  await waitText(page, '#approval-state', /approved by api:ada at .*: Good to send/);
  assert.equal(await page.locator('#approval .decide').isHidden(), true, 'no controls once decided');
  await page.evaluate((id) => { location.hash = `#/task/${id}`; }, env.GATE_APPROVE_EMAIL);
  await waitText(page, '#task-deps', /^dependencies met$/);
  await waitText(page, '#upstream', /approved/);
  console.log(`ok approve: ${queue.length} results in the queue with outputs and waiting tasks; approved with a comment, its email task queued with dependencies met`);

  // Reject from the task's page: not without a reason (blank counts as none).
  await page.evaluate((id) => { location.hash = `#/task/${id}`; }, env.GATE_REJECT);
  await waitText(page, '#approval-state', /^awaiting approval$/);
  await waitText(page, '#downstream', /Email the partner announcement/);
  await extraShot(page, 'awaiting.png');
  const reject = page.locator('#approval .reject-button');
  assert.equal(await reject.isDisabled(), true, 'Reject without a reason');
  await page.fill('#approval .reject-reason', '   ');
  assert.equal(await reject.isDisabled(), true, 'Reject with a blank reason');
  await page.fill('#approval .reject-reason', 'Off brand for partners');
  await reject.click();
  await waitText(page, '#action-result', /Rejected; 1 dependent task cancelled/);
  await waitText(page, '#approval-state', /rejected by api:ada: Off brand for partners/);
  await page.locator('#timeline li', { hasText: 'task.rejected' }).waitFor({ timeout: WAIT });
  await extraShot(page, 'rejected.png');
  await page.evaluate((id) => { location.hash = `#/task/${id}`; }, env.GATE_REJECT_EMAIL);
  await waitText(page, '#task-title .badge', /^cancelled$/);
  await waitText(page, '[data-field=error_message]', /^TASK_006: .*rejected.*Off brand for partners/);
  console.log('ok reject: disabled without a reason; rejected from the task\'s page; its email task cancelled with TASK_006');

  // Decided elsewhere while the card shows: Reject is refused (409 TASK_009) and says so. The poll
  // is held (a hidden tab is not refreshed) so the card stays until the click.
  await page.click('#nav a[data-view=approvals]');
  const race = page.locator(`#approval-list article[data-id="${env.GATE_RACE}"]`);
  await race.waitFor({ timeout: WAIT });
  await page.evaluate(() => Object.defineProperty(document, 'hidden', { value: true, configurable: true }));
  const elsewhere = await apiPost(`/api/tasks/${env.GATE_RACE}/approve`, env.TOKEN_A, { comment: 'approved elsewhere' });
  assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
  w.expect(409, `/api/tasks/${env.GATE_RACE}/reject`);
  await race.locator('.reject-reason').fill('Too late');
  await race.locator('.reject-button').click();
  await waitText(page, '#approval-result .error', /409 TASK_009/);
  await race.waitFor({ state: 'detached', timeout: WAIT });
  await page.evaluate(() => { delete document.hidden; });
  w.check('approvals');
  await context.close();
  console.log('ok refused: Reject of a result approved elsewhere shows 409 TASK_009, and the card leaves the queue');
}

// An expired token: a clear message and the sign-in form, not a blank page.
async function expired(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const w = watch(page);
  const now = Math.floor(Date.now() / 1000);
  const token = jwt({ sub: 'ada', workspaces: [env.WS_A], exp: now - 60, iat: now - 3600 });
  w.expect(401, '/api/');
  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_A}#token=${token}`);
  await page.locator('#signin').waitFor({ state: 'visible', timeout: WAIT });
  await waitText(page, '#signin-message', /401 TASK_012.*expired/);
  assert.equal(await page.locator('#token-input').isVisible(), true);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('taskfleet.token')), null);
  // The form signs in as well.
  await page.fill('#token-input', env.TOKEN_A);
  await page.click('#signin-form button');
  await page.locator('#count-total').waitFor({ timeout: WAIT });
  await waitText(page, '#count-total', /^\d+$/);
  w.check('expired token');
  await context.close();
  console.log('ok expired token: "401 TASK_012 … expired" and the sign-in form, which then works');
}

// Workspace B's token sees nothing of A through the dashboard's own calls.
async function otherTenant(browser) {
  const a = (await apiGet(`/api/tasks/status?workspace_id=${env.WS_A}&limit=1000`, env.TOKEN_A)).body.tasks;
  const bTotal = (await apiGet(`/api/tasks/status?workspace_id=${env.WS_B}`, env.TOKEN_B)).body.summary.total;
  const secrets = [env.WS_A, env.STRATEGY_A, ...a.map((t) => t.id)];
  const context = await browser.newContext();
  const page = await context.newPage();
  const w = watch(page);

  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_B}#token=${env.TOKEN_B}`);
  await waitText(page, '#count-total', new RegExp(`^${bTotal}$`));
  await page.click('#nav a[data-view=tasks]');
  await waitText(page, '#task-summary', new RegExp(`^${bTotal} tasks match`));
  await page.click('#nav a[data-view=dag]');
  await page.locator('#dag-svg').waitFor({ timeout: WAIT });
  assert.equal(await page.locator('#dag-svg g.node').count(), bTotal);
  await page.click('#nav a[data-view=approvals]');
  await waitText(page, '#approvals-summary', /^No results await approval/);
  for (const r of w.bodies) {
    for (const s of secrets) assert.ok(!r.body.includes(s), `B's ${r.url} answered something of A's: ${s}`);
  }

  // B's token asking for A's workspace, task and strategy: the API's 404s, shown, and no data.
  w.expect(404, '/api/');
  w.navigating = true;
  const seen = w.bodies.length;
  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_A}#/overview`);
  await waitText(page, '.view-errors .error', /404 TASK_013/);
  assert.equal(await textOf(page, '#count-total'), '…', 'no numbers for A');
  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_B}#/task/${a[0].id}`);
  await waitText(page, '.view-errors .error', /404 TASK_003/);
  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_B}#/dag/${env.STRATEGY_A}`);
  await waitText(page, '.view-errors .error', /404 TASK_001/);
  assert.equal(await page.locator('#dag-svg g.node').count(), 0);
  await page.goto(`${env.BASE}/ui/?workspace=${env.WS_A}#/approvals`);
  await waitText(page, '.view-errors .error', /404 TASK_013/);
  assert.equal(await page.locator('#approval-list article').count(), 0);
  const later = w.bodies.slice(seen);
  assert.ok(later.length > 0);
  for (const r of later) {
    if (r.status < 400) {
      for (const s of secrets) assert.ok(!r.body.includes(s), `B's ${r.url} answered something of A's: ${s}`);
    } else {
      assert.equal(r.status, 404, `${r.url}: ${r.body}`);
    }
  }
  const dom = await page.evaluate(() => document.body.innerText);
  for (const t of a) assert.ok(!dom.includes(t.description) || t.description.length < 4, `A's task on B's page: ${t.description}`);
  w.check('other tenant');
  await context.close();
  console.log(`ok tenancy: B sees its ${bTotal} tasks and no approvals; A's workspace, task, strategy and approvals answer 404 (TASK_013, TASK_003, TASK_001, TASK_013) and show no data`);
}

main().catch((e) => {
  console.error(`FAIL ${e.stack ?? e}`);
  process.exit(1);
});
