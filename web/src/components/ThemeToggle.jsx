// Dark theme on or off; the choice is saved (lib/theme.js).
import { useEffect, useState } from 'react';
import { applyTheme, currentTheme, followSystem } from '../lib/theme.js';

export default function ThemeToggle() {
  const [theme, setTheme] = useState(currentTheme);
  useEffect(() => followSystem(setTheme), []);
  const dark = theme === 'dark';
  return (
    <button type="button" className="btn btn-ghost theme-toggle" aria-pressed={dark} data-action="theme"
      onClick={() => {
        const next = dark ? 'light' : 'dark';
        applyTheme(next, { save: true });
        setTheme(next);
      }}>
      <span aria-hidden="true" className="theme-icon">{dark ? "☾" : "☀"}</span> <span className="theme-label">Dark theme</span>
    </button>
  );
}
