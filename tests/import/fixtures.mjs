// Fixtures for `lsf-server import`, generated from the documented formats
// with the MongoDB driver's own BSON library (npm `bson`): no MongoDB server
// can run here. The same documents are written four ways, as mongoexport
// and mongodump would: Extended JSON v2 relaxed (mongoexport's default) and
// canonical, one document per line; a relaxed --jsonArray file; and a
// mongodump .bson file. The documents carry the cases the importer must
// handle (both date forms, NumberLong, Unicode, missing and extra fields,
// duplicate emails, bad values); tests/api/import.test.mjs states the
// expected outcome of each, by _id. bigTasks() makes the speed file.
//   node tests/import/fixtures.mjs DIR [TASKS]   writes the files into DIR
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { BSON, EJSON, Long, ObjectId } from 'bson';

// bcrypt hashes made once with libxcrypt (cost 10), as the original app's
// bcryptjs stored them ($2a$) or newer bcrypt ($2b$).
export const PASSWORDS = {
  alice: { password: 'mern-password-1', hash: '$2a$10$HeAuE6ysCx6AMIV3xfqk/OoFTYKpG8pG6TX9ekorJ161CHMM2hfsi' },
  bob: { password: 'mern-password-2', hash: '$2b$10$Fu3BV01hPc0CWJ887vnoQ.AX35XlNHoPv3gYFbhXx6OxEsvADERK2' },
  carol: { password: 'Pässwörd-3 ✓', hash: '$2b$10$3GC73RNOi80CLWUGsC4c2.YJ1x1WCi/zkDjYJTgP/j5tiYg0xLyXq' },
};

const oid = (hex) => new ObjectId(hex);
const date = (iso) => new Date(iso);

// _ids: seconds 0x65a1b2c3 = 2024-01-12T21:44:35Z and on.
export const IDS = {
  alice: '65a1b2c3aaaaaaaaaa000001',
  bob: '65a1b2c4bbbbbbbbbb000002',
  carol: '65a1b2c5cccccccccc000003',
  aliceUpper: '65a1b2c6dddddddddd000004', // ALICE@EXAMPLE.COM: differs only in case
  badEmail: '65a1b2c7eeeeeeeeee000005',
  plainPassword: '65a1b2c8ffffffffff000006',
  longName: '65a1b2c9aaaaaaaaaa000007',
};

export function users() {
  return [
    {
      _id: oid(IDS.alice), name: 'Alice Archer', email: 'alice@example.com', password: PASSWORDS.alice.hash,
      isAccountVerified: true, verifyOtp: '123456', verifyOtpExpireAt: Long.fromNumber(1705200000000),
      resetOtp: '', resetOtpExpireAt: 0, createdAt: date('2024-01-12T21:44:35.250Z'),
      updatedAt: date('2024-02-01T08:00:00.000Z'), __v: 0,
    },
    {
      _id: oid(IDS.bob), name: 'Bøb Ünïcode 日本', email: '  Bob.Smith@Example.COM ', password: PASSWORDS.bob.hash,
      isAccountVerified: false, createdAt: date('2024-01-12T21:44:36.000Z'), updatedAt: date('2024-01-12T21:44:36.000Z'),
    },
    // missing isAccountVerified, createdAt and updatedAt; an extra field
    { _id: oid(IDS.carol), name: 'Carol', email: 'carol@example.org', password: PASSWORDS.carol.hash, avatar: 'https://x/y.png' },
    {
      _id: oid(IDS.aliceUpper), name: 'Alice Again', email: 'ALICE@EXAMPLE.COM', password: PASSWORDS.bob.hash,
      isAccountVerified: false, createdAt: date('2024-01-12T21:44:38.000Z'),
    },
    { _id: oid(IDS.badEmail), name: 'No Email', email: 'not-an-email', password: PASSWORDS.bob.hash },
    { _id: oid(IDS.plainPassword), name: 'Plain', email: 'plain@example.com', password: 'hunter2hunter2' },
    { _id: oid(IDS.longName), name: 'N'.repeat(101), email: 'long@example.com', password: PASSWORDS.bob.hash },
    // the same _id as alice again: the first one is kept
    { _id: oid(IDS.alice), name: 'Alice Twin', email: 'twin@example.com', password: PASSWORDS.bob.hash },
  ];
}

export const TASK_IDS = {
  a1: '65a1b2d0000000000000a001', // createdAt in its ObjectId's second, with milliseconds: kept
  a2: '65a1b2d1000000000000a002', // createdAt in another second than its ObjectId: the ObjectId's time
  a3: '65a1b2d2000000000000a003', // completed without completedAt: updatedAt
  a4: '65a1b2d2000000000000a004', // same second as a3, createdAt earlier than a3's: a3's
  b1: '65a1b2d3000000000000b001', // Bob's, Unicode, userId as a hex string
  c1: '65a1b2d4000000000000c001', // Carol's, only a title
  orphan: '65a1b2d5000000000000f001', // userId of nobody
  refusedOwner: '65a1b2d6000000000000f002', // userId of the user with a bad email
  badStatus: '65a1b2d7000000000000f003',
  longTitle: '65a1b2d8000000000000f004',
  manyTags: '65a1b2d9000000000000f005',
  noTitle: '65a1b2da000000000000f006',
  badPriority: '65a1b2db000000000000f007',
};

