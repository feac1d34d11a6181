import { Option, type Command } from 'commander';
import { codeVersion } from '../../core/code-version.js';
import { lineageSummary, missingRecords, readLineage, stageGraph, toOpenLineageEvents } from '../../lineage/index.js';
import { renderLineage } from '../../lineage/render.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { openStore } from '../../storage/open.js';

interface LineageFlags {
  readonly storage?: string;
  readonly json?: boolean;
  readonly openlineage?: boolean;
  readonly namespace: string;
  readonly producer?: string;
}

export function registerLineage(program: Command): void {
  program
    .command('lineage')
    .description("show a run's stage graph from its lineage records: attempts, cache hits, timings, where each stage ran, objects in and out")
    .argument('<runId>', 'the run\'s id (its workflow id), as printed when it started')
    .option('--storage <uri>', STORAGE_HELP)
    .addOption(new Option('--json', 'the records, stage graph and summary as JSON').conflicts('openlineage'))
    .option('--openlineage', 'OpenLineage run events (START and COMPLETE/FAIL per stage attempt), one JSON object per line')
    .option('--namespace <name>', 'OpenLineage job namespace', 'w2s')
    .option('--producer <uri>', 'OpenLineage producer URI (default urn:w2s:<code version>)')
    .action(async (runId: string, flags: LineageFlags) => {
      const store = openStore(storageRoot(flags.storage));
      const records = await readLineage(store, runId);
      // A graph drawn from what is left would look whole; say what the run's summary counts and is not there.
      const { missing } = await missingRecords(store, runId, records);
      for (const m of missing) console.error(`warning: lineage of ${m.stage}: the run's summary counts ${m.expected} attempt(s), ${m.found} record(s) found (deleted or replaced); run w2s verify ${runId}`);
      if (flags.openlineage) {
        const events = toOpenLineageEvents(records, { namespace: flags.namespace, producer: flags.producer ?? `urn:w2s:${codeVersion()}`, storage: store.uri });
        for (const event of events) console.log(JSON.stringify(event));
        return;
      }
      const graph = stageGraph(records);
      const summary = lineageSummary(records);
      console.log(flags.json ? JSON.stringify({ runId, summary, graph, records }, null, 2) : renderLineage(records, graph, summary));
    });
}
