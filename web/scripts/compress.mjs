// Writes NAME.br and NAME.gz beside each compressible file of the build (dir
// given as the argument), for lsf-server to send by Accept-Encoding without
// compressing per request. A variant is kept only when it is smaller.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.webmanifest']);
const MIN_BYTES = 256;

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (entry.isFile()) yield p;
  }
}

async function compress(file) {
  const data = await readFile(file);
  const variants = [
    ['.br', brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    })],
    ['.gz', gzipSync(data, { level: 9 })],
  ];
  let written = 0;
  for (const [ext, out] of variants) {
    if (out.length < data.length) {
      await writeFile(file + ext, out);
      written++;
    }
  }
  return written;
}

const root = path.resolve(process.argv[2] || 'dist');
if (!(await stat(root)).isDirectory()) throw new Error(`${root} is not a directory`);
let count = 0;
for await (const file of files(root)) {
  if (!COMPRESSIBLE.has(path.extname(file))) continue;
  if ((await stat(file)).size < MIN_BYTES) continue;
  count += await compress(file);
}
console.log(`compress: ${count} precompressed variants in ${path.relative(process.cwd(), root) || '.'}`);
