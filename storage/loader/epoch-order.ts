/**
 * The example order of one epoch over sharded data, as a pure function of
 * (seed, stream, epoch): the shard order is a seeded permutation, and so is
 * the row order inside each shard. Batches are consecutive runs of that
 * sequence and may span a shard boundary. `locate` finds where any batch
 * starts without walking the batches before it, which is how a resumed
 * epoch skips ahead.
 */
import { Rng } from '../../core/random.js';

export interface OrderKey {
  readonly seed: number;
  readonly stream: string;
  readonly epoch: number;
  readonly shuffle: boolean;
}

export class EpochOrder {
  /** Shard numbers in visiting order. */
  readonly shards: Uint32Array;
  /** Sequence position at which each visited shard starts (length shards + 1). */
  private readonly starts: Float64Array;

  constructor(
    private readonly shardRows: readonly number[],
    private readonly key: OrderKey,
  ) {
    const count = shardRows.length;
    this.shards = key.shuffle ? Rng.keyed(key.seed, 'loader', key.stream, 'shards', key.epoch).permutation(count) : Uint32Array.from({ length: count }, (_, i) => i);
    this.starts = new Float64Array(count + 1);
    this.shards.forEach((shard, visit) => {
      this.starts[visit + 1] = this.starts[visit]! + shardRows[shard]!;
    });
  }

  get size(): number {
    return this.starts[this.shards.length]!;
  }

  /** Row order within a shard for this epoch. */
  rows(shard: number): Uint32Array {
    const rows = this.shardRows[shard]!;
    return this.key.shuffle ? Rng.keyed(this.key.seed, 'loader', this.key.stream, 'rows', this.key.epoch, shard).permutation(rows) : Uint32Array.from({ length: rows }, (_, i) => i);
  }

  /** The visit number and row offset within that shard of sequence position `position`. */
  locate(position: number): { visit: number; offset: number } {
    let lo = 0;
    let hi = this.shards.length;
    // Last visit whose start is <= position.
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= position) lo = mid;
      else hi = mid;
    }
    while (lo < this.shards.length - 1 && this.starts[lo + 1]! <= position) lo++;
    return { visit: lo, offset: position - this.starts[lo]! };
  }
}
