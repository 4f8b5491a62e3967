// A labelled input (or select/textarea via `as`) with its error under it,
// tied together by aria-describedby / aria-invalid.
import { useId } from 'react';

export default function Field({ label, error, hint, as: Tag = 'input', className = '', children, ...props }) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const describedBy = [hint && hintId, error && errId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${className}`}>
      <label htmlFor={id}>{label}</label>
      <Tag id={id} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy} {...props}>
        {children}
      </Tag>
      {hint && <small id={hintId} className="hint">{hint}</small>}
      {error && <small id={errId} className="field-error" role="alert">{error}</small>}
    </div>
  );
}