export function tasks() {
  const ts = (n) => new Date(0x65a1b2d0 * 1000 + n);
  return [
    // out of ObjectId order on purpose: the importer sorts
    {
      _id: oid(TASK_IDS.a2), userId: oid(IDS.alice), title: 'Second', description: 'created in another second',
      status: 'in-progress', priority: 'high', dueDate: date('2024-03-01T12:00:00.000Z'), tags: ['work', 'urgent'],
      createdAt: date('2024-01-01T00:00:00.000Z'), updatedAt: ts(5000), __v: Long.fromNumber(3),
    },
    {
      _id: oid(TASK_IDS.a1), userId: oid(IDS.alice), title: '  First task  ', description: 'Read the "report" \\ now',
      status: 'pending', priority: 'low', dueDate: null, tags: ['work', 'work', '', ' home '],
      createdAt: ts(123), updatedAt: ts(456),
    },
    {
      _id: oid(TASK_IDS.a3), userId: oid(IDS.alice), title: 'Done', status: 'completed', priority: 'medium',
      createdAt: ts(2900), updatedAt: date('2024-01-20T10:00:00.000Z'), tags: [],
    },
    { _id: oid(TASK_IDS.a4), userId: oid(IDS.alice), title: 'Same second', createdAt: ts(2100), updatedAt: ts(2100) },
    {
      _id: oid(TASK_IDS.b1), userId: IDS.bob, title: 'Café ☕ 日本語 🚀', description: 'Ünïcödé',
      tags: ['ünï', '日本'], status: 'pending', priority: 'medium', createdAt: ts(3000), updatedAt: ts(3000),
      extra: { nested: [1, 2, 3] },
    },
    { _id: oid(TASK_IDS.c1), userId: oid(IDS.carol), title: 'Only a title' },
    { _id: oid(TASK_IDS.orphan), userId: oid('65a1b2c0000000000000dead'), title: 'Nobody\'s' },
    { _id: oid(TASK_IDS.refusedOwner), userId: oid(IDS.badEmail), title: 'Refused owner' },
    { _id: oid(TASK_IDS.badStatus), userId: oid(IDS.alice), title: 'Bad status', status: 'done' },
    { _id: oid(TASK_IDS.longTitle), userId: oid(IDS.alice), title: 'T'.repeat(201) },
    { _id: oid(TASK_IDS.manyTags), userId: oid(IDS.alice), title: 'Tags', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) },
    { _id: oid(TASK_IDS.noTitle), userId: oid(IDS.alice), description: 'no title' },
    { _id: oid(TASK_IDS.badPriority), userId: oid(IDS.alice), title: 'Bad priority', priority: 7 },
  ];
}

// N tasks for `users` users (ObjectIds from 2024-01-13, the users'
// ObjectIds from 2024-01-12), relaxed Extended JSON lines; for the speed row.
export function bigFixtures(n, nUsers = 100) {
  const userDocs = [];
  for (let u = 0; u < nUsers; u++) {
    const id = (0x65a00000 + u).toString(16) + u.toString(16).padStart(16, '0');
    userDocs.push({ _id: oid(id), name: `Bulk ${u}`, email: `bulk${u}@example.com`, password: PASSWORDS.alice.hash, isAccountVerified: true });
  }
  const lines = [];
  const words = ['plan', 'write', 'review', 'call', 'ship', 'fix', 'draft', 'read', 'café', 'naïve'];
  for (let i = 0; i < n; i++) {
    const u = i % nUsers;
    const secs = 0x65a20000 + Math.floor(i / 10);
    const id = secs.toString(16) + (i % 10).toString(16).padStart(2, '0') + i.toString(16).padStart(14, '0');
    lines.push(EJSON.stringify({
      _id: oid(id), userId: userDocs[u]._id, title: `${words[i % 10]} task ${i}`,
      description: `${words[(i * 7) % 10]} the ${words[(i * 3) % 10]} notes for item ${i}`,
      status: ['pending', 'in-progress', 'completed'][i % 3], priority: ['low', 'medium', 'high'][i % 3],
      dueDate: i % 4 === 0 ? null : new Date(1706000000000 + i * 60000), tags: [words[i % 10], `t${i % 7}`],
      createdAt: new Date(secs * 1000 + (i % 10) * 10), updatedAt: new Date(secs * 1000 + 500),
    }, { relaxed: true }));
  }
  return {
    users: userDocs.map((d) => EJSON.stringify(d, { relaxed: true })).join('\n') + '\n',
    tasks: lines.join('\n') + '\n',
  };
}

const lines = (docs, relaxed) => docs.map((d) => EJSON.stringify(d, { relaxed })).join('\n') + '\n';
const array = (docs) => `[${docs.map((d) => EJSON.stringify(d, { relaxed: true })).join(',\n')}]\n`;
const bsonFile = (docs) => Buffer.concat(docs.map((d) => BSON.serialize(d)));

// Write users.* and tasks.* in the four forms into dir; returns their paths.
export async function writeFixtures(dir) {
  await mkdir(dir, { recursive: true });
  const files = {};
  for (const [name, docs] of [['users', users()], ['tasks', tasks()]]) {
    const forms = {
      relaxed: [`${name}.json`, lines(docs, true)],
      canonical: [`${name}.canonical.json`, lines(docs, false)],
      array: [`${name}.array.json`, array(docs)],
      bson: [`${name}.bson`, bsonFile(docs)],
    };
    for (const [form, [file, content]] of Object.entries(forms)) {
      files[form] ??= {};
      files[form][name] = path.join(dir, file);
      await writeFile(files[form][name], content);
    }
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] || 'import-fixtures';
  const files = await writeFixtures(dir);
  if (process.argv[3]) {
    const big = bigFixtures(Number(process.argv[3]));
    await writeFile(path.join(dir, 'big-users.json'), big.users);
    await writeFile(path.join(dir, 'big-tasks.json'), big.tasks);
  }
  console.log(JSON.stringify(files, null, 2));
}
