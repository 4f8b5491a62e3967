// The task board: stats, a new-task form, filters (status, priority, tag,
// debounced search, sort) and the list, paged with pagination.nextCursor.
import { useCallback, useEffect, useRef, useState } from 'react';
import { toast } from 'react-toastify';
import { api, errorMessage } from '../api.js';
import Field from '../components/Field.jsx';
import StatsPanel from '../components/StatsPanel.jsx';
import TaskForm from '../components/TaskForm.jsx';
import TaskItem from '../components/TaskItem.jsx';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import { useDebounced } from '../lib/useDebounced.js';

const PAGE = 10;
const SORTS = {
  '-createdAt': 'Newest first',
  createdAt: 'Oldest first',
  dueDate: 'Due date',
  '-priority': 'Priority, high first',
  title: 'Title A–Z',
  '-updatedAt': 'Recently changed',
};

export default function Board() {
  const [filters, setFilters] = useState({ status: '', priority: '', tag: '', search: '', sort: '-createdAt' });
  const search = useDebounced(filters.search, 300);
  const tag = useDebounced(filters.tag, 300);
  const [tasks, setTasks] = useState([]);
  const [page, setPage] = useState({ nextCursor: null, totalTasks: 0 });
  const [loading, setLoading] = useState(false);
  const [stats, setStats] = useState(null);
  const [version, setVersion] = useState(0);
  const request = useRef(0);

  const query = { status: filters.status, priority: filters.priority, sort: filters.sort, tag, search, limit: PAGE };
  const queryKey = JSON.stringify(query);

  const load = useCallback(async (cursor) => {
    const id = ++request.current;
    setLoading(true);
    try {
      const res = await api.listTasks({ ...JSON.parse(queryKey), cursor });
      if (id !== request.current) return; /* a newer query answered first */
      setTasks((prev) => (cursor ? [...prev, ...res.tasks] : res.tasks));
      setPage(res.pagination);
    } catch (err) {
      if (id === request.current) toast.error(errorMessage(err));
    } finally {
      if (id === request.current) setLoading(false);
    }
  }, [queryKey]);

  useEffect(() => {
    load(undefined);
  }, [load, version]);

  useEffect(() => {
    api.taskStats().then(setStats, (err) => toast.error(errorMessage(err)));
  }, [version]);

  const changed = () => setVersion((v) => v + 1);
  const set = (k) => (e) => setFilters((f) => ({ ...f, [k]: e.target.value }));

  async function create(body) {
    const task = await api.createTask(body);
    toast.success(`Created "${task.title}"`);
    changed();
  }

  async function update(task, body) {
    try {
      const saved = await api.updateTask(task._id, body);
      toast.success(body.status === 'completed' && Object.keys(body).length === 1 ? `Completed "${saved.title}"` : `Saved "${saved.title}"`);
      changed();
    } catch (err) {
      if (Object.keys(body).length > 1) throw err; /* the edit form shows it at the field */
      toast.error(errorMessage(err));
    }
  }

  async function remove(task) {
    try {
      await api.deleteTask(task._id);
      toast.success(`Deleted "${task.title}"`);
      changed();
    } catch (err) {
      toast.error(errorMessage(err));
    }
  }

  return (
    <div className="board">
      <h1 className="sr-only">Your tasks</h1>
      <StatsPanel stats={stats} />
      <section className="card" aria-labelledby="new-title">
        <h2 id="new-title">New task</h2>
        <TaskForm onSave={create} submitLabel="Add task" />
      </section>
      <section className="card" aria-labelledby="list-title">
        <h2 id="list-title">Tasks</h2>
        <div className="filters" role="search" aria-label="Filter tasks">
          <Field label="Search" type="search" name="search" value={filters.search} onChange={set('search')} />
          <Field label="Status" as="select" name="filter-status" value={filters.status} onChange={set('status')}>
            <option value="">Any</option>
            {Object.entries(STATUS_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
          <Field label="Priority" as="select" name="filter-priority" value={filters.priority} onChange={set('priority')}>
            <option value="">Any</option>
            {Object.entries(PRIORITY_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
          <Field label="Tag" name="filter-tag" value={filters.tag} onChange={set('tag')} />
          <Field label="Sort" as="select" name="sort" value={filters.sort} onChange={set('sort')}>
            {Object.entries(SORTS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
        </div>
        <p className="count" role="status">
          {loading ? 'Loading…' : `${page.totalTasks} ${page.totalTasks === 1 ? 'task' : 'tasks'}`}
        </p>
        {tasks.length === 0 && !loading ? (
          <p className="empty">No tasks here yet.</p>
        ) : (
          <ul className="tasks">
            {tasks.map((t) => <TaskItem key={t._id} task={t} onUpdate={update} onDelete={remove} />)}
          </ul>
        )}
        {page.nextCursor && (
          <button type="button" className="btn more" disabled={loading} onClick={() => load(page.nextCursor)}>Load more</button>
        )}
      </section>
    </div>
  );
}
