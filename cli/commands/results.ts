/**
 * `w2s results`: the finished runs in a storage root, grouped into scenarios
 * (equal configs but for the seed), as one Markdown table per scenario with
 * the mean and spread over seeds, PGR, agreement with the teacher, wall time,
 * machine and the command that reproduces it.
 */
import type { Command } from 'commander';
import { BadInputError } from '../../core/errors.js';
import { openStore } from '../../storage/open.js';
import { collectRuns } from '../results/collect.js';
import { reproduceCommand } from '../results/command-line.js';
import { renderScenario } from '../results/render.js';
import { scenarios } from '../results/summarize.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';

interface ResultsFlags {
  readonly storage?: string;
  readonly name?: string[];
  readonly json?: boolean;
}

export function registerResults(program: Command): void {
  program
    .command('results')
    .description('summarise finished runs per scenario over seeds, as Markdown (mean ± sd, PGR, agreement, wall time, machine, command)')
    .option('--storage <uri>', STORAGE_HELP)
    .option('--name <name...>', 'only scenarios with these run names (the config `name`)')
    .option('--json', 'the scenarios as JSON')
    .action(async (flags: ResultsFlags) => {
      const root = storageRoot(flags.storage);
      const runs = (await collectRuns(openStore(root))).filter((run) => !flags.name || flags.name.includes(run.config.name));
      if (runs.length === 0) throw new BadInputError(`storage ${root}`, `has no finished runs${flags.name ? ` named ${flags.name.join(', ')}` : ''}`);
      const found = scenarios(runs).map((scenario) => ({ scenario, command: reproduceCommand(scenario.config, scenario.seeds, scenario.swept) }));
      if (flags.json) console.log(JSON.stringify(found, null, 2));
      else console.log(found.map(renderScenario).join('\n\n'));
    });
}
