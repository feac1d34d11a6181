/**
 * What a run on an embeddings dataset (`dataset.format: embeddings`) may ask
 * for. Its examples are vectors a backbone computed elsewhere: the backbone
 * is the identity, the teacher and the students are heads over the vectors
 * (`linear`, or `mlp` for one hidden layer), and a probe student is simply a
 * `linear` strong model. Anything that needs images is refused before any
 * work, naming the field and why.
 */
import type { RunConfig } from './pipeline.js';
import type { StudentInit } from './pretrain.js';

/** The models that take a vector: `[1, 1, D]` flattened. */
export const VECTOR_MODELS: readonly string[] = ['linear', 'mlp'];

const IMAGE_OPTIONS = ['resize', 'channels', 'transpose', 'idxPrefix'] as const;

/** One line per problem, `field: why` (empty for other datasets, or a config that fits). */
export function vectorDatasetProblems(config: RunConfig): string[] {
  if (config.dataset.format !== 'embeddings') return [];
  const problems: string[] = [];
  const model = (field: string, name: string) => {
    if (!VECTOR_MODELS.includes(name)) {
      problems.push(`${field}: "${name}" takes images; on an embeddings dataset the examples are vectors, so use ${VECTOR_MODELS.join(' or ')} (a probe head on the vectors)`);
    }
  };
  // A given checkpoint is the teacher, whatever `model` says; the checkpoint check against the dataset applies to it.
  if (!config.teacher.checkpoint) model('teacher.model', config.teacher.model);
  model('strong.model', config.strong.model);
  config.students.forEach((s, i) => {
    if (s.model) model(`students.${i}.model`, s.model);
  });
  for (const [field, augment] of [['teacher.augment', config.teacher.augment], ['strong.augment', config.strong.augment]] as const) {
    if (augment.cropPadding > 0) problems.push(`${field}.cropPadding: crops images; vectors cannot be augmented (set it to 0)`);
    if (augment.flip) problems.push(`${field}.flip: flips images; vectors cannot be augmented (set it to false)`);
  }
  const inits: Array<[string, StudentInit | undefined]> = [['strong.init', config.strong.init], ...config.students.map((s, i): [string, StudentInit | undefined] => [`students.${i}.init`, s.init])];
  for (const [field, init] of inits) if (init) problems.push(`${field}: ${initProblem(init)}`);
  for (const option of IMAGE_OPTIONS) {
    if (config.dataset[option] !== undefined) problems.push(`dataset.${option}: applies to images; an embeddings dataset holds vectors`);
  }
  if (config.dataset.limit?.test !== undefined) problems.push('dataset.limit.test: an embeddings file has no test set of its own (dataset.splits.test holds one out)');
  return problems;
}

function initProblem(init: StudentInit): string {
  const already = 'the dataset\'s vectors are already a frozen backbone\'s output, so the students are probe heads on them as they are (strong.model: linear, no init)';
  if (init.mode === 'finetune') return `finetune trains a backbone's weights, and an embeddings dataset has none to train: ${already}`;
  if (init.pretrain) return `a pretrain stage learns a backbone from images; ${already}`;
  if (init.imported) return `an imported backbone reads images; ${already}`;
  return `a pretrained backbone reads images; ${already}`;
}
