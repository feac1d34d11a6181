/** Uses a given weak teacher instead of training one: the object must load as a w2s model; it is copied into the run. */
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { loadModel } from '../ml/models/index.js';
import type { ObjectRef, StageContext } from '../schemas/stages.js';
import { modelKey, stageKey } from '../storage/layout.js';
import { openStore } from '../storage/open.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject } from './stores.js';

export interface ImportModelInput extends StageContext {
  /** Storage URI of the model weights (any root: it need not be the run's). */
  readonly uri: string;
  /** The config field that names it, for errors (default `teacher.checkpoint`). */
  readonly field?: string;
}

export async function importModel(input: ImportModelInput, runtime: StageRuntime): Promise<ObjectRef & { readonly cached: boolean }> {
  const field = input.field ?? 'teacher.checkpoint';
  const slash = input.uri.lastIndexOf('/');
  if (slash <= 0) throw new BadInputError(`${field} "${input.uri}"`, 'is not a storage URI of a model object');
  const source = openStore(input.uri.slice(0, slash));
  const bytes = await source.get(input.uri.slice(slash + 1)).catch((error: Error) => {
    throw new BadInputError(`${field} ${input.uri}`, `cannot be read (${error.message})`);
  });
  const ref = { uri: source.uriOf(input.uri.slice(slash + 1)), sha256: sha256Hex(bytes), bytes: bytes.length };
  return runStage({
    context: input,
    kind: 'import',
    config: { uri: input.uri },
    inputs: [lineageObject(ref, 'model')],
    cacheable: false,
    outputsOf: (out) => [lineageObject(out, 'model')],
    // The copy under the run's root keeps every object of a run in one store, which labeling and verify read.
    run: async (store) => {
      loadModel(bytes, `${field} ${input.uri}`).dispose();
      const copy = await putObject(store, modelKey(stageKey(input.runId, input.stage), ref.sha256), bytes, 'application/octet-stream');
      return { ...copy, cached: false };
    },
  }, runtime);
}
