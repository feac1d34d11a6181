/**
 * The pipeline's last step: summarise the run's lineage into
 * `runs/<runId>/lineage-summary.json`. Not a stage (it records no lineage of
 * its own); it only reads records and writes their deterministic summary, so
 * a retry writes the same bytes.
 */
import { writeLineageSummary } from '../lineage/summary.js';
import type { LineageSummaryInput, ObjectRef } from '../schemas/stages.js';
import type { StageDeps } from '../stages/deps.js';

export async function summarizeRunLineage(deps: StageDeps, input: LineageSummaryInput): Promise<ObjectRef> {
  return writeLineageSummary(deps.storeAt(input.storage), input.runId);
}
