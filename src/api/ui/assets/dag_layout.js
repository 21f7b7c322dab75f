// Lays out a decomposed strategy's tasks (pure: data in, coordinates out; no DOM).
//
// Phases are columns, left to right in plan order. Inside a phase, a task that depends on
// another task of the same phase (calendar and email tasks wait for that phase's content) goes
// one sub-column further right, so every edge points rightwards. Pillar and KPI tasks belong to
// no phase and have no edges: they sit apart, in a band under the phases.

export const NODE_W = 180;
export const NODE_H = 40;
const SUB_GAP = 28;
const COL_GAP = 56;
const ROW_GAP = 12;
const PAD = 16;
const HEAD = 30;
const BAND_GAP = 44;

const byCreation = (a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1);

export function layout(tasks) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const phased = tasks.filter((t) => t.phase_index !== null && t.phase_index !== undefined);
  const ongoing = tasks.filter((t) => t.phase_index === null || t.phase_index === undefined).sort(byCreation);

  const level = new Map();
  const levelOf = (t, path = new Set()) => {
    if (level.has(t.id)) return level.get(t.id);
    if (path.has(t.id)) return 0; // a cycle cannot be decomposed, but never loop on bad data
    path.add(t.id);
    let l = 0;
    for (const dep of t.depends_on) {
      const u = byId.get(dep);
      if (u && u.phase_index === t.phase_index) l = Math.max(l, levelOf(u, path) + 1);
    }
    level.set(t.id, l);
    return l;
  };

  const phases = new Map(); // phase_index -> {name, columns: Map(level -> tasks)}
  for (const t of phased.sort(byCreation)) {
    if (!phases.has(t.phase_index)) phases.set(t.phase_index, { name: t.phase ?? `Phase ${t.phase_index + 1}`, columns: new Map() });
    const cols = phases.get(t.phase_index).columns;
    const l = levelOf(t);
    if (!cols.has(l)) cols.set(l, []);
    cols.get(l).push(t);
  }

  const nodes = [];
  const headers = [];
  let x = PAD;
  let bottom = PAD + HEAD;
  for (const index of [...phases.keys()].sort((a, b) => a - b)) {
    const phase = phases.get(index);
    const levels = Math.max(...phase.columns.keys()) + 1;
    headers.push({ x, label: phase.name, width: levels * NODE_W + (levels - 1) * SUB_GAP });
    for (const [l, column] of phase.columns) {
      column.forEach((t, i) => {
        const y = PAD + HEAD + i * (NODE_H + ROW_GAP);
        nodes.push({ id: t.id, task: t, x: x + l * (NODE_W + SUB_GAP), y });
        bottom = Math.max(bottom, y + NODE_H);
      });
    }
    x += levels * NODE_W + (levels - 1) * SUB_GAP + COL_GAP;
  }
  let width = Math.max(x - COL_GAP + PAD, PAD * 2 + NODE_W);

  let band = null;
  if (ongoing.length) {
    const perRow = Math.max(1, Math.min(ongoing.length, Math.floor((Math.max(width, 3 * (NODE_W + SUB_GAP)) - PAD) / (NODE_W + SUB_GAP))));
    const top = phases.size ? bottom + BAND_GAP : PAD + HEAD;
    band = { y: top - 8, label: 'Ongoing: content pillars and KPIs (no phase, no dependencies)' };
    ongoing.forEach((t, i) => {
      const y = top + 14 + Math.floor(i / perRow) * (NODE_H + ROW_GAP);
      nodes.push({ id: t.id, task: t, x: PAD + (i % perRow) * (NODE_W + SUB_GAP), y });
      bottom = Math.max(bottom, y + NODE_H);
    });
    width = Math.max(width, PAD + perRow * (NODE_W + SUB_GAP));
  }

  const at = new Map(nodes.map((n) => [n.id, n]));
  const edges = [];
  for (const n of nodes) {
    for (const dep of n.task.depends_on) {
      const from = at.get(dep);
      if (!from) continue; // a dependency outside this strategy
      const x1 = from.x + NODE_W, y1 = from.y + NODE_H / 2;
      const x2 = n.x, y2 = n.y + NODE_H / 2;
      const dx = Math.max(20, (x2 - x1) / 2);
      edges.push({ from: dep, to: n.id, d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}` });
    }
  }
  return { width, height: bottom + PAD, nodes, edges, headers, band };
}
