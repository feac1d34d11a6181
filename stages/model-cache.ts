/**
 * Loaded models by the sha256 of their weights. Labeling runs one activity
 * per shard with the same teacher, so loaded models stay cached (a few, by
 * last use); a model is disposed only when no activity is using it.
 */
import { loadTrainedModel } from '../ml/backbones/saved.js';
import type { Model } from '../ml/models/index.js';
import type { ObjectRef } from '../schemas/stages.js';
import type { ObjectStore } from '../storage/index.js';
import { getVerified } from './stores.js';

const KEEP_IDLE_MODELS = 2;

export class ModelCache {
  private readonly models = new Map<string, { model: Model; users: number }>();

  /** Runs `fn` with the model a reference pins. */
  async with<T>(store: ObjectStore, ref: ObjectRef, fn: (model: Model) => Promise<T>): Promise<T> {
    let entry = this.models.get(ref.sha256);
    if (!entry) {
      // A student on an imported backbone carries its topology: any trained model loads from its own bytes.
      const model = await loadTrainedModel(await getVerified(store, ref, 'model weights'), store.uriOf(ref.key));
      entry = this.models.get(ref.sha256) ?? { model, users: 0 };
      if (entry.model !== model) model.dispose();
    }
    this.models.delete(ref.sha256);
    this.models.set(ref.sha256, entry);
    entry.users++;
    try {
      return await fn(entry.model);
    } finally {
      entry.users--;
      this.evictIdle(KEEP_IDLE_MODELS);
    }
  }

  /** Disposes every cached model no activity is using; workers call it once they have stopped. */
  release(): void {
    this.evictIdle(0);
  }

  private evictIdle(keep: number): void {
    const idle = [...this.models].filter(([, e]) => e.users === 0);
    for (const [sha, e] of idle.slice(0, Math.max(0, idle.length - keep))) {
      this.models.delete(sha);
      e.model.dispose();
    }
  }
}
