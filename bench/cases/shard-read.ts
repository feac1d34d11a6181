/**
 * Reading image shards from the local folder store: Fashion-MNIST ingested
 * into a scratch folder, then (1) every shard fetched and decoded by the
 * loader's reader, into two read buffers used in turn as the loader does,
 * first with its sha256 verified, then again as later epochs read it
 * (checked once per fetcher), and (2) one epoch of the training loader
 * (ShardBatchSource) building normalised batches, batch 64.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { ShardBatchSource } from '../../stages/shard-source.js';
import { decodeImageShard, ingestDataset, openStore, shardsOf } from '../../storage/index.js';
import { ReadBuffer } from '../../storage/local-read.js';
import { ShardFetcher } from '../../storage/index.js';
import { median, spread } from '../measure.js';
import type { BenchCase, BenchResult } from '../types.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

export const shardReadCase: BenchCase = {
  name: 'storage/shard-read',
  description: 'Fashion-MNIST shards in the local folder store: fetch + decode, and the training loader',
  async run(context) {
    if (!existsSync(`${FASHION}/train-images-idx3-ubyte.gz`)) {
      return [{ name: 'storage/shard-read', value: Number.NaN, unit: 'MB/s', note: `no dataset at ${FASHION}` }];
    }
    const store = openStore(context.scratchDir);
    const manifest = await ingestDataset({
      source: FASHION,
      format: 'idx',
      store,
      seed: 0,
      options: context.quick ? { limit: { train: 8192, test: 2048 } } : {},
    });
    const refs = shardsOf(store, manifest, ['weak', 'transfer', 'test']);
    const bytes = refs.reduce((n, r) => n + r.bytes, 0);
    const buffers = [new ReadBuffer(), new ReadBuffer()] as const;
    const readAll = async (fetcher: ShardFetcher) => {
      let rows = 0;
      for (const [i, ref] of refs.entries()) rows += decodeImageShard(await fetcher.fetch(ref, buffers[i % 2]), ref.key).rows;
      return rows;
    };
    const first: number[] = [];
    const again: number[] = [];
    for (let i = 0; i < context.repeats; i++) {
      const fetcher = new ShardFetcher(store, undefined);
      let start = performance.now();
      await readAll(fetcher);
      first.push(bytes / 1e6 / ((performance.now() - start) / 1000));
      start = performance.now();
      await readAll(fetcher);
      again.push(bytes / 1e6 / ((performance.now() - start) / 1000));
    }

    const source = new ShardBatchSource({ store, manifest, shards: shardsOf(store, manifest, ['transfer']) });
    const imagesPerSecond: number[] = [];
    for (let i = 0; i < Math.min(context.repeats, 3); i++) {
      const start = performance.now();
      let images = 0;
      for await (const batch of source.batches({ epoch: i, batchSize: 64, seed: 0, stream: 'bench', shuffle: true, dropLast: true })) {
        images += batch.x.shape[0];
        tf.dispose([batch.x, ...(batch.labels ? [batch.labels] : []), ...(batch.teacherLogits ? [batch.teacherLogits] : [])]);
      }
      imagesPerSecond.push(images / ((performance.now() - start) / 1000));
    }
    const [h, w, c] = manifest.shape;
    const results: BenchResult[] = [
      { name: 'storage/shard-read/verified', value: median(first), unit: 'MB/s', note: `${refs.length} shards, ${(bytes / 1e6).toFixed(0)} MB, two reused read buffers, sha256 checked; ${spread(first)}` },
      { name: 'storage/shard-read', value: median(again), unit: 'MB/s', note: `same shards, already verified (later epochs); ${spread(again)}` },
      {
        name: 'storage/loader-epoch',
        value: median(imagesPerSecond),
        unit: 'images/s',
        note: `ShardBatchSource, batch 64, float32 tensors; ${((median(imagesPerSecond) * h * w * c) / 1e6).toFixed(0)} MB/s of pixels; ${spread(imagesPerSecond)}`,
      },
    ];
    return results;
  },
};
