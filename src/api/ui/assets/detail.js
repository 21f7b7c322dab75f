// One task: every field, input and output pretty-printed, its audit trail as a timeline
// (GET /api/tasks/{id}/audit), upstream and downstream links, Cancel / Retry buttons that
// show the API's error envelope when it refuses, and its approval: the state, and Approve /
// Reject while its result awaits a decision.

import { api, query, ApiError } from './api.js';
import { h, text, shortId, fmtTime, statusBadge, errorBox } from './dom.js';
import { awaitingApproval, approvalBadge, staleMark, decisionControls } from './decide.js';

// Fields shown in the table, in this order; the JSON ones get their own panels.
const FIELDS = ['id', 'status', 'task_description', 'task_type', 'assigned_agent', 'priority',
  'retry_count', 'max_retries', 'error_message', 'created_at', 'updated_at', 'next_run_at',
  'started_at', 'completed_at', 'deadline', 'locked_by', 'lease_expires_at', 'strategy_id',
  'contact_id', 'workspace_id'];
const TIMES = new Set(['created_at', 'updated_at', 'next_run_at', 'started_at', 'completed_at', 'deadline', 'lease_expires_at']);
// Upstream tasks are looked up one by one; past this many only their ids are shown.
const MAX_UPSTREAM_LOOKUPS = 50;

export const detail = {
  mount(root, ctx) {
    const id = ctx.arg;
    const title = h('h1', { id: 'task-title' }, 'Task ', shortId(id));
    const fields = h('tbody');
    const input = h('pre', { class: 'json', id: 'task-input' });
    const output = h('pre', { class: 'json', id: 'task-output' });
    const timeline = h('ol', { class: 'timeline', id: 'timeline' });
    const upstream = h('ul', { class: 'links', id: 'upstream' });
    const downstream = h('ul', { class: 'links', id: 'downstream' });
    const result = h('div', { class: 'action-result', id: 'action-result', 'aria-live': 'polite' });
    const reason = h('input', { type: 'text', id: 'cancel-reason', placeholder: 'reason (optional)' });
    const reset = h('input', { type: 'checkbox', id: 'retry-reset' });
    const cancel = h('button', { type: 'button', id: 'cancel-button', class: 'danger' }, 'Cancel task');
    const retry = h('button', { type: 'button', id: 'retry-button' }, 'Retry task');
    const approvalState = h('span', { id: 'approval-state' });
    const stale = staleMark(null);
    const decide = decisionControls(id, {
      done: async (message) => {
        result.replaceChildren(h('div', { class: 'ok', role: 'status' }, message));
        await view.refresh().catch(ctx.report);
      },
      // Refused (decided elsewhere, say): the envelope, and the task as it is now.
      failed: async (e) => {
        result.replaceChildren(errorBox(e));
        await view.refresh().catch(ctx.report);
      },
    });
    const approval = h('div', { class: 'approval-panel', id: 'approval', hidden: true },
      h('strong', {}, 'Approval '), approvalState, stale, decide);
    let upstreamFor = null;

    const act = async (verb, body) => {
      cancel.disabled = retry.disabled = true;
      try {
        const r = await api(`/api/tasks/${id}/${verb}`, { method: 'POST', body });
        result.replaceChildren(h('div', { class: 'ok', role: 'status' }, verb === 'cancel'
          ? `Cancelled (was ${r.previous_status}).`
          : `Queued again${r.requeued_dependents?.length ? `, with ${r.requeued_dependents.length} dependent task(s)` : ''}.`));
        await view.refresh();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        result.replaceChildren(errorBox(e));
      } finally {
        cancel.disabled = retry.disabled = false;
      }
    };
    cancel.addEventListener('click', () => act('cancel', reason.value.trim() ? { reason: reason.value.trim() } : {}));
    retry.addEventListener('click', () => act('retry', { reset_retry_count: reset.checked }));

    root.replaceChildren(
      h('p', {}, h('a', { href: '#/tasks' }, '← all tasks')),
      title,
      h('div', { class: 'actions' }, reason, cancel, ' ', h('label', {}, reset, ' reset retry count'), retry),
      result,
      approval,
      h('div', { class: 'panels' },
        h('section', { class: 'panel' }, h('h2', {}, 'Fields'), h('table', { class: 'fields' }, fields)),
        h('section', { class: 'panel' }, h('h2', {}, 'Audit trail'), timeline),
        h('section', { class: 'panel' }, h('h2', {}, 'Upstream (it depends on)'), upstream,
          h('h2', {}, 'Downstream (depend on it)'), downstream),
        h('section', { class: 'panel' }, h('h2', {}, 'Input'), input, h('h2', {}, 'Output'), output)),
    );

    const view = {
      async refresh() {
        const [{ task }, { audit }, down, self] = await Promise.all([
          api(`/api/tasks/${id}`),
          api(`/api/tasks/${id}/audit`),
          api(`/api/tasks/status?${query({ workspace_id: ctx.ws, depends_on: id, limit: 1000 })}`),
          // Its status entry, for what the task row lacks: whether its dependencies are met.
          api(`/api/tasks/status?${query({ workspace_id: ctx.ws, task_id: id, limit: 1 })}`),
        ]);
        const met = self.tasks[0]?.dependencies_met;
        title.replaceChildren(task.task_description, ' ', statusBadge(task.status),
          task.status === 'queued' && met !== undefined
            ? h('span', { class: `mark ${met ? 'met' : 'waits'}`, id: 'task-deps' }, met ? 'dependencies met' : 'waiting on dependencies')
            : '');
        approval.hidden = !task.approval;
        if (task.approval) {
          approvalState.replaceChildren(approvalBadge(task.approval, task.status));
          stale.hidden = !task.approval.stale;
        }
        decide.hidden = !awaitingApproval(task);
        fields.replaceChildren(...FIELDS.map((k) => h('tr', {}, h('th', {}, k), h('td', { 'data-field': k }, show(k, task[k])))));
        text(input, JSON.stringify(task.input_data, null, 2));
        text(output, task.output_data === null ? '(none yet)' : JSON.stringify(task.output_data, null, 2));
        timeline.replaceChildren(...(audit.length ? audit.map(entry) : [h('li', { class: 'empty' }, 'No audit rows.')]));
        downstream.replaceChildren(...(down.tasks.length
          ? down.tasks.map((t) => link(t.id, t.description, t.status, t.approval))
          : [h('li', { class: 'empty' }, 'Nothing depends on it.')]));
        // Looked up again only when they change, or while one still waits for its approval.
        const key = task.depends_on.join(',');
        if (upstreamFor !== key) {
          const [items, deciding] = await upstreamLinks(task.depends_on);
          upstreamFor = deciding ? null : key;
          upstream.replaceChildren(...items);
        }
      },
    };
    return view;
  },
};

