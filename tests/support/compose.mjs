// The Compose topology for the API suites (LSF_TOPOLOGY=compose, see
// server.mjs): tests/compose/compose.test.mjs brings deploy/compose.yaml up
// once and runs the accounts and tasks suites against it, so startServer()
// hands out that running stack instead of starting a process: its nginx at
// LSF_COMPOSE_URL, its SMTP sink's mail in LSF_COMPOSE_MAIL_DIR, and the logs
// of the lsf-server containers named in LSF_COMPOSE_CONTAINERS (comma list)
// since the handle was made as stderr() (application log) and accessLog()
// (stdout, ACCESS_LOG=-), and the JWT_SECRET the stack runs
// with (env.JWT_SECRET, from LSF_COMPOSE_SECRETS_DIR/lsf.env, which the test
// made) for the tests that forge tokens. The stack's settings are fixed, so a
// test that asks for its own (env) fails here: such suites are not in the
// Compose run. close() leaves the stack up and answers 0; compose.test.mjs
// checks the instances' real exit codes when it stops them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { openMailDir } from './mail.mjs';

class ComposeServer {
  constructor() {
    this.url = process.env.LSF_COMPOSE_URL;
    this.port = Number(new URL(this.url).port);
    this.sink = openMailDir(process.env.LSF_COMPOSE_MAIL_DIR);
    this.containers = (process.env.LSF_COMPOSE_CONTAINERS || '').split(',').filter(Boolean);
    this.since = new Date(Date.now() - 1000).toISOString();
    const secrets = readFileSync(path.join(process.env.LSF_COMPOSE_SECRETS_DIR, 'lsf.env'), 'utf8');
    this.env = { JWT_SECRET: /^JWT_SECRET=(.*)$/m.exec(secrets)[1] };
    this.exitCode = null;
  }

  // The instances' output since this handle was made: which 'stdout' (the
  // access log, ACCESS_LOG=- in the image) or 'stderr' (the application log).
  logs(which) {
    let text = '';
    for (const name of this.containers) {
      const res = spawnSync('podman', ['logs', '--since', this.since, name], { encoding: 'utf8', maxBuffer: 64 << 20 });
      text += res[which];
    }
    return text;
  }

  stderr() {
    return this.logs('stderr');
  }

  async accessLog() {
    return this.logs('stdout');
  }

  async stop() {
    return 0;
  }

  async restart() {
    throw new Error('LSF_TOPOLOGY=compose: the stack is not restarted by a test');
  }

  async close() {
    return 0;
  }
}

export async function startComposeServer(env = {}) {
  const asked = Object.keys(env);
  if (asked.length > 0) throw new Error(`LSF_TOPOLOGY=compose: the stack's settings are fixed; this test sets ${asked.join(', ')}`);
  for (const name of ['LSF_COMPOSE_URL', 'LSF_COMPOSE_MAIL_DIR', 'LSF_COMPOSE_SECRETS_DIR'])
    if (!process.env[name]) throw new Error(`LSF_TOPOLOGY=compose needs ${name} (tests/compose sets it)`);
  return new ComposeServer();
}
