/** The storage layout: the root a command uses, and keys that read back as what they name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineagePrefix, lineageRecordKey, parseLineageRecordName, shardName, shardPath, softLabelShardKey, storageRoot } from '../../storage/layout.js';

test('the storage root is the flag, else $W2S_STORAGE, else .w2s', () => {
  assert.equal(storageRoot('gs://b/p', { W2S_STORAGE: '/data/w2s' }), 'gs://b/p');
  assert.equal(storageRoot(undefined, { W2S_STORAGE: '/data/w2s' }), '/data/w2s');
  assert.equal(storageRoot(undefined, {}), '.w2s');
});

test('image and soft-label shards of one index share their name', () => {
  assert.equal(shardPath('transfer', 3), 'transfer/shard-00003.arrow');
  assert.equal(softLabelShardKey('run-1', 'ab'.repeat(32), 'transfer', 3), `runs/run-1/soft-labels/${'ab'.repeat(6)}/transfer/${shardName(3)}`);
});

test('a lineage record key names its stage and attempt, stage names with dashes included', () => {
  const key = lineageRecordKey('run-1', 'label-transfer-00003', 12);
  assert.equal(key, 'lineage/run-1/label-transfer-00003-12.json');
  assert.deepEqual(parseLineageRecordName(key.slice(lineagePrefix('run-1').length)), { stage: 'label-transfer-00003', attempt: 12 });
  assert.equal(parseLineageRecordName('notes.txt'), undefined);
});
