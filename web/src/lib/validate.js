// Form helpers without React: client-side checks that mirror the API's limits
// (the API stays the judge: its message is shown at the field it names).

export const TASK_LIMITS = { title: 200, description: 5000, tags: 20, tag: 40 };
export const TASK_FIELDS = ['title', 'description', 'status', 'priority', 'dueDate', 'tags'];

// "work, home ,urgent" -> ['work', 'home', 'urgent'] (empty entries dropped).
export function parseTags(text) {
  return String(text ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

// Errors by field for a task form's values; {} when it may be sent.
export function validateTask(values) {
  const errors = {};
  const title = String(values.title ?? '').trim();
  if (!title) errors.title = 'Title is required';
  else if ([...title].length > TASK_LIMITS.title) errors.title = `Title must be at most ${TASK_LIMITS.title} characters`;
  if ([...String(values.description ?? '')].length > TASK_LIMITS.description)
    errors.description = `Description must be at most ${TASK_LIMITS.description} characters`;
  const tags = parseTags(values.tags);
  if (tags.length > TASK_LIMITS.tags) errors.tags = `At most ${TASK_LIMITS.tags} tags`;
  else if (tags.some((t) => [...t].length > TASK_LIMITS.tag)) errors.tags = `A tag must be at most ${TASK_LIMITS.tag} characters`;
  return errors;
}

// The form's values as the API's TaskInput.
export function taskBody(values) {
  return {
    title: String(values.title ?? '').trim(),
    description: String(values.description ?? '').trim(),
    status: values.status || 'pending',
    priority: values.priority || 'medium',
    dueDate: values.dueDate ? values.dueDate : null,
    tags: parseTags(values.tags),
  };
}

// A task as form values (dueDate as the yyyy-mm-dd of a date input).
export function taskValues(task) {
  return {
    title: task?.title ?? '',
    description: task?.description ?? '',
    status: task?.status ?? 'pending',
    priority: task?.priority ?? 'medium',
    dueDate: task?.dueDate ? String(task.dueDate).slice(0, 10) : '',
    tags: (task?.tags ?? []).join(', '),
  };
}

// Which field an API validation message is about: its first word when that
// names a field ("tags must not repeat \"x\"" -> 'tags'), else null.
export function fieldOfMessage(message, fields = TASK_FIELDS) {
  const first = /^\s*([A-Za-z]+)/.exec(String(message ?? ''))?.[1];
  return first && fields.includes(first) ? first : null;
}

export function isOtp(text) {
  return /^[0-9]{6}$/.test(String(text ?? '').trim());
}

// Sign-up / log-in / new-password checks; {} when fine.
export function validateCredentials({ name, email, password }, { signUp = false } = {}) {
  const errors = {};
  if (signUp && !String(name ?? '').trim()) errors.name = 'Name is required';
  if (!/^[^\s@]+@[^\s@]+$/.test(String(email ?? '').trim())) errors.email = 'Enter a valid email address';
  if (!password) errors.password = 'Password is required';
  else if (signUp && String(password).length < 8) errors.password = 'Password must be at least 8 characters';
  return errors;
}
