// Building DOM and SVG from data. Text always goes in as text nodes (never parsed as HTML), so a task
// description cannot inject markup; styling is by class only, as the page's CSP requires.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export function text(el, value) {
  if (el.textContent !== String(value)) el.textContent = String(value);
}

// The last 8 hex digits: task ids are UUIDv7, whose first ones are the creation time and so
// shared by every task of one decomposition.
export function shortId(id) {
  return String(id).slice(-8);
}

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function fmtAge(secs) {
  if (secs === null || secs === undefined) return '–';
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}`;
}

export function fmtPercent(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '–';
  return `${(ratio * 100).toFixed(1)} %`;
}

export function statusBadge(status) {
  return h('span', { class: `badge s-${status}` }, status.replace('_', ' '));
}

// The API's error envelope as it came: status, code and message.
export function errorBox(error) {
  const head = error.code ? `${error.status} ${error.code}` : 'Error';
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, head), ' ', error.detail ?? error.message);
}
