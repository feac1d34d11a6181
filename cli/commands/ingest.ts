/**
 * `w2s ingest <source>`: turn a source folder into Arrow shards and a
 * manifest in the storage root, and print the dataset id with a summary
 * (`--json`: the manifest itself).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { BadInputError } from '../../core/errors.js';
import { splitEntries, type IngestOptionsInput, type Manifest, type Transform } from '../../schemas/manifest.js';
import { manifestKey, STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { DATA_FORMATS } from '../../schemas/manifest.js';
import { ingestDataset, markStorageRoot, openStore, storageRootProblem, serializeManifest, type DataFormat, type IngestProgress, type ObjectStore } from '../../storage/index.js';

interface IngestFlags {
  readonly format: DataFormat;
  readonly storage?: string;
  readonly seed: number;
  readonly json?: boolean;
  readonly progress: boolean;
  readonly weak?: number;
  readonly transfer?: number;
  readonly validation?: number;
  readonly test?: number;
  readonly shardSize?: number;
  readonly limitTrain?: number;
  readonly limitTest?: number;
  readonly resize?: { height: number; width: number };
  readonly channels?: 1 | 3;
  readonly labelNoise?: { kind: 'symmetric' | 'pairwise'; rate: number };
  readonly noiseSplits?: Array<'weak' | 'transfer' | 'validation'>;
  readonly fewShot?: number;
  readonly idxPrefix?: string;
  readonly transpose?: boolean;
  readonly cifarLabels?: 'fine' | 'coarse';
  readonly classes?: string[];
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('turn a source folder (IDX, CIFAR binary batches, one sub-folder per class, or an Arrow or Parquet file of embeddings) into Arrow shards and a manifest')
    .argument('<source>', 'source folder or gs:// prefix (embeddings: the folder holding one .arrow or .parquet file with index, label, embedding)')
    .addOption(new Option('--format <format>', 'source format').choices([...DATA_FORMATS]).default('idx'))
    .option('--storage <uri>', STORAGE_HELP)
    .option('--seed <n>', 'seed of the splits, their order and label noise', integer('--seed', 0), 0)
    .option('--weak <fraction>', 'fraction of the training examples for the weak teacher (W)', fraction('--weak'))
    .option('--transfer <fraction>', 'fraction for the transfer split (S) the teacher labels', fraction('--transfer'))
    .option('--validation <fraction>', 'fraction for validation', fraction('--validation'))
    .option('--test <fraction>', 'fraction held out as test when the source has no test set', fraction('--test'))
    .option('--shard-size <rows>', 'rows per shard file', integer('--shard-size', 1))
    .option('--limit-train <n>', 'use only the first n training examples of the source', integer('--limit-train', 1))
    .option('--limit-test <n>', 'use only the first n test examples of the source', integer('--limit-test', 1))
    .option('--resize <HxW>', 'resize every image to height x width (image folders)', size)
    .addOption(new Option('--channels <n>', 'image folders: 1 (grayscale) or 3 (RGB)').choices(['1', '3']).argParser((v) => Number(v) as 1 | 3))
    .option('--label-noise <kind:rate>', 'corrupt training labels: symmetric:0.2 or pairwise:0.4', labelNoise)
    .option('--noise-splits <splits>', 'splits the label noise applies to (default weak,transfer)', noiseSplits)
    .option('--few-shot <n>', 'keep n examples per class in each training split', integer('--few-shot', 1))
    .option('--idx-prefix <prefix>', 'IDX file set to read when the folder has several (e.g. emnist-balanced-)')
    .option('--transpose', 'IDX: transpose images (default for emnist-* files)')
    .option('--no-transpose', 'IDX: do not transpose images')
    .addOption(new Option('--cifar-labels <kind>', 'CIFAR-100 labels').choices(['fine', 'coarse']))
    .option('--classes <names>', 'comma-separated class names in label order', (v) => v.split(',').map((s) => s.trim()))
    .option('--json', 'print the manifest as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (source: string, flags: IngestFlags) => {
      const write = program.configureOutput().writeOut ?? ((text: string) => process.stdout.write(text));
      const root = storageRoot(flags.storage);
      const store = openStore(root);
      // The same rule as a run's: a root is w2s's own, never a system location or someone else's folder.
      const problem = await storageRootProblem(store.uri, store);
      if (problem) throw new BadInputError('--storage', problem);
      await markStorageRoot(store);
      const bar = flags.progress && !flags.json && process.stderr.isTTY ? progressBar() : undefined;
      let manifest: Manifest;
      try {
        manifest = await ingestDataset({ source, format: flags.format, options: optionsOf(flags), store, seed: flags.seed, ...(bar ? { onProgress: bar.update } : {}) });
      } finally {
        bar?.stop();
      }
      write(flags.json ? serializeManifest(manifest) : summary(manifest, store));
    });
}

function optionsOf(flags: IngestFlags): IngestOptionsInput {
  const splits = { weak: flags.weak, transfer: flags.transfer, validation: flags.validation, test: flags.test };
  const limit = { train: flags.limitTrain, test: flags.limitTest };
  if (flags.noiseSplits && !flags.labelNoise) throw new BadInputError('--noise-splits', 'needs --label-noise');
  return {
    ...(Object.values(splits).some((v) => v !== undefined) ? { splits: dropUndefined(splits) } : {}),
    ...(flags.shardSize !== undefined ? { shardSize: flags.shardSize } : {}),
    ...(limit.train !== undefined || limit.test !== undefined ? { limit: dropUndefined(limit) } : {}),
    ...(flags.resize ? { resize: flags.resize } : {}),
    ...(flags.channels ? { channels: flags.channels } : {}),
    ...(flags.labelNoise ? { labelNoise: { ...flags.labelNoise, ...(flags.noiseSplits ? { splits: flags.noiseSplits } : {}) } } : {}),
    ...(flags.fewShot !== undefined ? { fewShot: { perClass: flags.fewShot } } : {}),
    ...(flags.idxPrefix !== undefined ? { idxPrefix: flags.idxPrefix } : {}),
    ...(flags.transpose !== undefined ? { transpose: flags.transpose } : {}),
    ...(flags.cifarLabels ? { cifarLabels: flags.cifarLabels } : {}),
    ...(flags.classes ? { classNames: flags.classes } : {}),
  };
}

function summary(manifest: Manifest, store: ObjectStore): string {
  const [height, width, channels] = manifest.shape;
  const round = (values: number[]): string => values.map((v) => v.toFixed(4)).join(', ');
  const classesLine = `${manifest.classes.length} classes: ${manifest.classes.slice(0, 12).join(', ')}${manifest.classes.length > 12 ? ', …' : ''}`;
  const lines = [
    `dataset ${manifest.datasetId}`,
    `  manifest    ${store.uriOf(manifestKey(manifest.datasetId))}`,
    `  source      ${manifest.source.format}, ${manifest.source.examples.train} train + ${manifest.source.examples.test} test examples, ${manifest.source.fileCount} files`,
    ...(manifest.examples
      ? [`  vectors     ${manifest.examples.dim} ${manifest.examples.dtype} values each (from ${manifest.examples.sourceDtype}), ${classesLine}`]
      : [`  images      ${height}x${width}x${channels}, ${classesLine}`, `  normalise   mean [${round(manifest.normalization.mean)}], std [${round(manifest.normalization.std)}]`]),
    '  splits',
    ...splitEntries(manifest).map(([name, split]) => {
      return `    ${name.padEnd(11)} ${String(split.rows).padStart(8)} rows in ${split.shards.length} shard${split.shards.length === 1 ? '' : 's'}${split.cleanLabels ? ' (noisy labels, clean_label kept)' : ''}`;
    }),
    `  transforms  ${manifest.transforms.length === 0 ? 'none' : manifest.transforms.map(describeTransform).join('; ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

function describeTransform(transform: Transform): string {
  switch (transform.kind) {
    case 'limit':
      return `limit train ${transform.train ?? 'all'}, test ${transform.test ?? 'all'}`;
    case 'transpose':
      return 'transpose';
    case 'resize':
      return `resize ${transform.height}x${transform.width} (${transform.fit}, ${transform.kernel})`;
    case 'channels':
      return `${transform.channels === 1 ? 'grayscale' : 'RGB'}`;
    case 'classes':
      return `classes ${transform.keep.join(', ')} (relabelled 0..${transform.keep.length - 1})`;
    case 'subsample':
      return `few-shot ${transform.perClass} per class (${transform.splits.join(', ')})`;
    case 'label-noise':
      return `${transform.noise} label noise ${transform.rate} (${Object.entries(transform.flipped).map(([s, n]) => `${s}: ${n} flipped`).join(', ')})`;
  }
}

function progressBar(): { update: (progress: IngestProgress) => void; stop: () => void } {
  const bar = new SingleBar({ format: '{phase} [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: true });
  let phase: string | undefined;
  return {
    update: (progress) => {
      if (progress.phase !== phase) {
        if (phase !== undefined) bar.stop();
        phase = progress.phase;
        bar.start(progress.total, progress.done, { phase: phase.padEnd(6) });
      } else {
        bar.update(progress.done);
      }
    },
    stop: () => bar.stop(),
  };
}

function integer(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer >= ${min}`);
    return n;
  };
}

function fraction(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${flag} must be a number between 0 and 1`);
    return n;
  };
}

function size(value: string): { height: number; width: number } {
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match || Number(match[1]) === 0 || Number(match[2]) === 0) throw new InvalidArgumentError('--resize takes HEIGHTxWIDTH, e.g. 32x32');
  return { height: Number(match[1]), width: Number(match[2]) };
}

function labelNoise(value: string): { kind: 'symmetric' | 'pairwise'; rate: number } {
  const match = /^(symmetric|pairwise):([0-9.]+)$/.exec(value);
  const rate = Number(match?.[2]);
  if (!match || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new InvalidArgumentError('--label-noise takes symmetric:RATE or pairwise:RATE with RATE in [0, 1]');
  return { kind: match[1] as 'symmetric' | 'pairwise', rate };
}

function noiseSplits(value: string): Array<'weak' | 'transfer' | 'validation'> {
  const splits = value.split(',').map((s) => s.trim());
  for (const split of splits) {
    if (split !== 'weak' && split !== 'transfer' && split !== 'validation') throw new InvalidArgumentError(`--noise-splits: "${split}" is not weak, transfer or validation`);
  }
  return splits as Array<'weak' | 'transfer' | 'validation'>;
}

function dropUndefined<T extends Record<string, number | undefined>>(record: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}
