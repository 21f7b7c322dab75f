// Approval gates in the page, shared by the approval queue (approvals.js) and a task's page
// (detail.js): the approval state as a badge, and the Approve / Reject controls
// (POST /api/tasks/{id}/approve|reject).

import { api, ApiError } from './api.js';
import { h, fmtTime } from './dom.js';

// A completed result nobody has decided on yet: its dependents wait for it.
export const awaitingApproval = (t) => t.status === 'completed' && t.approval?.state === 'pending';

// `short`: the state alone, for lists of links.
export function approvalBadge(a, status, short = false) {
  if (!a) return '';
  if (short && a.state !== 'pending') return h('span', { class: `badge ap-${a.state}`, title: `by ${a.by}: ${a.comment ?? ''}` }, a.state);
  if (a.state === 'approved') {
    return h('span', { class: 'badge ap-approved', title: a.comment ?? '' },
      `approved by ${a.by} at ${fmtTime(a.at)}${a.comment ? `: ${a.comment}` : ''}`);
  }
  if (a.state === 'rejected') return h('span', { class: 'badge ap-rejected', title: fmtTime(a.at) }, `rejected by ${a.by}: ${a.comment}`);
  return h('span', { class: 'badge ap-pending' }, status === 'completed' ? 'awaiting approval' : 'needs approval once completed');
}

export function staleMark(a, remindSecs) {
  const title = remindSecs ? `waiting for longer than ${Math.round(remindSecs / 60)} min` : 'waiting for too long';
  return h('span', { class: 'mark stale', title, hidden: !a?.stale }, 'stale');
}

// An optional comment and Approve; a reason and Reject, which stays disabled until the reason
// has text (the API refuses a blank one). `done(message)` gets the outcome; `failed(error)` the
// API's refusal, to show as its envelope.
export function decisionControls(id, { done, failed }) {
  const comment = h('input', { type: 'text', class: 'approve-comment', placeholder: 'comment (optional)', maxlength: 2000 });
  const reason = h('input', { type: 'text', class: 'reject-reason', placeholder: 'reason (required to reject)', maxlength: 2000 });
  const approve = h('button', { type: 'button', class: 'approve-button' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'reject-button danger', disabled: true }, 'Reject');
  let busy = false;
  const sync = () => {
    approve.disabled = busy;
    reject.disabled = busy || !reason.value.trim();
  };
  reason.addEventListener('input', sync);
  const decide = async (verb, body) => {
    busy = true;
    sync();
    try {
      const r = await api(`/api/tasks/${id}/${verb}`, { method: 'POST', body });
      comment.value = reason.value = '';
      await done(outcome(r));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      await failed(e);
    } finally {
      busy = false;
      sync();
    }
  };
  approve.addEventListener('click', () => decide('approve', comment.value.trim() ? { comment: comment.value.trim() } : {}));
  reject.addEventListener('click', () => decide('reject', { reason: reason.value.trim() }));
  return h('div', { class: 'decide' },
    h('div', { class: 'actions' }, comment, approve),
    h('div', { class: 'actions' }, reason, reject));
}

function outcome(r) {
  const n = r.approval.state === 'approved' ? r.ready_dependents : r.cancelled_dependents.length;
  const tasks = `${n} dependent task${n === 1 ? '' : 's'}`;
  return r.approval.state === 'approved' ? `Approved; ${tasks} ready.` : `Rejected; ${tasks} cancelled.`;
}
