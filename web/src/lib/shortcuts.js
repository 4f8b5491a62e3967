// Keyboard shortcuts of the task page, as data (the help overlay lists the
// same table), and the rule that keeps them out of the user's typing: none
// fires while focus is in a field that takes text (or a select, whose
// letters pick an option), with Ctrl, Alt or Meta held, or during an IME
// composition.

export const SHORTCUTS = [
  { key: 'n', action: 'new', help: 'New task (focus the quick-add line)' },
  { key: '/', action: 'search', help: 'Search' },
  { key: 'j', action: 'next', help: 'Next task' },
  { key: 'k', action: 'previous', help: 'Previous task' },
  { key: 'x', action: 'complete', help: 'Complete the task (or reopen it)' },
  { key: 'e', action: 'edit', help: 'Edit the task' },
  { key: '#', action: 'delete', help: 'Delete the task (asks first)' },
  { key: 'u', action: 'undo', help: 'Undo the last complete or status change' },
  { key: '?', action: 'help', help: 'Show these shortcuts' },
];

const NOT_TEXT = new Set(['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file', 'image']);

// Is el a place where keys type (or choose) something?
export function isTyping(el) {
  if (!el || !el.tagName) return false;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') return !NOT_TEXT.has(String(el.type || 'text').toLowerCase());
  return Boolean(el.isContentEditable);
}

// The action a keydown asks for, or null.
export function shortcutOf(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return null;
  if (isTyping(e.target)) return null;
  return SHORTCUTS.find((s) => s.key === e.key)?.action ?? null;
}
