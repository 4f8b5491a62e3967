// The colour theme after load: public/theme.js set <html data-theme> before
// the first paint; the toggle saves an explicit choice, and without one the
// page follows the system's prefers-color-scheme as it changes.
const KEY = 'lsf-theme';
const DARK = '(prefers-color-scheme: dark)';

export const currentTheme = () => (document.documentElement.getAttribute('data-theme') === 'dark' ? 'dark' : 'light');

export function savedTheme() {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : null;
  } catch {
    return null;
  }
}

export function applyTheme(theme, { save = false } = {}) {
  document.documentElement.setAttribute('data-theme', theme);
  if (!save) return;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* storage blocked: the choice lasts for this page */
  }
}

// Calls fn(theme) when the system theme changes and no choice is saved.
export function followSystem(fn) {
  const mq = matchMedia(DARK);
  const onChange = () => {
    if (savedTheme()) return;
    const theme = mq.matches ? 'dark' : 'light';
    applyTheme(theme);
    fn(theme);
  };
  mq.addEventListener('change', onChange);
  return () => mq.removeEventListener('change', onChange);
}
