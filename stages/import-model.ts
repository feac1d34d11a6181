/**
 * Uses a given weak teacher instead of training one: the object must load as
 * a w2s model; it is copied into the run. The source may live outside the
 * run's root, so lineage names it in the stage's config (URI and sha256), not
 * as an input: every object a lineage record names is under the root, which
 * is all `w2s verify` reads.
 */
import { BadInputError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { describeModel, loadModel, type ModelDescription } from '../ml/models/index.js';
import type { ObjectRef, StageContext } from '../schemas/stages.js';
import { modelKey, stageKey } from '../storage/layout.js';
import { openStore } from '../storage/open.js';
import type { StageRuntime } from './runtime.js';
import { lineageObject, runStage } from './stage.js';
import { putObject } from './stores.js';

export interface ImportModelInput extends StageContext {
  /** Storage URI of the model weights (any root: it need not be the run's). */
  readonly uri: string;
  /** What the run needs of the model: the configured `teacher.model`, and the ingested dataset's image shape and classes. */
  readonly expected?: { readonly model: string; readonly shape: readonly [number, number, number]; readonly numClasses: number };
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
  const sha256 = sha256Hex(bytes);
  return runStage({
    context: input,
    kind: 'import',
    config: { uri: input.uri, sha256, bytes: bytes.length },
    inputs: [],
    cacheable: false,
    outputsOf: (out) => [lineageObject(out, 'model')],
    // The copy under the run's root keeps every object of a run in one store, which labeling and verify read.
    run: async (store) => {
      const model = loadModel(bytes, `${field} ${input.uri}`);
      const description = describeModel(model);
      model.dispose();
      if (input.expected) checkFits(`${field} ${input.uri}`, description, input.expected);
      const copy = await putObject(store, modelKey(stageKey(input.runId, input.stage), sha256), bytes, 'application/octet-stream');
      return { ...copy, cached: false };
    },
  }, runtime);
}

/** A teacher that does not fit the data fails here, before labeling or training: retrying cannot make it fit. */
function checkFits(where: string, model: ModelDescription, expected: NonNullable<ImportModelInput['expected']>): void {
  const problems: string[] = [];
  if (model.name !== expected.model) problems.push(`it is a ${model.name} model, but teacher.model is ${expected.model} (set teacher.model: ${model.name} to use it)`);
  if (model.inputShape.some((d, i) => d !== expected.shape[i])) {
    problems.push(`it takes ${model.inputShape.join('x')} images, the dataset has ${expected.shape.join('x')}`);
  }
  if (model.numClasses !== expected.numClasses) problems.push(`it predicts ${model.numClasses} classes, the dataset has ${expected.numClasses}`);
  if (problems.length > 0) throw new BadInputError(where, `does not fit this run: ${problems.join('; ')}`);
}
