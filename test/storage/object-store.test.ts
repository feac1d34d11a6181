import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../storage/open.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { storeContract } from './store-contract.js';

let localRoot = '';
let gcs: FakeGcs | undefined;
let prefixes = 0;

before(async () => {
  localRoot = await mkdtemp(join(tmpdir(), 'w2s-store-'));
  gcs = await FakeGcs.start({ buckets: ['w2s-test'] });
});

after(async () => {
  await rm(localRoot, { recursive: true, force: true });
  await gcs?.dispose();
});

storeContract('local folder', async () => openStore(join(localRoot, `s${++prefixes}`)));
storeContract('local file:// URI', async () => openStore(`file://${join(localRoot, `u${++prefixes}`)}`));
storeContract('GCS (fake-gcs-server)', async () => openStore(`gs://w2s-test/p${++prefixes}`, { gcs: { emulatorHost: gcs!.url } }));
