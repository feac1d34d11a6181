/**
 * `w2s pretrain --config <file>`: learns the backbones a run config's
 * students start from (`strong.init.pretrain`), through Temporal like
 * `w2s run` (or on this machine with `--local`), and prints each one's
 * storage URI and sha256. A later run of the same config finds them cached.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { STORAGE_HELP } from '../../storage/layout.js';
import { absoluteStorageUri, objectUri } from '../../storage/uri.js';
import type { TemporalFlags } from '../../core/temporal-settings.js';
import type { PretrainWorkflowResult } from '../../workflows/pretrain.js';
import { withClient } from '../client.js';
import { readRunPlan } from '../config-file.js';
import { checkAsksForPretraining, runPretrain } from '../start-pretrain.js';
import { withTemporalOptions } from '../temporal-options.js';

interface PretrainFlags extends TemporalFlags {
  readonly config: string;
  readonly storage?: string;
  readonly id?: string;
  readonly local?: boolean;
  readonly json?: boolean;
}

export function registerPretrain(program: Command): void {
  withTemporalOptions(program.command('pretrain'))
    .description("learn the students' backbones of a run config (strong.init.pretrain) and print their storage URIs and hashes")
    .requiredOption('--config <file>', 'run configuration, YAML or JSON')
    .option('--storage <uri>', `storage root instead of the config's (${STORAGE_HELP})`)
    .option('--id <runId>', 'run id (the workflow id); default <name>-pretrain-<random>')
    .option('--local', 'on this machine: a local Temporal dev server (or TEMPORAL_ADDRESS) and in-process workers')
    .option('--json', 'machine-readable output')
    .action(async (flags: PretrainFlags) => {
      const plan = await readRunPlan(flags.config, { ...(flags.storage !== undefined ? { storage: flags.storage } : {}) }, { ...(flags.id !== undefined ? { runId: flags.id } : {}), randomSuffix: `pretrain-${randomUUID().slice(0, 8)}` });
      const { config } = plan;
      checkAsksForPretraining(plan);
      const result = flags.local
        ? await (await import('../embedded.js')).withEmbeddedTemporal(({ client }) => runPretrain(client, plan))
        : await withClient(flags, (client) => runPretrain(client, plan));
      console.log(flags.json ? JSON.stringify(result, null, 2) : formatBackbones(result, absoluteStorageUri(config.storage)));
    });
}

export function formatBackbones(result: PretrainWorkflowResult, storage: string): string {
  const lines = result.backbones.map((b) =>
    [`${b.stage}: ${b.model} backbone${b.cached ? ' (cached)' : ''}, ${b.steps} steps, final NT-Xent loss ${b.finalLoss.toFixed(4)}`, `  uri:    ${objectUri(storage, b.backbone.key)}`, `  sha256: ${b.backbone.sha256}`].join('\n'),
  );
  return [`run ${result.runId} on dataset ${result.datasetId}`, ...lines].join('\n');
}
