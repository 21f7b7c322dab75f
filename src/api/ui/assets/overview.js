// Overview of one workspace, from GET /api/metrics/orchestrator: counts by status, queue depth,
// the last hour per minute, failure rate, execution times, agents and alerts.

import { api, query } from './api.js';
import { h, svg, text, fmtMs, fmtAge, fmtPercent } from './dom.js';

const COUNTS = [
  ['total', 'Tasks', (m) => m.total_tasks],
  ['queued', 'Queued', (m) => m.queue_depth],
  ['ready', 'Ready now', (m) => m.ready_depth],
  ['in_progress', 'In progress', (m) => m.in_progress],
  ['completed', 'Completed', (m) => m.completed],
  ['failed', 'Failed', (m) => m.failed],
  ['cancelled', 'Cancelled', (m) => m.cancelled],
];

const STATS = [
  ['failure-rate', 'Failure rate', (m) => (m.success_rate === null ? '–' : fmtPercent(1 - m.success_rate)),
    'failed ÷ (completed + failed)'],
  ['avg', 'Average execution', (m) => fmtMs(m.average_execution_time_ms), 'completed tasks'],
  ['p95', 'p95 execution', (m) => fmtMs(m.p95_execution_time_ms), 'completed tasks'],
  ['oldest-ready', 'Oldest ready task', (m) => (m.ready_depth ? fmtAge(m.oldest_ready_age_seconds) : '–'),
    'waiting since it became due'],
  ['retries', 'Retries', (m) => m.total_retries, 'all tasks'],
  ['today', 'Today', (m) => `${m.tasks_executed_today} done · ${m.tasks_failed_today} failed`, (m) => m.timezone],
];

export const overview = {
  mount(root, ctx) {
    const cells = {};
    const countCards = COUNTS.map(([key, label]) => {
      cells[key] = h('span', { class: 'value', id: `count-${key}` }, '…');
      return h('div', { class: `card count s-${key}` }, h('span', { class: 'label' }, label), cells[key]);
    });
    const statCards = STATS.map(([key, label]) => {
      cells[key] = h('span', { class: 'value', id: `stat-${key}` }, '…');
      cells[`${key}-note`] = h('span', { class: 'note' });
      return h('div', { class: 'card stat' }, h('span', { class: 'label' }, label), cells[key], cells[`${key}-note`]);
    });
    const chart = h('div', { class: 'chart', id: 'throughput-chart' });
    const chartTotals = h('span', { class: 'note' });
    const agents = h('tbody');
    const alerts = h('ul', { class: 'alerts', id: 'alerts' });
    root.replaceChildren(
      h('h1', {}, 'Overview'),
      h('div', { class: 'cards', id: 'counts' }, countCards),
      h('div', { class: 'cards' }, statCards),
      h('div', { class: 'panels' },
        h('section', { class: 'panel wide' },
          h('h2', {}, 'Last hour, per minute ', chartTotals),
          chart,
          h('p', { class: 'legend' },
            h('span', { class: 'key completed' }), 'completed ',
            h('span', { class: 'key failed' }), 'failed ',
            h('span', { class: 'key retried' }), 'retry scheduled')),
        h('section', { class: 'panel' },
          h('h2', {}, 'Alerts'), alerts),
        h('section', { class: 'panel' },
          h('h2', {}, 'Agents'),
          h('table', { class: 'agents' },
            h('thead', {}, h('tr', {}, h('th', {}, 'agent'), h('th', {}, 'share of today\'s attempts'), h('th', {}, 'running now'))),
            agents))),
    );
    return {
      async refresh() {
        const m = await api(`/api/metrics/orchestrator?${query({ workspace_id: ctx.ws })}`);
        for (const [key, , get] of COUNTS) text(cells[key], get(m));
        for (const [key, , get, note] of STATS) {
          text(cells[key], get(m));
          text(cells[`${key}-note`], typeof note === 'function' ? note(m) : note);
        }
        const sum = (k) => m.throughput.reduce((n, b) => n + b[k], 0);
        text(chartTotals, `(${sum('completed')} completed, ${sum('failed')} failed, ${sum('retried')} retries)`);
        chart.replaceChildren(throughputChart(m.throughput));
        agents.replaceChildren(...agentRows(m));
        alerts.replaceChildren(...m.alerts.map(alertItem));
      },
    };
  },
};

