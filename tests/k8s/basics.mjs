// The accounts and tasks basics of the API suites, as a few calls any
// lsf-server release since the tasks API must answer alike: used against the
// pod podman kube play runs (kubeplay.test.mjs) and against the previous
// release's binary on a database the current one migrated (rollback.test.mjs).
import assert from 'node:assert/strict';

import { Client, jsonBody, newIdentity, userData } from '../support/client.mjs';
import { createTask, listTasks, stats, updateTask } from '../support/tasks.mjs';

// Register a new account at url and work with its tasks: create three,
// read one, list them, complete one, delete one, read the counts. Resolves
// {identity, client, tasks} with the two tasks that remain (newest first).
export async function accountAndTasks(url, tag) {
  const client = new Client(url);
  const identity = newIdentity(tag);
  const reg = await client.register(identity);
  assert.equal(reg.status, 201, `register: ${reg.status} ${await reg.text()}`);
  const isAuth = await jsonBody(await client.get('/api/auth/is-auth'));
  assert.equal(isAuth.success, true);
  assert.deepEqual(await userData(client), { name: identity.name, email: identity.email, isAccountVerified: false });

  const made = [];
  for (const [i, priority] of ['low', 'medium', 'high'].entries())
    made.push(await createTask(client, { title: `${tag} task ${i}`, priority, tags: [tag] }));
  const one = await jsonBody(await client.get(`/api/tasks/${made[1]._id}`));
  assert.equal(one.task.title, `${tag} task 1`);
  await updateTask(client, made[2]._id, { status: 'completed' });
  // not support/tasks.mjs's deleteTask: releases before aaa92c7 answer
  // without the deleted task
  const res = await client.request('DELETE', `/api/tasks/${made[0]._id}`);
  const del = await jsonBody(res);
  assert.deepEqual([res.status, del.success, del.message], [200, true, 'Task deleted']);

  const list = await listTasks(client);
  assert.deepEqual(list.tasks.map((t) => t.title), [`${tag} task 2`, `${tag} task 1`]);
  assert.equal(list.pagination.totalTasks, 2);
  const counts = await stats(client);
  assert.equal(counts.total, 2);
  assert.equal(counts.byStatus.completed, 1);
  assert.equal(counts.byStatus.pending, 1);
  return { identity, client, tasks: list.tasks };
}

// Log in at url as identity (a new client) and assert its tasks are exactly
// `titles` (newest first); resolves the client.
export async function loginAndList(url, identity, titles) {
  const client = new Client(url);
  const res = await client.login(identity);
  assert.equal(res.status, 200, `login: ${res.status} ${await res.text()}`);
  const list = await listTasks(client);
  assert.deepEqual(list.tasks.map((t) => t.title), titles);
  return client;
}
