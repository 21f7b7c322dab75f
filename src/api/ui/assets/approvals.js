// The approval queue (GET /api/approvals): each result waiting for a person, oldest first, with
// the agent's output, how long it has waited, the tasks waiting on it, and Approve / Reject.
// Cards are kept across polls (keyed by task id), so a comment being typed survives a refresh.

import { api, query } from './api.js';
import { h, text, shortId, fmtAge, fmtTime, errorBox } from './dom.js';
import { decisionControls, staleMark } from './decide.js';

const LIMIT = 200;

export const approvals = {
  mount(root, ctx) {
    const summary = h('p', { class: 'summary', id: 'approvals-summary' }, '…');
    const result = h('div', { class: 'action-result', id: 'approval-result', 'aria-live': 'polite' });
    const list = h('div', { class: 'approval-list', id: 'approval-list' });
    const cards = new Map(); // task id → {el, update}
    let order = null;
    root.replaceChildren(h('h1', {}, 'Approvals'), summary, result, list);

    const view = {
      async refresh() {
        const q = await api(`/api/approvals?${query({ workspace_id: ctx.ws, limit: LIMIT })}`);
        const n = q.approvals.length;
        text(summary, n ? `${n === LIMIT ? `The oldest ${n}` : n} result${n === 1 ? '' : 's'} awaiting approval, oldest first; ` +
          `stale after ${fmtAge(q.remind_after_secs)}.` : 'No results await approval.');
        const seen = new Set(q.approvals.map((a) => a.id));
        for (const id of cards.keys()) if (!seen.has(id)) cards.delete(id);
        for (const a of q.approvals) {
          if (!cards.has(a.id)) cards.set(a.id, card(a, q.remind_after_secs, decided));
          cards.get(a.id).update(a);
        }
        // Re-attach only when the list changed: moving a node would take the focus from its input.
        const next = q.approvals.map((a) => a.id).join(',');
        if (next !== order) {
          order = next;
          list.replaceChildren(...(n ? q.approvals.map((a) => cards.get(a.id).el) : []));
        }
      },
    };
    const decided = (a) => ({
      done: async (message) => {
        result.replaceChildren(h('div', { class: 'ok', role: 'status' }, `“${a.task_description}”: ${message}`));
        await view.refresh().catch(ctx.report);
      },
      // Refused (decided elsewhere, say): the envelope, and the queue as it is now.
      failed: async (e) => {
        result.replaceChildren(errorBox(e));
        await view.refresh().catch(ctx.report);
      },
    });
    return view;
  },
};

function card(a, remindSecs, decided) {
  const waited = h('span', { class: 'waited' });
  const stale = staleMark(a.approval, remindSecs);
  const output = h('pre', { class: 'json approval-output' });
  const deps = h('span', { class: 'dependents' });
  const el = h('article', { class: 'approval', 'data-id': a.id },
    h('h2', {}, h('a', { href: `#/task/${a.id}`, class: 'approval-task' }, a.task_description),
      h('span', { class: 'id' }, shortId(a.id)), stale),
    h('p', { class: 'meta' }, `${a.task_type} · `, h('strong', { class: 'agent' }, a.assigned_agent),
      ` · priority ${a.priority} · waiting for `, waited),
    output,
    h('p', { class: 'meta' }, 'Waiting on it: ', deps),
    decisionControls(a.id, decided(a)));
  return {
    el,
    update(next) {
      const at = next.approval.requested_at;
      text(waited, at ? fmtAge((Date.now() - Date.parse(at)) / 1000) : '–');
      waited.title = at ? fmtTime(at) : '';
      stale.hidden = !next.approval.stale;
      text(output, next.output_data === null ? '(no output)' : JSON.stringify(next.output_data, null, 2));
      const ids = next.waiting_dependents;
      if (deps.dataset.ids === ids.join(',')) return;
      deps.dataset.ids = ids.join(',');
      deps.replaceChildren(...(ids.length
        ? ids.flatMap((id, i) => [i ? ', ' : '', h('a', { href: `#/task/${id}`, class: 'dependent' }, `task ${shortId(id)}`)])
        : [h('span', { class: 'empty' }, 'no queued task')]));
    },
  };
}
