// Tokens of accounts that no longer exist: the user row is deleted behind
// the server's back (sqlite3 CLI or psql) while its token is still valid.
// Every authenticated route answers 401 "Not Authorized. Login Again", is-auth
// answers {success:false}, and no constraint failure (the foreign key of a
// task insert racing the delete) surfaces as a 500.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, registeredClient } from '../support/client.mjs';
import { session, sql, tokenUserId } from '../support/db.mjs';
import { expectError } from '../support/errors.mjs';
import { postgres, startServer } from '../support/server.mjs';
import { createTask, send } from '../support/tasks.mjs';

const NOT_AUTHORIZED = 'Not Authorized. Login Again';
const quote = (s) => `'${s.replace(/'/g, "''")}'`;

describe('deleted accounts: their tokens are refused', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
    assert.doesNotMatch(server.stderr(), /"level":"error"|AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:/);
  });

  test('every authenticated route answers 401 and is-auth {success:false}', async () => {
    const { client } = await registeredClient(server.url, 'deleted');
    const task = await createTask(client, { title: 'left behind' });
    // control: the session works
    assert.equal((await client.get('/api/user/data')).status, 200);
    assert.deepEqual(await jsonBody(await client.get('/api/auth/is-auth')), { success: true });

    sql(server, `DELETE FROM users WHERE id = ${quote(tokenUserId(client.token))}`);

    const routes = [
      ['GET', '/api/user/data'],
      ['POST', '/api/auth/send-verify-otp'],
      ['POST', '/api/auth/verify-account', { otp: '123456' }],
      ['GET', '/api/tasks'],
      ['POST', '/api/tasks', { title: 'after the account is gone' }],
      ['GET', '/api/tasks/stats'],
      ['GET', `/api/tasks/${task._id}`],
      ['PUT', `/api/tasks/${task._id}`, { title: 'renamed' }],
      ['PATCH', `/api/tasks/${task._id}`, { status: 'completed' }],
      ['DELETE', `/api/tasks/${task._id}`],
    ];
    for (const [method, path, json] of routes) {
      await expectError(await send(client, method, path, json), 401, NOT_AUTHORIZED).catch((err) => {
        err.message = `${method} ${path}: ${err.message}`;
        throw err;
      });
    }
    // the same token as a Bearer header
    const bearer = { headers: { authorization: `Bearer ${client.token}` }, cookies: false };
    await expectError(await new Client(server.url).get('/api/tasks', bearer), 401, NOT_AUTHORIZED);

    const isAuth = await client.get('/api/auth/is-auth');
    assert.equal(isAuth.status, 200);
    assert.deepEqual(await jsonBody(isAuth), { success: false, message: NOT_AUTHORIZED });
  });

  test('a task created while its account is being deleted answers 401, not 500', async () => {
    const { client } = await registeredClient(server.url, 'racing');
    const id = tokenUserId(client.token);
    const db = session(server);
    try {
      // the delete holds the write lock (SQLite) or the row lock (PostgreSQL)
      // while the server checks the account (still there) and inserts
      await db.run(postgres ? 'BEGIN;' : 'PRAGMA foreign_keys = ON; BEGIN IMMEDIATE;');
      await db.run(`DELETE FROM users WHERE id = ${quote(id)};`);
      const pending = send(client, 'POST', '/api/tasks', { title: 'racing the delete' });
      if (postgres) {
        // wait until the insert is blocked on the deleted row, so the foreign key decides
        for (;;) {
          const waiting = await db.run("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock';");
          if (Number(waiting.split('\n').pop()) > 0) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      } else {
        await new Promise((r) => setTimeout(r, 300)); // the insert queues behind the write lock
      }
      await db.run('COMMIT;');
      await expectError(await pending, 401, NOT_AUTHORIZED);
    } finally {
      await db.close();
    }
    await expectError(await client.get('/api/tasks'), 401, NOT_AUTHORIZED);
  });
});
