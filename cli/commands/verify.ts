import type { Command } from 'commander';
import { verifyRun } from '../../lineage/index.js';
import { renderVerification } from '../../lineage/render.js';
import { STORAGE_HELP, storageRoot } from '../../storage/layout.js';
import { openStore } from '../../storage/open.js';

interface VerifyFlags {
  readonly storage?: string;
  readonly json?: boolean;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description("recompute the sha256 of every object a run's lineage names and compare it with the recorded one; exits 1 on any mismatch or missing object")
    .argument('<runId>', 'the run\'s id (its workflow id), as printed when it started')
    .option('--storage <uri>', STORAGE_HELP)
    .option('--json', 'per-object results as JSON')
    .action(async (runId: string, flags: VerifyFlags) => {
      const store = openStore(storageRoot(flags.storage));
      const result = await verifyRun(store, runId);
      console.log(flags.json ? JSON.stringify(result, null, 2) : renderVerification(result));
      if (!result.ok) {
        const bad = result.objects.filter((check) => check.verdict !== 'ok');
        if (bad.length) console.error(`verify ${runId}: ${bad.length} of ${result.objects.length} objects failed: ${bad.map((check) => `${check.key} (${check.verdict})`).join(', ')}`);
        if (result.missingRecords.length) {
          console.error(`verify ${runId}: lineage records missing for ${result.missingRecords.map((m) => `${m.stage} (${m.found} of ${m.expected})`).join(', ')}; the objects they named were not checked`);
        }
        process.exitCode = 1;
      }
    });
}