function agentRows(m) {
  const names = [...new Set([...Object.keys(m.agents_utilization), ...Object.keys(m.agents_in_flight)])].sort();
  if (!names.length) return [h('tr', {}, h('td', { colspan: 3, class: 'empty' }, 'No attempts today.'))];
  return names.map((name) => {
    const share = m.agents_utilization[name] ?? 0;
    const bar = svg('svg', { class: 'bar', viewBox: '0 0 100 10', width: 120, height: 12, preserveAspectRatio: 'none' },
      svg('rect', { class: 'bar-bg', x: 0, y: 0, width: 100, height: 10 }),
      svg('rect', { class: 'bar-fg', x: 0, y: 0, width: Math.round(share * 100), height: 10 }));
    return h('tr', {}, h('td', {}, name), h('td', {}, bar, ' ', fmtPercent(share)), h('td', {}, m.agents_in_flight[name] ?? 0));
  });
}

function alertItem(a) {
  return h('li', { class: a.firing ? 'firing' : 'ok' },
    h('span', { class: 'badge' }, a.firing ? 'firing' : 'ok'), ' ',
    h('strong', {}, a.name), ` ${round(a.value)} (threshold ${round(a.threshold)})`,
    a.since ? h('span', { class: 'note' }, ` since ${new Date(a.since).toLocaleTimeString()}`) : '');
}

function round(x) {
  return Number.isInteger(x) ? x : Number(x).toFixed(2);
}

// 60 stacked bars (completed under failed) and a dot per minute with retries scheduled.
function throughputChart(buckets) {
  const W = 1200, H = 180, top = 12, bottom = 22, left = 34;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.completed + b.failed, b.retried)));
  const bw = (W - left) / buckets.length;
  const y = (v) => top + plotH - (v / max) * plotH;
  const parts = [
    svg('line', { class: 'axis', x1: left, y1: top + plotH, x2: W, y2: top + plotH }),
    svg('text', { class: 'tick', x: left - 4, y: top + 4, 'text-anchor': 'end' }, max),
    svg('text', { class: 'tick', x: left - 4, y: top + plotH, 'text-anchor': 'end' }, 0),
    svg('text', { class: 'tick', x: left, y: H - 4 }, '−60 min'),
    svg('text', { class: 'tick', x: W, y: H - 4, 'text-anchor': 'end' }, 'now'),
  ];
  buckets.forEach((b, i) => {
    const x = left + i * bw + 1;
    const label = `${new Date(b.minute).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}: ` +
      `${b.completed} completed, ${b.failed} failed, ${b.retried} retries`;
    const g = svg('g', {}, svg('title', {}, label));
    if (b.completed) g.append(svg('rect', { class: 'completed', x, width: bw - 2, y: y(b.completed), height: top + plotH - y(b.completed) }));
    if (b.failed) g.append(svg('rect', { class: 'failed', x, width: bw - 2, y: y(b.completed + b.failed), height: y(b.completed) - y(b.completed + b.failed) }));
    if (b.retried) g.append(svg('circle', { class: 'retried', cx: x + (bw - 2) / 2, cy: y(b.retried), r: 2.5 }));
    // An invisible full-height target, so every minute has a tooltip.
    g.append(svg('rect', { class: 'hit', x, width: bw - 2, y: top, height: plotH }));
    parts.push(g);
  });
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'throughput', role: 'img', 'aria-label': 'completed and failed per minute' }, parts);
}
