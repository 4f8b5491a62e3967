// The quick-add line at the top of the page: type, press Enter. The light
// syntax (lib/quickAdd.js: a date, #tags, !priority) shows as chips while
// typing, each with a button that keeps its word as text instead. The line
// clears as soon as it is sent, so the next task can be typed at once; a
// failure puts it back (when the line is still empty) with the error under
// it. "Details" opens the full form with what the line says filled in.
import { useMemo, useState } from 'react';
import { errorMessage } from '../api.js';
import { keyOf, parseQuickAdd, quickAddBody } from '../lib/quickAdd.js';
import { notifyFormError } from '../notify.jsx';
import TaskForm from './TaskForm.jsx';

export const QUICK_ADD_ID = 'quick-add';
const EXAMPLE = 'Pay rent tomorrow #home !high';

export default function QuickAdd({ onCreate }) {
  const [line, setLine] = useState('');
  const [keep, setKeep] = useState([]);
  const [error, setError] = useState('');
  const [details, setDetails] = useState(null); /* the full form's first values, while open */
  const parsed = useMemo(() => parseQuickAdd(line, { keep }), [line, keep]);
  const chips = parsed.tokens.filter((t) => !t.duplicate);

  async function submit(e) {
    e.preventDefault();
    if (!parsed.title) {
      setError(line.trim() ? 'Add a title to go with the date, tags or priority' : 'Type a task, then press Enter');
      return;
    }
    const sent = { line, keep };
    const body = quickAddBody(parsed);
    setLine('');
    setKeep([]);
    setError('');
    try {
      await onCreate(body);
    } catch (err) {
      setLine((now) => (now === '' ? sent.line : now));
      setKeep((now) => (now.length === 0 ? sent.keep : now));
      setError(`“${body.title}” was not added: ${errorMessage(err)}`);
      notifyFormError(err);
    }
  }

  function openDetails() {
    setDetails({
      title: parsed.title || line.trim(),
      priority: parsed.priority ?? 'medium',
      dueDate: parsed.dueDate,
      tags: parsed.tags,
    });
  }

  return (
    <section className="card quick-add" aria-labelledby="new-title">
      <h2 id="new-title"><label htmlFor={QUICK_ADD_ID}>New task</label></h2>
      {details ? (
        <TaskForm initial={details} label="New task with details" submitLabel="Add task"
          onCancel={() => { setDetails(null); document.getElementById(QUICK_ADD_ID)?.focus(); }}
          onSave={async (body) => {
            await onCreate(body);
            setDetails(null);
            setLine('');
            setKeep([]);
          }} />
      ) : (
        <form className="quick-form" onSubmit={submit} noValidate aria-label="Quick add">
          <div className="quick-row">
            <input id={QUICK_ADD_ID} name="quick-add" type="text" value={line} autoComplete="off" enterKeyHint="done"
              placeholder={`e.g. ${EXAMPLE}`} maxLength={1000} aria-describedby="quick-add-hint" aria-invalid={error ? 'true' : undefined}
              onChange={(e) => { setLine(e.target.value); setError(''); }} />
            <button type="submit" className="btn btn-primary">Add</button>
            <button type="button" className="btn btn-ghost" aria-expanded="false" onClick={openDetails}>Details</button>
          </div>
          <p id="quick-add-hint" className="hint">
            Press Enter to add. Optional: a date (<kbd>tomorrow</kbd>, <kbd>fri</kbd>, <kbd>dec 25</kbd>), <kbd>#tag</kbd>, <kbd>!high</kbd>.
          </p>
          <div className="chips-line" aria-live="polite">
            {chips.length > 0 && (
              <>
                <span className="chips-title">Adds “{parsed.title || '…'}” with</span>
                <ul className="chips" aria-label="Recognised in the line">
                  {chips.map((t) => (
                    <li key={keyOf(t)} className={`chip chip-${t.kind}`} data-chip={t.kind}>
                      {t.label}
                      <button type="button" className="chip-x" aria-label={`Keep “${t.text.trim()}” as text`}
                        onClick={() => {
                          setKeep((k) => [...k, keyOf(t)]);
                          document.getElementById(QUICK_ADD_ID)?.focus(); /* this button is about to go */
                        }}>×</button>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
          {error && <p className="form-error" role="alert">{error}</p>}
        </form>
      )}
    </section>
  );
}
