// The trash (/trash): the user's deleted tasks, last deleted first
// (GET /api/tasks/trash, 20 at a time with "Load more"), each with when it
// was deleted and when it goes for good, and a Restore button
// (POST /api/tasks/:id/restore) that takes it out of this list. Focus moves
// to the next task's Restore button, else the heading, never <body>.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { fullDate } from '../lib/dates.js';
import { deletedWords, purgeWords, retentionNote } from '../lib/trash.js';
import { notifyError } from '../notify.jsx';

const PAGE = 20;

export default function Trash() {
  const [tasks, setTasks] = useState(null); /* null while the first page loads */
  const [total, setTotal] = useState(0);
  const [more, setMore] = useState(false);
  const [retention, setRetention] = useState(null);
  const [busy, setBusy] = useState(null); /* id being restored, or 'more' */
  const [said, setSaid] = useState('');
  const heading = useRef(null);
  const list = useRef(null);

  const loadPage = useCallback(async (n) => {
    const res = await api.trash({ page: n, limit: PAGE });
    setRetention(res.retentionMs);
    setTotal(res.pagination.totalTasks);
    setMore(n < res.pagination.totalPages);
    return res.tasks;
  }, []);

  useEffect(() => {
    let live = true;
    loadPage(1).then((t) => live && setTasks(t), (err) => { if (live) { setTasks([]); notifyError(err); } });
    return () => { live = false; };
  }, [loadPage]);

  async function loadMore() {
    setBusy('more');
    try {
      // the page holding the first task not shown: restores moved the
      // server's pages up, so it may repeat some shown ones (dropped here)
      // but never skips one
      const shown = new Set(tasks.map((t) => t._id));
      const next = await loadPage(Math.floor(tasks.length / PAGE) + 1);
      setTasks([...tasks, ...next.filter((t) => !shown.has(t._id))]);
    } catch (err) {
      notifyError(err);
    } finally {
      setBusy(null);
    }
  }

  async function restore(task) {
    setBusy(task._id);
    try {
      await api.restoreTask(task._id);
      const at = tasks.findIndex((t) => t._id === task._id);
      const rest = tasks.filter((t) => t._id !== task._id);
      setTasks(rest);
      setTotal((n) => Math.max(0, n - 1));
      setSaid(`Restored “${task.title}”`);
      const next = rest[Math.min(at, rest.length - 1)];
      requestAnimationFrame(() => {
        const btn = next && list.current?.querySelector(`[data-restore="${CSS.escape(next._id)}"]`);
        (btn ?? heading.current)?.focus();
      });
    } catch (err) {
      notifyError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card trash-page" aria-labelledby="trash-title">
      <p className="back"><Link to="/">← Back to your tasks</Link></p>
      <h1 id="trash-title" ref={heading} tabIndex={-1}>Trash</h1>
      {retention !== null && <p className="hint">{retentionNote(retention)}</p>}
      <p className="sr-only" role="status" aria-live="polite">{said}</p>
      {tasks === null && <p className="loading" role="status">Loading…</p>}
      {tasks !== null && tasks.length === 0 && <p className="empty">The trash is empty.</p>}
      {tasks !== null && tasks.length > 0 && (
        <>
          <p className="count">{total === 1 ? '1 deleted task' : `${total} deleted tasks`}</p>
          <ul className="tasks" ref={list}>
            {tasks.map((t) => (
              <li key={t._id} className="task trash-item" aria-labelledby={`trash-${t._id}`} data-task-id={t._id}>
                <div className="task-main">
                  <h2 id={`trash-${t._id}`} className="task-title">{t.title}</h2>
                  <p className="task-meta">
                    <time dateTime={t.deletedAt} title={fullDate(t.deletedAt)}>{deletedWords(t.deletedAt)}</time>
                    {retention > 0 && <span> · {purgeWords(t.deletedAt, retention)}</span>}
                  </p>
                </div>
                <div className="task-actions">
                  <button type="button" className="btn" data-restore={t._id} disabled={busy === t._id}
                    aria-label={`Restore ${t.title}`} onClick={() => restore(t)}>Restore</button>
                </div>
              </li>
            ))}
          </ul>
          {more && <button type="button" className="btn more" onClick={loadMore} disabled={busy === 'more'}>Load more</button>}
        </>
      )}
    </section>
  );
}
