// Create or edit a task. Client checks first; then the API's validation
// message is shown at the field it names (or above the buttons). An edit
// form opens with its title focused; a new task's form (the quick add's
// details) opens with `initial` values and its title focused too.
import { useState } from 'react';
import { errorMessage } from '../api.js';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import { fieldOfMessage, taskBody, taskValues, validateTask } from '../lib/validate.js';
import Field from './Field.jsx';

export default function TaskForm({ task, initial, onSave, onCancel, submitLabel = 'Save', label }) {
  const [values, setValues] = useState(() => taskValues(task ?? initial));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setValues((v) => ({ ...v, [k]: e.target.value }));

  async function onSubmit(e) {
    e.preventDefault();
    const found = validateTask(values);
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await onSave(taskBody(values));
      if (!task) setValues(taskValues(null)); /* still mounted: ready for the next one */
    } catch (err) {
      const msg = errorMessage(err);
      setErrors({ [fieldOfMessage(msg) ?? 'form']: msg });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="task-form" onSubmit={onSubmit} noValidate aria-label={label ?? (task ? `Edit ${task.title}` : 'New task')}>
      <Field label="Title" name="title" value={values.title} onChange={set('title')} error={errors.title} required
        autoFocus={Boolean(task || initial)} />
      <Field label="Description" name="description" as="textarea" rows={2} value={values.description} onChange={set('description')} error={errors.description} />
      <div className="row">
        <Field label="Status" name="status" as="select" value={values.status} onChange={set('status')} error={errors.status}>
          {Object.entries(STATUS_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
        </Field>
        <Field label="Priority" name="priority" as="select" value={values.priority} onChange={set('priority')} error={errors.priority}>
          {Object.entries(PRIORITY_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
        </Field>
        <Field label="Due date" name="dueDate" type="date" value={values.dueDate} onChange={set('dueDate')} error={errors.dueDate} />
      </div>
      <Field label="Tags" name="tags" value={values.tags} onChange={set('tags')} error={errors.tags} hint="Separate with commas" />
      {errors.form && <p className="form-error" role="alert">{errors.form}</p>}
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>{submitLabel}</button>
        {onCancel && <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
