import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { LocalStore } from '../../storage/local.js';

const localModule = fileURLToPath(new URL('../../storage/local.js', import.meta.url));

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'w2s-local-'));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A writer process: waits for "go" on stdin, tries the swap, prints won/lost. */
const WRITER = `
import { LocalStore } from ${JSON.stringify(localModule)};
const [root, expected, value] = process.argv.slice(1);
const store = new LocalStore(root);
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  try {
    await store.writePointer('latest.json', value, expected);
    process.stdout.write('won\\n');
  } catch (error) {
    process.stdout.write(error.name === 'PreconditionFailedError' ? 'lost\\n' : 'error ' + error.message + '\\n');
  }
  process.exit(0);
});
`;

test('processes racing for one local pointer: exactly one wins', async () => {
  await withRoot(async (root) => {
    const store = new LocalStore(root);
    const base = await store.writePointer('latest.json', 'base', null);
    const children = Array.from({ length: 4 }, (_, i) =>
      spawn(process.execPath, ['--input-type=module', '-e', WRITER, root, base.version, `writer-${i}`], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const outputs = children.map((child) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      return { child, text: () => out };
    });
    await Promise.all(children.map((child) => once(child.stdout, 'data')));
    for (const child of children) child.stdin.write('go\n');
    await Promise.all(children.map((child) => once(child, 'exit')));
    const results = outputs.map((o) => o.text().replace('ready\n', '').trim());
    assert.deepEqual(results.filter((r) => r !== 'won' && r !== 'lost'), [], `unexpected: ${results}`);
    assert.equal(results.filter((r) => r === 'won').length, 1, `results: ${results}`);
    const winner = results.indexOf('won');
    const final = await store.readPointer('latest.json');
    assert.equal(Buffer.from(final!.data).toString(), `writer-${winner}`);
    assert.deepEqual((await readdir(root)).sort(), ['latest.json'], 'no lock or temporary files left');
  });
});

test('temporary files of an interrupted write are never listed, and a stale lock is broken', async () => {
  await withRoot(async (root) => {
    const store = new LocalStore(root);
    await store.put('runs/a.json', 'a');
    await writeFile(join(root, 'runs', '.w2s-tmp-999-1-b.json'), 'half written');
    assert.deepEqual(await store.list(''), ['runs/a.json']);
    assert.equal(await store.exists('runs/b.json'), false);

    const lock = join(root, '.w2s-lock-latest.json');
    await writeFile(lock, '999\n');
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const written = await store.writePointer('latest.json', 'x', null);
    assert.equal(Buffer.from((await store.readPointer('latest.json'))!.data).toString(), 'x');
    assert.equal(written.version.length, 64);
  });
});

test('reserved temporary names cannot be used as keys', async () => {
  await withRoot(async (root) => {
    const store = new LocalStore(root);
    await assert.rejects(store.put('runs/.w2s-tmp-x', 'x'), /reserved for temporary files/);
  });
});

test('a symbolic link inside the root is refused: nothing is written or read outside it', async () => {
  await withRoot(async (root) => {
    const outside = await mkdtemp(join(tmpdir(), 'w2s-outside-'));
    try {
      await writeFile(join(outside, 'secret.txt'), 'not for the store');
      await mkdir(join(root, 'runs'));
      await symlink(outside, join(root, 'runs', 'escape'));
      await symlink(join(outside, 'secret.txt'), join(root, 'secret.txt'));
      const store = new LocalStore(root);

      await assert.rejects(store.put('runs/escape/model.bin', 'weights'), /storage key "runs\/escape\/model.bin".*leads outside the storage root/);
      await assert.rejects(store.writePointer('runs/escape/latest.json', '{}', null), /leads outside the storage root/);
      await assert.rejects(store.get('secret.txt'), /storage key "secret.txt".*leads outside the storage root/);
      await assert.rejects(store.stat('runs/escape/secret.txt'), /leads outside the storage root/);
      assert.deepEqual(await readdir(outside), ['secret.txt'], 'nothing was written through the link');
      assert.deepEqual(await store.list(''), [], 'links are never listed');

      await store.put('runs/inside.bin', 'fine');
      assert.equal(Buffer.from(await store.get('runs/inside.bin')).toString(), 'fine');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
