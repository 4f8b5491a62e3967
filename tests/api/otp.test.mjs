// OTP flows with the codes read from the real emails in the SMTP sink:
// account verification and password reset, their error messages, the
// five-attempt limit, replacement by a newer code, no mail for unknown
// emails, and sessions revoked by a reset.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Client, jsonBody, newIdentity, registeredClient } from '../support/client.mjs';
import { expectError } from '../support/errors.mjs';
import { parseMetrics } from '../support/metrics.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { clockAhead, compose, FAKETIME_LIB, gateway, startServer } from '../support/server.mjs';

const VERIFY = { match: (m) => /verification/i.test(m.subject) };
const RESET = { match: (m) => /reset/i.test(m.subject) };

// A 6-digit code different from otp.
const wrongCode = (otp) => String((Number(otp) + 1) % 1000000).padStart(6, '0');

const METRICS_TOKEN = 'otp-test-metrics-token-0123456789';

describe('otp: email verification and password reset', () => {
  let server;
  before(async () => {
    server = await startServer(compose ? {} : { METRICS_TOKEN });
  });

  // Resolves once the server has counted `n` throttled codes in all (its
  // otp_throttled_total), so a job that sent nothing has run. Through the
  // gateway /metrics is not routed, and in the Compose stack each of three
  // instances counts its own: there a wait has to do.
  async function throttledAtLeast(n) {
    if (gateway || compose) return sleep(1000);
    let seen;
    for (const deadline = Date.now() + 10000; Date.now() < deadline; await sleep(50)) {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      seen = parseMetrics(await res.text()).get('otp_throttled_total');
      if (seen >= n) return undefined;
    }
    throw new Error(`otp_throttled_total is ${seen}, expected at least ${n}`);
  }
  after(async () => {
    assert.equal(await server.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${server.stderr()}`);
  });

  async function sendVerify(client, email) {
    const res = await client.post('/api/auth/send-verify-otp');
    assert.equal(res.status, 200);
    assert.deepEqual(await jsonBody(res), { success: true, message: 'Verification OTP Sent on Email' });
    const { otp, mail } = await server.sink.waitForOtp(email, VERIFY);
    assert.match(otp, /^\d{6}$/);
    assert.equal(mail.subject, 'Account Verification OTP');
    return otp;
  }

  async function sendReset(email) {
    const res = await new Client(server.url).post('/api/auth/send-reset-otp', { email });
    assert.equal(res.status, 200);
    assert.deepEqual(await jsonBody(res), { success: true, message: 'OTP sent to your email' });
    const { otp, mail } = await server.sink.waitForOtp(email, RESET);
    assert.equal(mail.subject, 'Password Reset OTP');
    return otp;
  }

  const verify = (client, otp) => client.post('/api/auth/verify-account', { otp });
  const reset = (email, otp, newPassword) =>
    new Client(server.url).post('/api/auth/reset-password', { email, otp, newPassword });

  test('verify the account with the emailed OTP', async () => {
    const { client, identity } = await registeredClient(server.url, 'verify');
    const otp = await sendVerify(client, identity.email);
    await expectError(await verify(client, wrongCode(otp)), 400, 'Invalid OTP');
    const ok = await verify(client, otp);
    assert.equal(ok.status, 200);
    assert.deepEqual(await jsonBody(ok), { success: true, message: 'Email verified successfully' });
    const me = await jsonBody(await client.get('/api/user/data'));
    assert.equal(me.userData.isAccountVerified, true);
    // once verified, no new OTP and no second verification
    await expectError(await client.post('/api/auth/send-verify-otp'), 400, 'Account Already verified');
    await expectError(await verify(client, otp), 400, 'Account Already verified');
  });

  test('verify-account without an otp answers "Missing Details"', async () => {
    const { client } = await registeredClient(server.url, 'verifymissing');
    await expectError(await client.post('/api/auth/verify-account', {}), 400, 'Missing Details');
    await expectError(await verify(client, ''), 400, 'Missing Details');
    await expectError(await verify(client, '  '), 400, 'Missing Details');
  });

  test('verify-account before any OTP was sent answers "Invalid OTP"', async () => {
    const { client } = await registeredClient(server.url, 'nootp');
    await expectError(await verify(client, '123456'), 400, 'Invalid OTP');
  });

  test('verify-account refuses codes that are not the six digits sent', async () => {
    const { client, identity } = await registeredClient(server.url, 'verifyshape');
    const otp = await sendVerify(client, identity.email);
    for (const code of [otp.slice(0, 5), `${otp}0`, `0${otp}`]) await expectError(await verify(client, code), 400, 'Invalid OTP');
    const ok = await verify(client, otp);
    assert.equal(ok.status, 200, await ok.text());
  });

  test('four wrong tries leave the OTP usable', async () => {
    const { client, identity } = await registeredClient(server.url, 'four');
    const otp = await sendVerify(client, identity.email);
    for (let i = 0; i < 4; i++) await expectError(await verify(client, wrongCode(otp)), 400, 'Invalid OTP');
    const ok = await verify(client, otp);
    assert.deepEqual(await jsonBody(ok), { success: true, message: 'Email verified successfully' });
  });

  test('five wrong tries void the verification OTP: the right code then fails', async () => {
    const { client, identity } = await registeredClient(server.url, 'five');
    const otp = await sendVerify(client, identity.email);
    for (let i = 0; i < 5; i++) await expectError(await verify(client, wrongCode(otp)), 400, 'Invalid OTP');
    await expectError(await verify(client, otp), 400, 'Invalid OTP');
    const me = await jsonBody(await client.get('/api/user/data'));
    assert.equal(me.userData.isAccountVerified, false);
    // a new code works again
    const fresh = await sendVerify(client, identity.email);
    assert.equal((await verify(client, fresh)).status, 200);
  });

  test('a newer verification OTP replaces the older one', async () => {
    const { client, identity } = await registeredClient(server.url, 'replace');
    const first = await sendVerify(client, identity.email);
    let second = await sendVerify(client, identity.email);
    if (second === first) second = await sendVerify(client, identity.email); // 1 in a million
    assert.notEqual(first, second);
    await expectError(await verify(client, first), 400, 'Invalid OTP');
    assert.equal((await verify(client, second)).status, 200);
  });

  test('an OTP is bound to its account', async () => {
    const a = await registeredClient(server.url, 'owner');
    const b = await registeredClient(server.url, 'thief');
    const otpA = await sendVerify(a.client, a.identity.email);
    await expectError(await verify(b.client, otpA), 400, 'Invalid OTP');
    assert.equal((await verify(a.client, otpA)).status, 200);
  });

  test('send-reset-otp without an email answers "Email is required"', async () => {
    const client = new Client(server.url);
    await expectError(await client.post('/api/auth/send-reset-otp', {}), 400, 'Email is required');
    await expectError(await client.post('/api/auth/send-reset-otp', { email: '' }), 400, 'Email is required');
  });

  test('send-reset-otp answers the same for an unknown email and sends it no mail', async () => {
    const unknown = newIdentity('ghost').email;
    const res = await new Client(server.url).post('/api/auth/send-reset-otp', { email: unknown });
    assert.equal(res.status, 200);
    assert.deepEqual(await jsonBody(res), { success: true, message: 'OTP sent to your email' });
    // a known account asked afterwards gets its mail, so the outbox has run
    const { identity } = await registeredClient(server.url, 'known');
    await sendReset(identity.email);
    await sleep(500);
    assert.deepEqual(await server.sink.mailsTo(unknown), []);
  });

  test('the 4th reset code for one account within the window is not sent, and the answer is the same', async () => {
    const { identity } = await registeredClient(server.url, 'resetflood');
    for (let i = 0; i < 3; i++) await sendReset(identity.email);
    const fourth = await new Client(server.url).post('/api/auth/send-reset-otp', { email: identity.email });
    assert.equal(fourth.status, 200);
    assert.deepEqual(await jsonBody(fourth), { success: true, message: 'OTP sent to your email' });
    await throttledAtLeast(1);
    // the outbox has run since: another account's code arrives
    const { identity: other } = await registeredClient(server.url, 'resetcontrol');
    await sendReset(other.email);
    const resets = (await server.sink.mailsTo(identity.email)).filter((m) => /reset/i.test(m.subject));
    assert.equal(resets.length, 3, 'three reset emails, not four');
  });

  test('the 4th verification code within the window answers 429 with Retry-After and sends nothing', async () => {
    const { client, identity } = await registeredClient(server.url, 'verifyflood');
    for (let i = 0; i < 3; i++) await sendVerify(client, identity.email);
    const fourth = await client.post('/api/auth/send-verify-otp');
    const retryAfter = Number(fourth.headers.get('retry-after'));
    await expectError(fourth, 429, 'Too many verification emails; please try again later.', 'RATE_LIMITED');
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After: ${fourth.headers.get('retry-after')}`);
    const verifies = (await server.sink.mailsTo(identity.email)).filter((m) => /verification/i.test(m.subject));
    assert.equal(verifies.length, 3);
    // the limit is per account: another user is not affected
    const other = await registeredClient(server.url, 'verifyother');
    await sendVerify(other.client, other.identity.email);
  });

  test('reset the password with the emailed OTP: new password works, old one and old sessions do not', async () => {
    const { client, identity } = await registeredClient(server.url, 'reset');
    const other = new Client(server.url);
    assert.equal((await other.login(identity)).status, 200);
    const otp = await sendReset(identity.email);
    const newPassword = `new-${identity.password}`;
    await expectError(await reset(identity.email, wrongCode(otp), newPassword), 400, 'Invalid OTP');
    const ok = await reset(identity.email, otp, newPassword);
    assert.equal(ok.status, 200);
    assert.deepEqual(await jsonBody(ok), { success: true, message: 'Password has been reset successfully' });
    // every earlier session is revoked
    await expectError(await client.get('/api/user/data'), 401, 'Not Authorized. Login Again');
    await expectError(await other.get('/api/user/data'), 401, 'Not Authorized. Login Again');
    // the old password is refused, the new one logs in
    await expectError(await new Client(server.url).login(identity), 401, 'Invalid email or password');
    const fresh = new Client(server.url);
    assert.equal((await fresh.login({ email: identity.email, password: newPassword })).status, 200);
    assert.equal((await fresh.get('/api/user/data')).status, 200);
    // the code is spent
    await expectError(await reset(identity.email, otp, 'yet-another-password'), 400, 'Invalid OTP');
  });

  test('reset-password with a missing field answers "Email, OTP, and new password are required"', async () => {
    const msg = 'Email, OTP, and new password are required';
    const full = { email: newIdentity('resetmissing').email, otp: '123456', newPassword: 'password123' };
    for (const field of Object.keys(full)) {
      const body = { ...full };
      delete body[field];
      await expectError(await new Client(server.url).post('/api/auth/reset-password', body), 400, msg);
      await expectError(await new Client(server.url).post('/api/auth/reset-password', { ...full, [field]: '' }), 400, msg);
    }
  });

  test('reset-password for an unknown email or without a sent OTP answers "Invalid OTP"', async () => {
    await expectError(await reset(newIdentity('nobody').email, '123456', 'password123'), 400, 'Invalid OTP');
    const { identity } = await registeredClient(server.url, 'noresetotp');
    await expectError(await reset(identity.email, '123456', 'password123'), 400, 'Invalid OTP');
  });

  test('reset-password refuses a new password under 8 characters and keeps the OTP', async () => {
    const { identity } = await registeredClient(server.url, 'resetweak');
    const otp = await sendReset(identity.email);
    await expectError(await reset(identity.email, otp, 'short'), 400, 'Password must be at least 8 characters');
    const ok = await reset(identity.email, otp, 'long-enough-password');
    assert.equal(ok.status, 200, await ok.text());
  });

  test('five wrong tries void the reset OTP', async () => {
    const { identity } = await registeredClient(server.url, 'resetfive');
    const otp = await sendReset(identity.email);
    for (let i = 0; i < 5; i++) await expectError(await reset(identity.email, wrongCode(otp), 'password-new-1'), 400, 'Invalid OTP');
    await expectError(await reset(identity.email, otp, 'password-new-1'), 400, 'Invalid OTP');
    assert.equal((await new Client(server.url).login(identity)).status, 200, 'the password is unchanged');
  });

  test('a verification OTP does not reset the password, nor a reset OTP verify the account', async () => {
    const { client, identity } = await registeredClient(server.url, 'purpose');
    const verifyOtp = await sendVerify(client, identity.email);
    await expectError(await reset(identity.email, verifyOtp, 'password-new-2'), 400, 'Invalid OTP');
    const resetOtp = await sendReset(identity.email);
    if (resetOtp !== verifyOtp) await expectError(await verify(client, resetOtp), 400, 'Invalid OTP');
    assert.equal((await verify(client, verifyOtp)).status, 200);
  });

  // The server's clock is moved forward by restarting it under libfaketime
  // on the same data directory; codes and tokens are issued at real time.
  test('OTPs and tokens expire: reset after 15 minutes, verification after 24 hours, session after 7 days',
    {
      skip: process.env.LSF_SANITIZED ? 'ASan build: its runtime clashes with libfaketime'
        : compose ? 'compose: restarts the server with its clock moved'
        : requireOrSkip('libfaketime', FAKETIME_LIB, 'apt-get install libfaketime'),
    }, async () => {
      const clock = await startServer();
      try {
        const send = async (path, client, body) => {
          const res = await client.post(path, body);
          assert.equal(res.status, 200, await res.text());
        };
        const a = await registeredClient(clock.url, 'expverify');
        await send('/api/auth/send-verify-otp', a.client);
        const verifyOtp = (await clock.sink.waitForOtp(a.identity.email, VERIFY)).otp;
        const b = await registeredClient(clock.url, 'expreset');
        await send('/api/auth/send-reset-otp', new Client(clock.url), { email: b.identity.email });
        const resetOtpB = (await clock.sink.waitForOtp(b.identity.email, RESET)).otp;
        const c = await registeredClient(clock.url, 'inreset');
        await send('/api/auth/send-reset-otp', new Client(clock.url), { email: c.identity.email });
        const resetOtpC = (await clock.sink.waitForOtp(c.identity.email, RESET)).otp;
        const tokenA = a.client.token;
        const as = (token) => ({ headers: { authorization: `Bearer ${token}` } });
        const post = (path, json, opts) => new Client(clock.url).post(path, json, opts);

        assert.equal(await clock.restart(clockAhead('+10m')), 0);
        const inTime = await post('/api/auth/reset-password', { email: c.identity.email, otp: resetOtpC, newPassword: 'password-in-time' });
        assert.equal(inTime.status, 200, `a reset OTP is valid for 15 minutes: ${await inTime.text()}`);

        assert.equal(await clock.restart(clockAhead('+2d')), 0);
        await expectError(await post('/api/auth/reset-password', { email: b.identity.email, otp: wrongCode(resetOtpB), newPassword: 'password-late' }), 400, 'Invalid OTP');
        await expectError(await post('/api/auth/reset-password', { email: b.identity.email, otp: resetOtpB, newPassword: 'password-late' }), 400, 'OTP Expired');
        assert.equal((await new Client(clock.url).login(b.identity)).status, 200, 'an expired reset changes nothing');
        await expectError(await post('/api/auth/verify-account', { otp: verifyOtp }, as(tokenA)), 400, 'OTP Expired');
        const me = await jsonBody(await new Client(clock.url).get('/api/user/data', as(tokenA)));
        assert.equal(me.userData.isAccountVerified, false);

        assert.equal(await clock.restart(clockAhead('+8d')), 0);
        await expectError(await new Client(clock.url).get('/api/user/data', as(tokenA)), 401, 'Not Authorized. Login Again');
        const isAuth = await new Client(clock.url).get('/api/auth/is-auth', as(tokenA));
        assert.deepEqual(await jsonBody(isAuth), { success: false, message: 'Not Authorized. Login Again' });
      } finally {
        assert.equal(await clock.close(), 0, `lsf-server did not exit 0 on SIGTERM:\n${clock.stderr()}`);
      }
    });
});
