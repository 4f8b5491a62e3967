import { describe, expect, test } from 'vitest';
import { errorMessage, taskQuery } from '../src/api.js';

describe('errorMessage', () => {
  test('shows the API message of an HTTP error', () => {
    const err = { response: { status: 401, data: { success: false, message: 'Invalid email or password' } } };
    expect(errorMessage(err)).toBe('Invalid email or password');
  });
  test('names the status when the body has no message', () => {
    expect(errorMessage({ response: { status: 502, data: '<html>' } })).toBe('Request failed (HTTP 502)');
  });
  test('explains a rate limit without a body', () => {
    expect(errorMessage({ response: { status: 429, data: '' } })).toMatch(/Too many requests/);
  });
  test('a request without an answer is a network problem', () => {
    expect(errorMessage({ request: {}, message: 'Network Error' })).toBe('Cannot reach the server, please try again');
  });
  test('falls back to the error text', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(undefined)).toBe('Something went wrong');
  });
});

describe('taskQuery', () => {
  test('leaves out empty filters and trims text', () => {
    expect(taskQuery({ status: '', priority: 'high', tag: '  ', search: ' milk ', sort: '-createdAt', limit: 10, cursor: undefined }))
      .toEqual({ priority: 'high', search: 'milk', sort: '-createdAt', limit: 10 });
  });
  test('passes the cursor of the previous page', () => {
    expect(taskQuery({ cursor: 'abc' })).toEqual({ cursor: 'abc' });
  });
});
