// One task, in the list or as a board card: its details, its due date in
// words (with the full date on hover and while the task has focus), and
// its actions: complete (or reopen), the one-click status control (pending →
// in progress → completed → pending), edit, delete with an inline
// confirmation. A board card is lighter (a board shows 150 at once): no
// description and no Complete button (its column and the status control say
// and change the status), and a Move handle (KanbanBoard.jsx). Focus
// stays with the task: opening the confirmation focuses its Cancel, and
// closing it or the edit form returns focus to the button that opened it.
// The page moves focus on after a change (data-action marks the buttons it
// looks for); j/k focus the item itself (tabIndex -1).
import { memo, useEffect, useRef, useState } from 'react';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import { dueInfo } from '../lib/dates.js';
import TaskForm from './TaskForm.jsx';

export const NEXT_STATUS = { pending: 'in-progress', 'in-progress': 'completed', completed: 'pending' };

function DueDate({ task }) {
  const info = dueInfo(task);
  if (!info) return null;
  return (
    <span className={`due due-${info.state}`} data-due={info.state}>
      {(info.state === 'overdue' || info.state === 'today') && <span className="due-flag" aria-hidden="true" />}
      <time dateTime={task.dueDate}>{info.label}</time>
      <span className="due-full"><span className="sr-only">, </span>{info.full}</span>
    </span>
  );
}

function TaskItem({ task, onStatus, onEdit, onDelete, card = false, lifted = false, onMoveClick, onMoveKey, onDragStart, onDragEnd }) {
  const [mode, setMode] = useState('view'); /* view | editing | confirming */
  const returnTo = useRef(null); /* data-action of the button to refocus, after a mode closes */
  const rootRef = useRef(null);
  const titleId = `task-${task._id}`;
  const Heading = card ? 'h4' : 'h3';

  useEffect(() => {
    const root = rootRef.current;
    if (!root) return;
    if (mode === 'confirming') root.querySelector('[data-action="cancel-delete"]')?.focus();
    else if (mode === 'view' && returnTo.current) root.querySelector(`[data-action="${returnTo.current}"]`)?.focus();
    returnTo.current = null;
  }, [mode]);

  // the # shortcut and e ask through these events, so the item keeps its modes
  useEffect(() => {
    const root = rootRef.current;
    if (!root) return undefined;
    const confirm = () => setMode('confirming');
    const edit = () => setMode('editing');
    root.addEventListener('lsf:delete', confirm);
    root.addEventListener('lsf:edit', edit);
    return () => {
      root.removeEventListener('lsf:delete', confirm);
      root.removeEventListener('lsf:edit', edit);
    };
  }, [mode]);

  const close = (action) => {
    returnTo.current = action;
    setMode('view');
  };

  const cls = `task status-${task.status}${card ? ' card-task' : ''}${lifted ? ' lifted' : ''}`;
  if (mode === 'editing')
    return (
      <li className={`${cls} editing`} data-task-id={task._id} ref={rootRef}>
        <TaskForm task={task} submitLabel="Save changes" onCancel={() => close('edit')}
          onSave={async (body) => { await onEdit(task, body); close('edit'); }} />
      </li>
    );

  const next = NEXT_STATUS[task.status];
  const status = STATUS_LABELS[task.status] ?? task.status;
  const done = task.status === 'completed';
  return (
    <li className={cls} aria-labelledby={titleId} data-task-id={task._id} ref={rootRef} tabIndex={-1}
      draggable={card && mode === 'view' ? true : undefined}
      onDragStart={card ? (e) => onDragStart(task, e) : undefined} onDragEnd={card ? onDragEnd : undefined}>
      <div className="task-main">
        <Heading id={titleId} className="task-title">{task.title}</Heading>
        {task.description && !card && <p className="task-desc">{task.description}</p>}
        <p className="task-meta">
          <button type="button" className={`badge status-btn badge-${task.status}`} data-action="status"
            aria-label={`Status of ${task.title}: ${status}. Set to ${STATUS_LABELS[next]}`}
            title={`Set to ${STATUS_LABELS[next]}`} onClick={() => onStatus(task, next, { source: 'status' })}>
            <span className={`status-dot dot-${task.status}`} aria-hidden="true" />{status}
          </button>
          <span className={`badge badge-${task.priority}`}>{PRIORITY_LABELS[task.priority] ?? task.priority} priority</span>
          <DueDate task={task} />
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
            {!card && (done ? (
              <button type="button" className="btn" data-action="reopen" onClick={() => onStatus(task, 'pending', { source: 'reopen' })}
                aria-label={`Reopen ${task.title}`}>Reopen</button>
            ) : (
              <button type="button" className="btn" data-action="complete" onClick={() => onStatus(task, 'completed', { source: 'complete' })}
                aria-label={`Complete ${task.title}`}>Complete</button>
            ))}
            <button type="button" className="btn" data-action="edit" onClick={() => setMode('editing')} aria-label={`Edit ${task.title}`}>Edit</button>
            <button type="button" className="btn btn-danger-ghost" data-action="delete" onClick={() => setMode('confirming')}
              aria-label={`Delete ${task.title}`}>Delete</button>
            {card && (
              <button type="button" className="btn move-btn" data-action="move" aria-label={`Move ${task.title}`}
                aria-describedby="move-help" aria-pressed={lifted} onClick={() => onMoveClick(task)} onKeyDown={(e) => onMoveKey(task, e)}>
                <span aria-hidden="true">⇄</span> Move
              </button>
            )}
          </>
        )}
      </div>
    </li>
  );
}

export default memo(TaskItem);
