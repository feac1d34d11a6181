/**
 * The behaviour every ObjectStore must have, run against each backend by
 * object-store.test.ts. `open` returns a store rooted at a fresh, empty prefix.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBadInputError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import { ObjectConflictError, ObjectNotFoundError, PreconditionFailedError } from '../../storage/errors.js';
import type { ObjectStore } from '../../storage/object-store.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

export function storeContract(backend: string, open: () => Promise<ObjectStore>): void {
  describe(`ObjectStore contract: ${backend}`, () => {
    test('put, get, stat, exists, stream round-trip', async () => {
      const store = await open();
      const data = Buffer.from('shard bytes \u00e9');
      const info = await store.put('datasets/d1/weak/shard-00000.arrow', data);
      assert.equal(info.sha256, sha256Hex(data));
      assert.equal(info.size, data.length);
      assert.equal(info.uri, store.uriOf('datasets/d1/weak/shard-00000.arrow'));
      assert.equal(store.keyOf(info.uri), 'datasets/d1/weak/shard-00000.arrow');
      assert.deepEqual(Buffer.from(await store.get(info.key)), data);
      assert.deepEqual(await store.stat(info.key), info);
      assert.equal(await store.exists(info.key), true);
      assert.equal(await store.exists('datasets/d1/weak/shard-00001.arrow'), false);
      const chunks: Buffer[] = [];
      for await (const chunk of await store.stream(info.key)) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), data);
    });

    test('write-once: identical bytes succeed, different bytes are refused and change nothing', async () => {
      const store = await open();
      await store.put('runs/r/a.json', '{"a":1}');
      const again = await store.put('runs/r/a.json', '{"a":1}');
      assert.equal(again.sha256, sha256Hex('{"a":1}'));
      await assert.rejects(store.put('runs/r/a.json', '{"a":2}'), (error: unknown) => {
        assert.ok(error instanceof ObjectConflictError);
        assert.match(error.message, /runs\/r\/a\.json: already exists with different content/);
        return true;
      });
      assert.equal(text(await store.get('runs/r/a.json')), '{"a":1}');
    });

    test('putFile streams a local file and reports progress', async () => {
      const store = await open();
      const dir = await mkdtemp(join(tmpdir(), 'w2s-putfile-'));
      try {
        const path = join(dir, 'ckpt.bin');
        const data = Buffer.alloc(3 << 20);
        for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 255;
        await writeFile(path, data);
        let last = 0;
        const info = await store.putFile('runs/r/ckpt.bin', path, { onProgress: (sent, total) => void (last = sent === total ? sent : last) });
        assert.equal(last, data.length);
        assert.equal(info.sha256, sha256Hex(data));
        assert.equal((await store.stat('runs/r/ckpt.bin')).sha256, sha256Hex(data));
        assert.deepEqual(Buffer.from(await store.get('runs/r/ckpt.bin')), data);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('list is a sorted plain prefix match', async () => {
      const store = await open();
      for (const key of ['ds/a/2', 'ds/a/1', 'ds/ab/1', 'ds/b/1', 'other/x']) await store.put(key, key);
      assert.deepEqual(await store.list('ds/a/'), ['ds/a/1', 'ds/a/2']);
      assert.deepEqual(await store.list('ds/a'), ['ds/a/1', 'ds/a/2', 'ds/ab/1']);
      assert.deepEqual(await store.list(''), ['ds/a/1', 'ds/a/2', 'ds/ab/1', 'ds/b/1', 'other/x']);
      assert.deepEqual(await store.list('missing/'), []);
    });

    test('delete removes an object and tolerates absent ones', async () => {
      const store = await open();
      await store.put('tmp/x', 'x');
      await store.delete('tmp/x');
      assert.equal(await store.exists('tmp/x'), false);
      await store.delete('tmp/x');
      await store.put('tmp/x', 'new content after delete');
      assert.equal(text(await store.get('tmp/x')), 'new content after delete');
    });

    test('missing objects are ObjectNotFoundError naming the URI', async () => {
      const store = await open();
      for (const call of [() => store.get('no/such'), () => store.stat('no/such'), () => store.stream('no/such')]) {
        await assert.rejects(call(), (error: unknown) => error instanceof ObjectNotFoundError && error.message.includes(store.uriOf('no/such')));
      }
    });

    test('keys that escape the root are BadInputErrors and write nothing', async () => {
      const store = await open();
      for (const key of ['../escape', 'a/../../escape', '/etc/passwd', 'a//b', './a', 'a\\b', '']) {
        await assert.rejects(store.put(key, 'x'), (error: unknown) => isBadInputError(error), `key ${JSON.stringify(key)}`);
      }
      assert.deepEqual(await store.list(''), []);
    });

    test('pointers: create, compare-and-swap, stale version refused', async () => {
      const store = await open();
      assert.equal(await store.readPointer('latest.json'), undefined);
      const first = await store.writePointer('latest.json', '{"step":1}', null);
      await assert.rejects(store.writePointer('latest.json', '{"step":9}', null), PreconditionFailedError);
      const second = await store.writePointer('latest.json', '{"step":2}', first.version);
      assert.notEqual(second.version, first.version);
      await assert.rejects(store.writePointer('latest.json', '{"step":3}', first.version), (error: unknown) => {
        assert.ok(error instanceof PreconditionFailedError);
        assert.equal(error.actualVersion, second.version);
        return true;
      });
      // A retried write whose first attempt landed: same bytes, stale version, still fine.
      const retried = await store.writePointer('latest.json', '{"step":2}', first.version);
      assert.equal(retried.version, second.version);
      const read = await store.readPointer('latest.json');
      assert.equal(text(read!.data), '{"step":2}');
      assert.equal(read!.version, second.version);
    });

    test('concurrent writers racing for one pointer: exactly one wins', async () => {
      const store = await open();
      const base = await store.writePointer('registry/champion.json', '{"run":"base"}', null);
      const writers = Array.from({ length: 12 }, (_, i) => store.writePointer('registry/champion.json', `{"run":"r${i}"}`, base.version));
      const results = await Promise.allSettled(writers);
      const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1, `winners: ${winners}`);
      for (const result of results) {
        if (result.status === 'rejected') assert.ok(result.reason instanceof PreconditionFailedError, String(result.reason));
      }
      const final = await store.readPointer('registry/champion.json');
      assert.equal(text(final!.data), `{"run":"r${winners[0]}"}`);
    });

    test('lists thousands of objects across pages', async () => {
      const store = await open();
      const keys = Array.from({ length: 2100 }, (_, i) => `many/obj-${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, key)));
      }
      await store.put('many-other/x', 'x');
      assert.deepEqual(await store.list('many/'), keys);
    });
  });
}
