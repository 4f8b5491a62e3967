// The board view: a column per status, each its own stream of GET
// /api/tasks (status=..., BOARD_PAGE at a time with its own "Load more").
// A card moves to another column by drag and drop, or from the keyboard
// with its Move button: Space or Enter picks it up, the left and right
// arrows choose a column, Space or Enter drops it, Escape cancels; each step
// is announced through the page's live region. A move is a status change
// (one PATCH, shown at once, with an Undo); inside a column the order is
// the chosen sort, so a card lands where the sort puts it.
import { useCallback, useRef, useState } from 'react';
import { STATUS_LABELS } from '../lib/chart.js';
import TaskItem from './TaskItem.jsx';

const MIME = 'application/x-lsf-task';

export default function KanbanBoard({ streams, loadingMore, onStatus, onEdit, onDelete, onLoadMore, announce }) {
  const [dragOver, setDragOver] = useState(null); /* column under a dragged card */
  const [moving, setMovingState] = useState(null); /* keyboard move: { id, from, over } */
  const movingRef = useRef(null);
  const dragging = useRef(null); /* id of the card being dragged */
  const streamsRef = useRef(streams);
  streamsRef.current = streams;

  const setMoving = (m) => {
    movingRef.current = m;
    setMovingState(m);
  };
  const find = (id) => streamsRef.current.flatMap((s) => s.tasks).find((t) => t._id === id);
  const label = (key) => STATUS_LABELS[key] ?? key;

  const onDragStart = useCallback((task, e) => {
    e.dataTransfer.setData(MIME, task._id);
    e.dataTransfer.setData('text/plain', task.title);
    e.dataTransfer.effectAllowed = 'move';
    dragging.current = task._id;
  }, []);
  const onDragEnd = useCallback(() => {
    dragging.current = null;
    setDragOver(null);
  }, []);

  const overColumn = (key) => (e) => {
    if (!dragging.current && !e.dataTransfer.types.includes(MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    setDragOver(key);
  };
  const leaveColumn = (key) => (e) => {
    if (!e.currentTarget.contains(e.relatedTarget)) setDragOver((k) => (k === key ? null : k));
  };
  const dropOnColumn = (key) => (e) => {
    e.preventDefault();
    const task = find(e.dataTransfer.getData(MIME) || dragging.current);
    dragging.current = null;
    setDragOver(null);
    if (!task || task.status === key) return;
    onStatus(task, key, { source: 'drag' });
    announce(`Moved “${task.title}” to ${label(key)}`);
  };

  const drop = (task) => {
    const m = movingRef.current;
    setMoving(null);
    if (m.over === m.from) {
      announce(`“${task.title}” stays in ${label(m.from)}`);
      return;
    }
    onStatus(task, m.over, { source: 'move' });
    announce(`Moved “${task.title}” to ${label(m.over)}`);
  };

  const onMoveClick = useCallback((task) => {
    if (movingRef.current?.id === task._id) {
      drop(task);
      return;
    }
    setMoving({ id: task._id, from: task.status, over: task.status });
    announce(`Picked up “${task.title}” in ${label(task.status)}. Left and right arrow keys choose a column, Space or Enter drops it there, Escape cancels.`);
  }, [announce]);

  const onMoveKey = useCallback((task, e) => {
    const m = movingRef.current;
    if (m?.id !== task._id) return;
    const cols = streamsRef.current.map((s) => s.key);
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const at = cols.indexOf(m.over) + (e.key === 'ArrowRight' ? 1 : -1);
      if (at < 0 || at >= cols.length) {
        announce(`No column further ${e.key === 'ArrowRight' ? 'right' : 'left'}; over ${label(m.over)}`);
        return;
      }
      setMoving({ ...m, over: cols[at] });
      announce(`Over ${label(cols[at])}${cols[at] === m.from ? ', where it is now' : ''}`);
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      if (e.key === 'Escape') e.preventDefault();
      setMoving(null);
      announce(`Move cancelled; “${task.title}” stays in ${label(m.from)}`);
    }
  }, [announce]);

  return (
    <div className="kanban">
      <p id="move-help" className="sr-only">
        Space or Enter picks the task up; the left and right arrow keys choose a column; Space or Enter drops it there; Escape cancels.
      </p>
      {streams.map((s) => {
        const target = dragOver === s.key || (moving && moving.over === s.key && moving.from !== s.key);
        return (
          <section key={s.key} className={`column column-${s.key}${target ? ' drop-target' : ''}`} aria-labelledby={`col-${s.key}`}
            data-column={s.key} onDragOver={overColumn(s.key)} onDragEnter={overColumn(s.key)} onDragLeave={leaveColumn(s.key)}
            onDrop={dropOnColumn(s.key)}>
            <h3 id={`col-${s.key}`} className="column-title">
              <span className={`status-dot dot-${s.key}`} aria-hidden="true" />{label(s.key)}
              <span className="column-count"><span className="sr-only">, </span>{s.total}<span className="sr-only"> {s.total === 1 ? 'task' : 'tasks'}</span></span>
            </h3>
            {s.tasks.length > 0 ? (
              <ul className="tasks cards">
                {s.tasks.map((t) => (
                  <TaskItem key={t._id} task={t} card lifted={moving?.id === t._id} onStatus={onStatus} onEdit={onEdit} onDelete={onDelete}
                    onMoveClick={onMoveClick} onMoveKey={onMoveKey} onDragStart={onDragStart} onDragEnd={onDragEnd} />
                ))}
              </ul>
            ) : (
              <p className="empty column-empty">No {label(s.key).toLowerCase()} tasks</p>
            )}
            {s.nextCursor && (
              <button type="button" className="btn more" disabled={loadingMore === s.key} onClick={() => onLoadMore(s.key)}>
                Load more<span className="sr-only"> {label(s.key).toLowerCase()} tasks</span>
              </button>
            )}
          </section>
        );
      })}
    </div>
  );
}
