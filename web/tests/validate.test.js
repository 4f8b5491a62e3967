import { describe, expect, test } from 'vitest';
import { fieldOfMessage, isOtp, parseTags, taskBody, taskValues, validateCredentials, validateTask } from '../src/lib/validate.js';

describe('task form', () => {
  test('title is required and limited', () => {
    expect(validateTask({ title: '   ' })).toEqual({ title: 'Title is required' });
    expect(validateTask({ title: 'x'.repeat(201) }).title).toMatch(/at most 200/);
    expect(validateTask({ title: 'é'.repeat(200) })).toEqual({});
  });
  test('tags are limited in number and length', () => {
    expect(validateTask({ title: 'a', tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(',') }).tags).toMatch(/20 tags/);
    expect(validateTask({ title: 'a', tags: 'x'.repeat(41) }).tags).toMatch(/40 characters/);
  });
  test('parseTags splits on commas and drops blanks', () => {
    expect(parseTags(' work, home ,, urgent ')).toEqual(['work', 'home', 'urgent']);
    expect(parseTags('')).toEqual([]);
  });
  test('taskBody and taskValues convert both ways', () => {
    const body = taskBody({ title: ' Buy milk ', description: '', status: 'pending', priority: 'high', dueDate: '2030-01-02', tags: 'a, b' });
    expect(body).toEqual({ title: 'Buy milk', description: '', status: 'pending', priority: 'high', dueDate: '2030-01-02', tags: ['a', 'b'] });
    expect(taskBody({ title: 'x', dueDate: '' }).dueDate).toBeNull();
    expect(taskValues({ ...body, dueDate: '2030-01-02T00:00:00.000Z' })).toMatchObject({ dueDate: '2030-01-02', tags: 'a, b' });
  });
  test('an API message is placed at the field it names', () => {
    expect(fieldOfMessage('tags must not repeat "a"')).toBe('tags');
    expect(fieldOfMessage('dueDate must be an ISO-8601 date-time or null')).toBe('dueDate');
    expect(fieldOfMessage('Unknown field: foo')).toBeNull();
    expect(fieldOfMessage(undefined)).toBeNull();
  });
});

describe('credentials', () => {
  test('sign-up needs a name, an email and 8 characters', () => {
    expect(validateCredentials({ name: '', email: 'nope', password: 'short' }, { signUp: true }))
      .toEqual({ name: 'Name is required', email: 'Enter a valid email address', password: 'Password must be at least 8 characters' });
    expect(validateCredentials({ name: 'A', email: 'a@b.c', password: '12345678' }, { signUp: true })).toEqual({});
  });
  test('log-in does not judge the password length', () => {
    expect(validateCredentials({ email: 'a@b.c', password: 'x' })).toEqual({});
  });
  test('an OTP is exactly six digits', () => {
    expect(isOtp('012345')).toBe(true);
    expect(isOtp('12345')).toBe(false);
    expect(isOtp('12345a')).toBe(false);
  });
});
