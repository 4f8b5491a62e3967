// One task on the board: its details and actions (complete, edit, delete
// with an inline confirmation). Focus stays with the task: opening the
// confirmation focuses its Cancel, and closing it or the edit form returns
// focus to the button that opened it. The Board moves focus on after
// Complete and Delete (data-action marks the buttons it looks for).
import { useEffect, useRef, useState } from 'react';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import TaskForm from './TaskForm.jsx';

function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString(undefined, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
}

export default function TaskItem({ task, onUpdate, onDelete }) {
  const [mode, setMode] = useState('view'); /* view | editing | confirming */
  const returnTo = useRef(null); /* data-action of the button to refocus, after a mode closes */
  const rootRef = useRef(null);
  const titleId = `task-${task._id}`;

  useEffect(() => {
    const root = rootRef.current;
    if (!root) return;
    if (mode === 'confirming') root.querySelector('[data-action="cancel-delete"]')?.focus();
    else if (mode === 'view' && returnTo.current) root.querySelector(`[data-action="${returnTo.current}"]`)?.focus();
    returnTo.current = null;
  }, [mode]);

  const close = (action) => {
    returnTo.current = action;
    setMode('view');
  };

  if (mode === 'editing')
    return (
      <li className="task editing" data-task-id={task._id} ref={rootRef}>
        <TaskForm task={task} submitLabel="Save changes" onCancel={() => close('edit')}
          onSave={async (body) => { await onUpdate(task, body); close('edit'); }} />
      </li>
    );

  return (
    <li className={`task status-${task.status}`} aria-labelledby={titleId} data-task-id={task._id} ref={rootRef}>
      <div className="task-main">
        <h3 id={titleId} className="task-title">{task.title}</h3>
        {task.description && <p className="task-desc">{task.description}</p>}
        <p className="task-meta">
          <span className={`badge badge-${task.status}`}>{STATUS_LABELS[task.status] ?? task.status}</span>
          <span className={`badge badge-${task.priority}`}>{PRIORITY_LABELS[task.priority] ?? task.priority} priority</span>
          {task.dueDate && <span>Due {formatDate(task.dueDate)}</span>}
          {task.tags.map((t) => <span key={t} className="tag">#{t}</span>)}
        </p>
      </div>
      <div className="task-actions">
        {mode === 'confirming' ? (
          <div role="group" aria-label={`Delete ${task.title}?`} className="confirm">
            <span>Delete this task?</span>
            <button type="button" className="btn btn-danger" data-action="confirm-delete" onClick={() => onDelete(task)}>Yes, delete</button>
            <button type="button" className="btn btn-ghost" data-action="cancel-delete" onClick={() => close('delete')}>Cancel</button>
          </div>
        ) : (
          <>
            {task.status !== 'completed' && (
              <button type="button" className="btn" data-action="complete" onClick={() => onUpdate(task, { status: 'completed' })}
                aria-label={`Complete ${task.title}`}>Complete</button>
            )}
            <button type="button" className="btn" data-action="edit" onClick={() => setMode('editing')} aria-label={`Edit ${task.title}`}>Edit</button>
            <button type="button" className="btn btn-danger-ghost" data-action="delete" onClick={() => setMode('confirming')}
              aria-label={`Delete ${task.title}`}>Delete</button>
          </>
        )}
      </div>
    </li>
  );
}
