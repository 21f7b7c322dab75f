// The dashboard's shell: sign-in, the workspace switcher, hash routes
// (#/overview, #/tasks, #/task/<id>, #/dag/<strategy id>, #/approvals), the 2 s poll that
// refreshes the current view in place (no page reloads), and the nav's count of results awaiting
// approval.

import { session, takeFragmentToken, claims, workspaceParam, setWorkspaceParam } from './session.js';
import { api, query, setUnauthorizedHandler } from './api.js';
import { h, text, errorBox } from './dom.js';
import { overview } from './overview.js';
import { tasks } from './tasks.js';
import { detail } from './detail.js';
import { dag } from './dag.js';
import { approvals } from './approvals.js';

const POLL_MS = 2000;
const VIEWS = { overview, tasks, task: detail, dag, approvals };

const $ = (id) => document.getElementById(id);
let current = null; // {key, view: {refresh, unmount?}}
let timer = null;
let stopped = false; // a 4xx stops the poll until the user navigates

function showSignIn(message) {
  session.clear();
  clearTimeout(timer);
  current?.view.unmount?.();
  current = null;
  $('view').replaceChildren();
  $('nav').hidden = true;
  $('session').hidden = true;
  $('signin').hidden = false;
  $('signin-message').textContent = message ?? '';
  $('signin-message').hidden = !message;
}

function setLive(ok, note) {
  const live = $('live');
  live.className = ok ? 'live ok' : 'live bad';
  live.textContent = note;
}

function route() {
  const m = location.hash.match(/^#\/([a-z]+)(?:\/([^?]*))?/);
  const name = m && VIEWS[m[1]] ? m[1] : 'overview';
  return { name, arg: m?.[2] ? decodeURIComponent(m[2]) : '' };
}

async function tick() {
  clearTimeout(timer);
  if (!current || stopped) return;
  const { key, ws } = current;
  if (!document.hidden) {
    try {
      await current.view.refresh();
      await approvalCount(ws);
      if (current?.key === key) setLive(true, `live · ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      if (current?.key !== key) return;
      if (e.status === 401) return; // the sign-in form is showing
      current.errors.replaceChildren(errorBox(e));
      setLive(false, 'not updating');
      // A refusal (404 workspace, 400) will not change by asking again; a 5xx or a network
      // error may, so only those keep polling.
      if (e.status >= 400 && e.status < 500) {
        stopped = true;
        return;
      }
    }
  }
  if (current?.key === key) timer = setTimeout(tick, POLL_MS);
}

function show() {
  const token = session.token();
  const c = token && claims(token);
  if (!c) {
    showSignIn(token ? 'That is not a JWT: paste the token that `taskfleet token` printed.' : '');
    return;
  }
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('session').hidden = false;
  let ws = workspaceParam();
  if (!ws && c.workspaces.length) {
    ws = c.workspaces[0];
    setWorkspaceParam(ws);
  }
  renderSwitcher(c, ws);
  $('who').textContent = c.sub ? `as ${c.sub}` : '';
  const { name, arg } = route();
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.view === (name === 'task' ? 'tasks' : name));
  }
  current?.view.unmount?.();
  clearTimeout(timer);
  stopped = false;
  const root = $('view');
  if (!ws) {
    root.replaceChildren(h('div', { class: 'error', role: 'alert' },
      'This token names no workspace: mint one with `taskfleet token --workspace <id>`.'));
    current = null;
    return;
  }
  const errors = h('div', { class: 'view-errors' });
  const body = h('div');
  root.replaceChildren(errors, body);
  const ctx = {
    ws,
    arg,
    // Shows an error from an action without stopping the poll.
    report: (e) => errors.replaceChildren(e ? errorBox(e) : ''),
  };
  current = { key: `${ws}|${name}|${arg}|${Math.random()}`, ws, view: VIEWS[name].mount(body, ctx), errors };
  tick();
}

// The nav's badge: the workspace's results awaiting approval (one status page of one task, for its
// summary). Asked only after the view's own refresh worked, so a refused workspace is reported
// once, by the view.
async function approvalCount(ws) {
  const badge = $('approvals-count');
  let n = 0;
  try {
    n = (await api(`/api/tasks/status?${query({ workspace_id: ws, limit: 1 })}`)).summary.awaiting_approval;
  } catch (e) {
    if (e.status === 401) throw e;
  }
  text(badge, n);
  badge.hidden = !n;
}

function renderSwitcher(c, ws) {
  const select = $('workspace');
  const ids = [...c.workspaces];
  const options = ids.map((id) => h('option', { value: id, selected: id === ws }, id));
  if (ws && !ids.includes(ws)) {
    // Still asked of the API, which answers 404 TASK_013: the page shows that, not a guess.
    options.unshift(h('option', { value: ws, selected: true }, `${ws} (not in this token)`));
  }
  select.replaceChildren(...options);
}

function boot() {
  takeFragmentToken();
  setUnauthorizedHandler((e) => showSignIn(
    `The API refused this token (${e.status} ${e.code}: ${e.detail}). ` +
    'It has expired or is not valid here: paste a new one.'));
  $('signin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token-input').value.trim();
    $('token-input').value = '';
    if (!value) return;
    session.set(value);
    show();
  });
  $('signout').addEventListener('click', () => showSignIn('Signed out.'));
  $('workspace').addEventListener('change', (event) => {
    setWorkspaceParam(event.target.value);
    // A task or strategy belongs to one workspace: go back to the list of the new one.
    const { name, arg } = route();
    const target = `#/${name === 'task' ? 'tasks' : name}`;
    if (arg || location.hash !== target) location.hash = target; // hashchange shows it
    else show();
  });
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#token=')) takeFragmentToken();
    show();
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && current && !stopped) tick();
  });
  show();
}

boot();