// [list items, whether one of them has an undecided approval].
async function upstreamLinks(ids) {
  if (!ids.length) return [[h('li', { class: 'empty' }, 'No dependencies.')], false];
  const looked = await Promise.all(ids.slice(0, MAX_UPSTREAM_LOOKUPS).map((id) => api(`/api/tasks/${id}`)
    .then((r) => r.task)));
  const more = ids.slice(MAX_UPSTREAM_LOOKUPS).map((id) => link(id, shortId(id), null));
  const items = [...looked.map((t) => link(t.id, t.task_description, t.status, t.approval)), ...more];
  return [items, looked.some((t) => t.approval?.state === 'pending')];
}

function link(id, label, status, approval) {
  return h('li', {}, status ? statusBadge(status) : '', approval ? [' ', approvalBadge(approval, status, true)] : '',
    ' ', h('a', { href: `#/task/${id}` }, label));
}

function show(key, value) {
  if (value === null || value === undefined) return '–';
  if (key === 'status') return statusBadge(value);
  if (TIMES.has(key)) return h('time', { datetime: value, title: value }, fmtTime(value));
  if (key === 'strategy_id') return h('a', { href: `#/dag/${value}` }, value);
  return String(value);
}

function entry(row) {
  const details = row.details && Object.keys(row.details).length ? JSON.stringify(row.details) : '';
  return h('li', { class: `a-${row.action.replace(/\W/g, '-')}` },
    h('time', { datetime: row.created_at }, fmtTime(row.created_at)),
    h('strong', {}, row.action),
    row.status ? statusBadge(row.status) : '',
    h('span', { class: 'actor' }, `by ${row.agent}`),
    details ? h('code', { class: 'details' }, details) : '');
}
