// The task table: GET /api/tasks/status with its filters, keyset-paged with `cursor`
// (a stack of cursors gives "previous"). Stuck tasks (expired lease), retrying tasks and results
// awaiting approval are marked.

import { api, query } from './api.js';
import { h, text, shortId, fmtTime, statusBadge } from './dom.js';
import { awaitingApproval } from './decide.js';

const STATUSES = ['queued', 'in_progress', 'completed', 'failed', 'cancelled'];
const TYPES = ['content', 'design', 'campaign', 'analysis', 'email', 'social_media', 'research', 'strategy', 'other'];
const PAGE = 25;

export const tasks = {
  mount(root, ctx) {
    const f = {
      status: select('f-status', 'any status', STATUSES),
      task_type: select('f-type', 'any type', TYPES),
      strategy_id: select('f-strategy', 'any strategy', []),
      priority: select('f-priority', 'any priority', ['10', '9', '8', '7', '6', '5', '4', '3', '2', '1']),
      assigned_agent: h('input', { id: 'f-agent', type: 'text', placeholder: 'agent', spellcheck: 'false' }),
      q: h('input', { id: 'f-q', type: 'search', placeholder: 'search descriptions' }),
    };
    const summary = h('p', { class: 'summary', id: 'task-summary' }, '…');
    const rows = h('tbody', { id: 'task-rows' });
    const prev = h('button', { type: 'button', id: 'page-prev', disabled: true }, '← Previous');
    const next = h('button', { type: 'button', id: 'page-next', disabled: true }, 'Next →');
    const pageNote = h('span', { class: 'note' });
    let cursors = [null]; // cursor of each page seen; the last is the current page's
    let nextCursor = null;
    let strategiesLoaded = false;

    const reload = () => {
      cursors = [null];
      this_.refresh().catch(ctx.report);
    };
    let typing;
    for (const el of Object.values(f)) {
      el.addEventListener(el.tagName === 'INPUT' ? 'input' : 'change', () => {
        clearTimeout(typing);
        typing = setTimeout(reload, el.tagName === 'INPUT' ? 300 : 0);
      });
    }
    prev.addEventListener('click', () => {
      cursors.pop();
      this_.refresh().catch(ctx.report);
    });
    next.addEventListener('click', () => {
      cursors.push(nextCursor);
      this_.refresh().catch(ctx.report);
    });

    root.replaceChildren(
      h('h1', {}, 'Tasks'),
      h('div', { class: 'filters' }, Object.values(f)),
      summary,
      h('table', { class: 'tasks' },
        h('thead', {}, h('tr', {}, ['task', 'status', 'type', 'agent', 'priority', 'retries', 'phase', 'created']
          .map((c) => h('th', {}, c)))),
        rows),
      h('div', { class: 'pager' }, prev, pageNote, next),
    );

    const this_ = {
      async refresh() {
        if (!strategiesLoaded) {
          const s = await api(`/api/strategies?${query({ workspace_id: ctx.ws })}`);
          f.strategy_id.append(...s.strategies.map((st) => h('option', { value: st.id }, st.name)));
          strategiesLoaded = true;
        }
        const params = { workspace_id: ctx.ws, limit: PAGE, cursor: cursors[cursors.length - 1] };
        for (const [k, el] of Object.entries(f)) params[k] = el.value.trim();
        const page = await api(`/api/tasks/status?${query(params)}`);
        const s = page.summary;
        text(summary, `${s.total} tasks match: ${s.queued} queued, ${s.in_progress} in progress, ` +
          `${s.completed} completed (${s.awaiting_approval} awaiting approval), ${s.failed} failed, ${s.cancelled} cancelled`);
        rows.replaceChildren(...(page.tasks.length ? page.tasks.map(row)
          : [h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No tasks match.'))]));
        nextCursor = page.next_cursor ?? null;
        next.disabled = !nextCursor;
        prev.disabled = cursors.length < 2;
        text(pageNote, `page ${cursors.length}`);
      },
    };
    return this_;
  },
};

function select(id, anyLabel, values) {
  return h('select', { id }, h('option', { value: '' }, anyLabel),
    values.map((v) => h('option', { value: v }, v.replace('_', ' '))));
}

function row(t) {
  const marks = [];
  if (t.stuck) marks.push(h('span', { class: 'mark stuck', title: 'in progress, but its lease expired: the worker died or stalled' }, 'stuck'));
  if (awaitingApproval(t)) marks.push(h('a', { class: 'mark approval', href: '#/approvals', title: 'its dependents wait until a person approves it' }, 'awaiting approval'));
  if (t.retrying) marks.push(h('span', { class: 'mark retrying', title: t.error_message ?? '' }, `retry ${t.retry_count}/${t.max_retries}`));
  return h('tr', { 'data-id': t.id, 'data-status': t.status },
    h('td', {}, h('a', { href: `#/task/${t.id}` }, t.description), h('span', { class: 'id' }, shortId(t.id))),
    h('td', {}, statusBadge(t.status), ...marks),
    h('td', {}, t.task_type),
    h('td', {}, t.assigned_agent),
    h('td', { class: 'num' }, t.priority),
    h('td', { class: 'num' }, `${t.retry_count}/${t.max_retries}`),
    h('td', {}, t.phase ?? (t.strategy_id ? 'ongoing' : '–')),
    h('td', {}, fmtTime(t.created_at)));
}
