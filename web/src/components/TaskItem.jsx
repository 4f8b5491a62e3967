// One task on the board: its details and actions (complete, edit, delete
// with an inline confirmation).
import { useState } from 'react';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import TaskForm from './TaskForm.jsx';

function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString(undefined, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
}

export default function TaskItem({ task, onUpdate, onDelete }) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const titleId = `task-${task._id}`;

  if (editing)
    return (
      <li className="task editing">
        <TaskForm task={task} submitLabel="Save changes" onCancel={() => setEditing(false)}
          onSave={async (body) => { await onUpdate(task, body); setEditing(false); }} />
      </li>
    );

  return (
    <li className={`task status-${task.status}`} aria-labelledby={titleId}>
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
        {confirming ? (
          <div role="group" aria-label={`Delete ${task.title}?`} className="confirm">
            <span>Delete this task?</span>
            <button type="button" className="btn btn-danger" onClick={() => onDelete(task)}>Yes, delete</button>
            <button type="button" className="btn btn-ghost" onClick={() => setConfirming(false)}>Cancel</button>
          </div>
        ) : (
          <>
            {task.status !== 'completed' && (
              <button type="button" className="btn" onClick={() => onUpdate(task, { status: 'completed' })}
                aria-label={`Complete ${task.title}`}>Complete</button>
            )}
            <button type="button" className="btn" onClick={() => setEditing(true)} aria-label={`Edit ${task.title}`}>Edit</button>
            <button type="button" className="btn btn-danger-ghost" onClick={() => setConfirming(true)}
              aria-label={`Delete ${task.title}`}>Delete</button>
          </>
        )}
      </div>
    </li>
  );
}
