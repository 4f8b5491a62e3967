// A user's own data (issue 13): GET /api/user/export answers the caller's
// profile and every task as JSON, and nothing of anyone else's; DELETE
// /api/user deletes the account and its tasks once the password is
// confirmed, and ends every session; `lsf-server user export|delete EMAIL`
// do the same for an operator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { runCli } from '../support/cli.mjs';
import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { compose, gateway, startServer } from '../support/server.mjs';
import { createTask } from '../support/tasks.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('account: export and deletion', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  test('GET /api/user/export: the profile and every task, oldest first, without the password hash', async () => {
    const { client, identity } = await registeredClient(server.url, 'export');
    const other = (await registeredClient(server.url, 'exportother')).client;
    await createTask(other, { title: 'not mine' });
    const made = [];
    for (let i = 0; i < 105; i++) made.push(await createTask(client, { title: `t${i}`, tags: i % 2 ? ['odd'] : [] }));
    const res = await client.get('/api/user/export');
    assert.equal(res.status, 200);
    const text = await res.clone().text();
    const body = await jsonBody(res);
    assert.deepEqual(Object.keys(body).sort(), ['exportedAt', 'success', 'tasks', 'trash', 'user']);
    assert.equal(body.success, true);
    assert.match(body.exportedAt, ISO);
    assert.deepEqual(Object.keys(body.user).sort(), ['_id', 'createdAt', 'email', 'isAccountVerified', 'name', 'updatedAt']);
    assert.equal(body.user.email, identity.email);
    assert.equal(body.user.name, identity.name);
    assert.equal(body.user.isAccountVerified, false);
    assert.deepEqual(body.tasks.map((t) => t._id), made.map((t) => t._id), 'every task (past one page), oldest first');
    assert.deepEqual(body.tasks[1], made[1]);
    assert.deepEqual(body.trash, []);
    assert.doesNotMatch(text, /argon2|\$2[aby]\$|password|not mine/i);
  });

  test('GET /api/user/export without a session answers 401', async () => {
    await expectError(await fetch(`${server.url}/api/user/export`), 401, 'Not Authorized. Login Again');
  });

  test('DELETE /api/user: a wrong or missing password changes nothing', async () => {
    const { client, identity } = await registeredClient(server.url, 'delwrong');
    await createTask(client, { title: 'stays' });
    await expectError(await client.request('DELETE', '/api/user', { json: { password: 'not-it-at-all' } }), 401,
      'Incorrect password', 'INVALID_CREDENTIALS');
    await expectError(await client.request('DELETE', '/api/user', { json: {} }), 400,
      'Password is required to delete the account', 'VALIDATION');
    await expectError(await client.request('DELETE', '/api/user', { json: { password: 12 } }), 400,
      'password must be a string', 'VALIDATION');
    assert.equal((await new Client(server.url).login(identity)).status, 200);
    const list = await jsonBody(await client.get('/api/tasks'));
    assert.equal(list.tasks.length, 1);
  });

  test('DELETE /api/user: the account, its tasks and every session are gone; others are untouched', async () => {
    const { client, identity } = await registeredClient(server.url, 'delme');
    const second = new Client(server.url);
    assert.equal((await second.login(identity)).status, 200);
    const task = await createTask(client, { title: 'goes with the account' });
    const { client: other } = await registeredClient(server.url, 'delother');
    const kept = await createTask(other, { title: 'kept' });

    const res = await client.request('DELETE', '/api/user', { json: { password: identity.password } });
    const body = await jsonBody(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { success: true, message: 'Account deleted' });
    assert.equal(client.token, undefined, 'the cookie is cleared');

    await expectError(await second.get('/api/user/data'), 401, 'Not Authorized. Login Again');
    await expectError(await new Client(server.url).login(identity), 401, 'Invalid email or password');
    assert.equal((await other.get(`/api/tasks/${kept._id}`)).status, 200);
    // the same email can register again, and sees none of the old tasks
    const again = new Client(server.url);
    assert.equal((await again.register(identity)).status, 201);
    await expectError(await again.get(`/api/tasks/${task._id}`), 404, 'Task not found');
    assert.equal((await jsonBody(await again.get('/api/tasks/stats'))).stats.total, 0);
  });

  test('lsf-server user export EMAIL prints what the API exports; user delete EMAIL deletes and ends sessions',
    { skip: (gateway || compose) && 'runs the command line against one server\'s database' }, async () => {
      const { client, identity } = await registeredClient(server.url, 'cliuser');
      const task = await createTask(client, { title: 'from the cli' });
      assert.equal((await runCli(server, ['user', '--help'])).code, 0);
      let r = await runCli(server, ['user', 'export', identity.email.toUpperCase()]);
      assert.equal(r.code, 0, r.stderr);
      const exported = JSON.parse(r.stdout);
      assert.equal(exported.user.email, identity.email);
      assert.deepEqual(exported.tasks, [task]);

      r = await runCli(server, ['user', 'export', 'nobody-here@example.com']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no account has the email nobody-here@example.com/);

      r = await runCli(server, ['user', 'delete', identity.email]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^deleted /);
      await expectError(await client.get('/api/user/data'), 401, 'Not Authorized. Login Again');
      assert.equal((await runCli(server, ['user', 'delete', identity.email])).code, 1);
    });
});
