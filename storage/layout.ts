/**
 * The one layout of a storage root: every key w2s reads or writes is built
 * here, so the tree below is the whole truth about where things live.
 *
 *   datasets/<datasetId>/manifest.json
 *   datasets/<datasetId>/<split>/shard-NNNNN.arrow
 *   runs/<runId>/<stage>/<cacheKey16>/{ckpt-SSSSSSSS-<sha12>.bin, latest.json, model-<sha12>.bin}   training
 *   runs/<runId>/<stage>/<cacheKey16>/training-record-<sha12>.json                                   its curves, for the report
 *   runs/<runId>/<stage>/evaluation-<sha12>.json                                                     confusion matrix, teacher split
 *   runs/<runId>/<stage>/model-<sha12>.bin                                                         imported teacher
 *   runs/<runId>/soft-labels/<teacherSha12>/<split>/shard-NNNNN.arrow
 *   runs/<runId>/report/{table.json, config.json, report.md, report.html}
 *   runs/<runId>/lineage-summary.json
 *   cache/<stageKey>.json                                   a pointer: the shared objects of a cached stage
 *   objects/<sha256><.ext>                                  content-addressed outputs shared by every run
 *   lineage/<runId>/<stage>-<attempt>.json
 *   registry/<name>.json, registry/<name>/decisions/<runId>.json
 *   local/<configName>-<configHash12>/{temporal.db, temporal.lock, workers.log}   the embedded default's Temporal history (an
 *                                                           interrupted local run resumes from it) and, in a
 *                                                           terminal, its in-process workers' logs; always a local
 *                                                           folder (the default root when the root is gs://)
 *
 * Keys are relative to the root, so a copied or moved root stays valid.
 */
import { DEFAULT_STORAGE_ROOT } from '../schemas/pipeline.js';

export { DEFAULT_STORAGE_ROOT };

/** The storage root a command works on: its `--storage` flag, else $W2S_STORAGE, else `.w2s`. */
export function storageRoot(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.W2S_STORAGE ?? DEFAULT_STORAGE_ROOT;
}

export const STORAGE_HELP = `storage root: a folder, file:// URI or gs://bucket/prefix (default: $W2S_STORAGE, else ${DEFAULT_STORAGE_ROOT})`;

const short = (sha256: string) => sha256.slice(0, 12);

