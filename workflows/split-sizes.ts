/**
 * Batch sizes against the splits they train on. Split sizes are known only
 * once the data is ingested (limits, few-shot selection and split fractions
 * all shape them), so this check follows ingest and precedes every training:
 * a batch larger than its split fails the run there, naming both.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { type RunConfig, studentName, studentTrainConfig } from '../schemas/pipeline.js';
import type { IngestOutput } from '../schemas/stages.js';

export function batchSizeProblems(config: RunConfig, data: Pick<IngestOutput, 'splits'>): string[] {
  const rows = (split: string) => (data.splits[split] ?? []).reduce((n, shard) => n + shard.rows, 0);
  const problems: string[] = [];
  const check = (path: string, batchSize: number, split: string) => {
    if (batchSize > rows(split)) problems.push(`${path}: batch size ${batchSize} is larger than the ${split} split it trains on (${rows(split)} examples)`);
  };
  if (!config.teacher.checkpoint) check('teacher.batchSize', config.teacher.batchSize, 'weak');
  config.students.forEach((student, i) => check(`students.${i} (${studentName(student)}) batchSize`, studentTrainConfig(config, student).batchSize, 'transfer'));
  return problems;
}

/** The ingest output, or a non-retryable BadInputError listing every batch that does not fit its split. */
export function checkBatchSizes<T extends Pick<IngestOutput, 'splits'>>(config: RunConfig, data: T): T {
  const problems = batchSizeProblems(config, data);
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`run config ${config.name}:\n  ${problems.join('\n  ')}`, 'BadInputError');
  return data;
}
