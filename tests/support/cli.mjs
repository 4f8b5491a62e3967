// Runs an lsf-server command (backup, restore, import, user ...) against a
// test server's database and settings: the same DATABASE_URL, JWT_SECRET,
// DATA_DIR and REDIS_URL as server.mjs gave the server, so the command sees
// what the server sees. Resolves to {code, stdout, stderr}; never rejects on
// a non-zero exit (tests assert the code), but throws when its stderr shows a
// sanitizer report (ASan builds).
import { spawn } from 'node:child_process';

import { assertNoSanitizerReport } from './sanitizers.mjs';
import { binPath, testEnv } from './server.mjs';

export function cliEnv(server, env = {}) {
  const full = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || server.dir,
    DATA_DIR: server.dir,
    ENV_FILE: `${server.dir}/no.env`,
    ACCESS_LOG: 'off',
    ...testEnv(server.sink),
    ...server.env,
    ...env,
  };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  return full;
}

export function runCli(server, args, { env = {}, cwd, timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binPath(), args, { cwd: cwd ?? server.dir, env: cliEnv(server, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    proc.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        assertNoSanitizerReport(stderr);
      } catch (err) {
        reject(err);
        return;
      }
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}
