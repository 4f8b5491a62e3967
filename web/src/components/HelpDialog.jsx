// The "?" overlay: the keyboard shortcuts (lib/shortcuts.js's table) in a
// modal <dialog>, which keeps focus inside and closes on Escape; focus
// returns where it was.
import { useEffect, useRef } from 'react';
import { SHORTCUTS } from '../lib/shortcuts.js';

export default function HelpDialog({ open, onClose }) {
  const ref = useRef(null);
  const returnTo = useRef(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnTo.current = document.activeElement;
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  return (
    <dialog ref={ref} className="help-dialog card" aria-labelledby="help-title"
      onClose={() => {
        onClose();
        if (returnTo.current?.isConnected) returnTo.current.focus();
        returnTo.current = null;
      }}>
      <h2 id="help-title">Keyboard shortcuts</h2>
      <p className="hint">They work anywhere on the task page, except while typing in a field.</p>
      <dl className="shortcut-list">
        {SHORTCUTS.map((s) => (
          <div key={s.key}><dt><kbd>{s.key}</kbd></dt><dd>{s.help}</dd></div>
        ))}
        <div><dt><kbd>Esc</kbd></dt><dd>Close this list</dd></div>
      </dl>
      <form method="dialog">
        <button type="submit" className="btn btn-primary" autoFocus>Close</button>
      </form>
    </dialog>
  );
}
