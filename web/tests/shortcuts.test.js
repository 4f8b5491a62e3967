import { describe, expect, test } from 'vitest';
import { isTyping, SHORTCUTS, shortcutOf } from '../src/lib/shortcuts.js';

const el = (tagName, extra = {}) => ({ tagName, ...extra });
const key = (k, target = el('LI'), mods = {}) => ({ key: k, target, ...mods });

describe('shortcuts', () => {
  test('each key has its action', () => {
    expect(['n', '/', 'j', 'k', 'x', 'e', '#', 'u', '?'].map((k) => shortcutOf(key(k)))).toEqual([
      'new', 'search', 'next', 'previous', 'complete', 'edit', 'delete', 'undo', 'help',
    ]);
    expect(shortcutOf(key('q'))).toBeNull();
    expect(shortcutOf(key('N'))).toBeNull();
    expect(SHORTCUTS).toHaveLength(9);
  });
  test('never while typing in a field', () => {
    for (const target of [el('INPUT'), el('INPUT', { type: 'search' }), el('INPUT', { type: 'date' }), el('TEXTAREA'), el('SELECT'),
      el('DIV', { isContentEditable: true })]) {
      expect(isTyping(target)).toBe(true);
      expect(shortcutOf(key('x', target))).toBeNull();
    }
  });
  test('a focused button or checkbox does not take letters', () => {
    expect(shortcutOf(key('x', el('BUTTON')))).toBe('complete');
    expect(shortcutOf(key('j', el('INPUT', { type: 'checkbox' })))).toBe('next');
  });
  test('not with Ctrl, Alt or Meta, nor during a composition, nor when handled already', () => {
    expect(shortcutOf(key('n', el('LI'), { ctrlKey: true }))).toBeNull();
    expect(shortcutOf(key('n', el('LI'), { altKey: true }))).toBeNull();
    expect(shortcutOf(key('n', el('LI'), { metaKey: true }))).toBeNull();
    expect(shortcutOf(key('n', el('LI'), { isComposing: true }))).toBeNull();
    expect(shortcutOf(key('n', el('LI'), { defaultPrevented: true }))).toBeNull();
  });
});
