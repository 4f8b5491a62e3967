// Counts from GET /api/tasks/stats and a small SVG bar chart of them, in a
// disclosure: open on wide screens, where it sits beside the list; closed on
// phones and under the board, where its one-line summary is enough and the
// tasks come first.
import { useState } from 'react';
import { barLayout, statsSummary, statsToBars } from '../lib/chart.js';

const WIDTH = 160;
const LABEL = 90;

function Bars({ title, list }) {
  const rows = barLayout(list, { width: WIDTH });
  const height = rows.length ? rows[rows.length - 1].y + rows[rows.length - 1].height : 0;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${LABEL + WIDTH + 40} ${height}`} role="img"
        aria-label={`${title}: ${list.map((b) => `${b.label} ${b.value}`).join(', ')}`}>
        {rows.map((b) => (
          <g key={b.key} transform={`translate(0 ${b.y})`}>
            <text x="0" y={b.height / 2} dominantBaseline="middle" className="chart-label">{b.label}</text>
            <rect x={LABEL} y="0" width={WIDTH} height={b.height} className="chart-track" rx="3" />
            {b.width > 0 && <rect x={LABEL} y="0" width={b.width} height={b.height} className={`chart-bar bar-${b.key}`} rx="3" />}
            <text x={LABEL + WIDTH + 6} y={b.height / 2} dominantBaseline="middle" className="chart-value">{b.value}</text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

export default function StatsPanel({ stats, openAtFirst }) {
  const [open, setOpen] = useState(openAtFirst);
  if (!stats) return null;
  const bars = statsToBars(stats);
  return (
    <section className="card stats" aria-labelledby="stats-title">
      <p className="sr-only" aria-live="polite">{statsSummary(stats)}</p>
      <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>
          <h2 id="stats-title">Overview</h2>
          <span className="stats-line" aria-hidden={open ? 'true' : undefined}>
            {stats.total} {stats.total === 1 ? 'task' : 'tasks'} · {stats.overdue} overdue · {stats.dueToday} due today
          </span>
        </summary>
        <dl className="stat-numbers">
          <div><dt>Total</dt><dd data-stat="total">{stats.total}</dd></div>
          <div><dt>Overdue</dt><dd data-stat="overdue">{stats.overdue}</dd></div>
          <div><dt>Due today</dt><dd data-stat="dueToday">{stats.dueToday}</dd></div>
          <div><dt>Done in 7 days</dt><dd data-stat="completedLast7Days">{stats.completedLast7Days}</dd></div>
        </dl>
        <div className="charts">
          <Bars title="By status" list={bars.status} />
          <Bars title="By priority" list={bars.priority} />
        </div>
      </details>
    </section>
  );
}
