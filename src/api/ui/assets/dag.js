// A decomposed strategy as an SVG DAG (layout in dag_layout.js), nodes coloured by status and
// recoloured in place on every poll while it runs (results awaiting approval outlined); a click
// opens the task.

import { api, query } from './api.js';
import { h, svg, text } from './dom.js';
import { layout, NODE_W, NODE_H } from './dag_layout.js';
import { awaitingApproval } from './decide.js';

const STATUSES = ['queued', 'in_progress', 'completed', 'failed', 'cancelled'];
const LABEL_CHARS = 25;

export const dag = {
  mount(root, ctx) {
    const picker = h('select', { id: 'dag-strategy' });
    const count = h('span', { class: 'note', id: 'dag-count' });
    const canvas = h('div', { class: 'dag', id: 'dag' });
    picker.addEventListener('change', () => {
      location.hash = `#/dag/${picker.value}`;
    });
    root.replaceChildren(
      h('h1', {}, 'Strategy DAG'),
      h('div', { class: 'filters' }, h('label', {}, 'Strategy ', picker), count),
      h('p', { class: 'legend' }, STATUSES.map((s) => [h('span', { class: `key s-${s}` }), s.replace('_', ' '), ' ']),
        h('span', { class: 'key retrying' }), 'retrying ', h('span', { class: 'key stuck' }), 'stuck ', h('span', { class: 'key awaiting' }), 'awaiting approval'),
      canvas,
    );
    let strategy = ctx.arg || null;
    let shape = null; // ids and edges drawn; a change redraws, a status change only recolours
    let nodeEls = new Map();

    return {
      async refresh() {
        if (!picker.options.length) {
          const { strategies } = await api(`/api/strategies?${query({ workspace_id: ctx.ws })}`);
          if (!strategy) strategy = strategies.find((s) => s.decomposed)?.id ?? strategies[0]?.id ?? null;
          picker.replaceChildren(...strategies.map((s) => h('option', { value: s.id, selected: s.id === strategy },
            `${s.name} (${s.decomposed ? `${s.task_count} tasks` : 'not decomposed'})`)));
          if (!strategy) {
            canvas.replaceChildren(h('p', { class: 'empty' }, 'No strategy in this workspace yet.'));
            return;
          }
        }
        if (!strategy) return;
        const tasks = await allTasks(ctx.ws, strategy);
        text(count, `${tasks.length} tasks`);
        if (!tasks.length) {
          shape = null;
          canvas.replaceChildren(h('p', { class: 'empty' }, 'Not decomposed yet: POST /api/tasks/decompose.'));
          return;
        }
        const nextShape = tasks.map((t) => `${t.id}:${t.phase_index}:${t.depends_on.join(',')}`).sort().join(';');
        if (nextShape !== shape) {
          shape = nextShape;
          const drawn = draw(tasks);
          nodeEls = drawn.nodes;
          canvas.replaceChildren(drawn.svg);
        }
        for (const t of tasks) nodeEls.get(t.id)?.setAttribute('class', nodeClass(t));
      },
    };
  },
};

async function allTasks(ws, strategy) {
  const out = [];
  let cursor = null;
  do {
    const page = await api(`/api/tasks/status?${query({ workspace_id: ws, strategy_id: strategy, limit: 1000, cursor })}`);
    out.push(...page.tasks);
    cursor = page.next_cursor ?? null;
  } while (cursor);
  return out;
}

function nodeClass(t) {
  return `node s-${t.status}${t.retrying ? ' retrying' : ''}${t.stuck ? ' stuck' : ''}${awaitingApproval(t) ? ' awaiting' : ''}`;
}

function draw(tasks) {
  const L = layout(tasks);
  const nodes = new Map();
  const parts = [
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
  ];
  for (const c of L.headers) parts.push(svg('text', { class: 'phase', x: c.x, y: 30 }, c.label));
  if (L.band) {
    parts.push(svg('line', { class: 'band', x1: 8, x2: L.width - 8, y1: L.band.y - 14, y2: L.band.y - 14 }));
    parts.push(svg('text', { class: 'phase', x: 16, y: L.band.y }, L.band.label));
  }
  for (const e of L.edges) parts.push(svg('path', { class: 'edge', d: e.d, 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
  for (const n of L.nodes) {
    const t = n.task;
    const label = t.description.length > LABEL_CHARS ? `${t.description.slice(0, LABEL_CHARS - 1)}…` : t.description;
    const g = svg('g', { class: nodeClass(t), 'data-id': t.id, transform: `translate(${n.x},${n.y})`, tabindex: 0, role: 'link' },
      svg('title', {}, `${t.description}\n${t.status} · ${t.assigned_agent} · priority ${t.priority}`),
      svg('rect', { width: NODE_W, height: NODE_H, rx: 6 }),
      svg('text', { class: 'label', x: 8, y: 17 }, label),
      svg('text', { class: 'sub', x: 8, y: 32 }, `${t.assigned_agent} · p${t.priority}`));
    const open = () => { location.hash = `#/task/${t.id}`; };
    g.addEventListener('click', open);
    g.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    nodes.set(t.id, g);
    parts.push(g);
  }
  const el = svg('svg', { class: 'dag-svg', width: L.width, height: L.height, viewBox: `0 0 ${L.width} ${L.height}`, id: 'dag-svg' }, parts);
  return { svg: el, nodes };
}