/** Name of the `index`-th shard of a split, as image and soft-label shards share it. */
export function shardName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}.arrow`;
}

/** A shard's path inside its dataset folder, as the manifest records it. */
export function shardPath(split: string, index: number): string {
  return `${split}/${shardName(index)}`;
}

export function manifestKey(datasetId: string): string {
  return `datasets/${datasetId}/manifest.json`;
}

export function shardKey(datasetId: string, path: string): string {
  return `datasets/${datasetId}/${path}`;
}

/** Where a training keeps its checkpoints and model: under its cache key, so a retry resumes only the same training. */
export function trainingPrefix(runId: string, stage: string, cacheKey: string): string {
  return `runs/${runId}/${stage}/${cacheKey.slice(0, 16)}`;
}

export function checkpointPointerKey(prefix: string): string {
  return `${prefix}/latest.json`;
}

export function checkpointKey(prefix: string, step: number, sha256: string): string {
  return `${prefix}/ckpt-${String(step).padStart(8, '0')}-${short(sha256)}.bin`;
}

/** The step of a key `checkpointKey` built, or undefined for any other key. */
export function checkpointStepOf(key: string): number | undefined {
  const match = /\/ckpt-(\d{8,})-[0-9a-f]{12}\.bin$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** Trained weights under a training prefix, or an imported model under its stage (`runs/<runId>/<stage>`). */
export function modelKey(prefix: string, sha256: string): string {
  return `${prefix}/model-${short(sha256)}.bin`;
}

/** A training's curves and alpha histograms (schemas/report-data.ts), under its training prefix. */
export function trainingRecordKey(prefix: string, sha256: string): string {
  return `${prefix}/training-record-${short(sha256)}.json`;
}

/** An evaluation's confusion matrix and teacher split (schemas/report-data.ts). */
export function evaluationDetailsKey(runId: string, stage: string, sha256: string): string {
  return `runs/${runId}/${stage}/evaluation-${short(sha256)}.json`;
}

export function stageKey(runId: string, stage: string): string {
  return `${runPrefix(runId)}${stage}`;
}

/** Where every run's own objects live: `runs/<runId>/`; `runsPrefix(start)` lists the runs whose id begins with `start`. */
export function runsPrefix(start = ''): string {
  return `runs/${start}`;
}

/** A run's folder. The trailing slash keeps run `a` from reading run `ab`. */
export function runPrefix(runId: string): string {
  return `${runsPrefix(runId)}/`;
}

/** The stage folder a key of `runId`'s lies in (`runs/<runId>/<stage>/...`), or undefined when it lies in none. */
export function stageOfKey(runId: string, key: string): string | undefined {
  if (!key.startsWith(runPrefix(runId))) return undefined;
  const [stage, ...rest] = key.slice(runPrefix(runId).length).split('/');
  return rest.length > 0 ? stage : undefined;
}

/** The evaluation details a stage wrote (`evaluationDetailsKey`), by the start of their keys. */
export function evaluationDetailsPrefix(runId: string, stage: string): string {
  return `${stageKey(runId, stage)}/evaluation-`;
}

export function softLabelShardKey(runId: string, teacherSha256: string, split: string, index: number): string {
  return `runs/${runId}/soft-labels/${short(teacherSha256)}/${split}/${shardName(index)}`;
}

export const REPORT_FILES = { table: 'table.json', config: 'config.json', markdown: 'report.md', html: 'report.html' } as const;

export function reportKey(runId: string, file: keyof typeof REPORT_FILES): string {
  return `${runPrefix(runId)}report/${REPORT_FILES[file]}`;
}

/** The run whose report `file` a key is (`reportKey`'s inverse), or undefined for any other key. */
export function runOfReportKey(key: string, file: keyof typeof REPORT_FILES): string | undefined {
  const end = `/report/${REPORT_FILES[file]}`;
  if (!key.startsWith(runsPrefix()) || !key.endsWith(end)) return undefined;
  const runId = key.slice(runsPrefix().length, key.length - end.length);
  return runId.length > 0 && !runId.includes('/') ? runId : undefined;
}

export function lineageSummaryKey(runId: string): string {
  return `${runPrefix(runId)}lineage-summary.json`;
}

export function cacheEntryKey(stageCacheKey: string): string {
  return `cache/${stageCacheKey}.json`;
}

/**
 * A cached output's run-independent copy, named by its content: runs that
 * compute the same stage write the same bytes to the same key. `extension`
 * (`.bin`, `.arrow`, or empty) only helps a reader of the folder.
 */
export function sharedObjectKey(sha256: string, extension: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  if (!/^(\.[a-z0-9]{1,8})?$/.test(extension)) throw new Error(`not a file extension: ${extension}`);
  return `objects/${sha256}${extension}`;
}

/** Whether a key is one `sharedObjectKey` builds: what a cache entry may point at, and nothing else. */
export function isSharedObjectKey(key: string): boolean {
  return /^objects\/[0-9a-f]{64}(\.[a-z0-9]{1,8})?$/.test(key);
}

/** Where the lineage records of `runId` live. The trailing slash keeps run `a` from reading run `ab`. */
export function lineagePrefix(runId: string): string {
  return `lineage/${runId}/`;
}

export function lineageRecordKey(runId: string, stage: string, attempt: number): string {
  return `${lineagePrefix(runId)}${stage}-${attempt}.json`;
}

/** Stage and attempt of a record key's name (the part after `lineagePrefix`), or undefined when it is not one. */
export function parseLineageRecordName(name: string): { stage: string; attempt: number } | undefined {
  const match = /^(.+)-(\d+)\.json$/.exec(name);
  return match ? { stage: match[1] as string, attempt: Number(match[2]) } : undefined;
}

export function registryKey(name: string): string {
  return `registry/${name}.json`;
}

export function promotionDecisionKey(registry: string, runId: string): string {
  return `registry/${registry}/decisions/${runId}.json`;
}

/** The folder of the embedded default's own state for one run config (see the layout above). */
export function localStateKey(configName: string, configSha256: string): string {
  return `local/${configName}-${short(configSha256)}`;
}

export const LOCAL_STATE_FILES = { temporal: 'temporal.db', log: 'workers.log', lock: 'temporal.lock' } as const;
