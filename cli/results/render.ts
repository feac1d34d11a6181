/** Scenarios as Markdown: one table per scenario, then how it was measured and what it shows. */
import type { Scenario, Spread } from './summarize.js';
import { percent } from '../../report/percent.js';

// One run has no spread to show: `± 0.00` would claim one.
const pct = (s: Spread) => `${(100 * s.mean).toFixed(2)}${s.n > 1 ? ` ± ${(100 * s.sd).toFixed(2)}` : ''}`;
const num = (s: Spread) => `${s.mean.toFixed(3)}${s.n > 1 ? ` ± ${s.sd.toFixed(3)}` : ''}`;
const distinct = (values: readonly string[]) => [...new Set(values)].sort();

export interface RenderedScenario {
  readonly scenario: Scenario;
  readonly command?: string;
}

const valuesText = (values: Readonly<Record<string, number>>) => Object.entries(values).map(([k, v]) => `${k} ${v}`).join(', ');

/** One line per student whose threshold the validation split chose, naming each seed's choice. */
function choiceLines(scenario: Scenario): string[] {
  return scenario.choices.map(
    (c) => `- ${c.name}: chosen on the validation split from ${scenario.thresholds.join(', ')}: ${c.seeds.map((s) => `seed ${s.seed} ${valuesText(s.values)} (validation ${percent(s.validationAccuracy)})`).join('; ')}.`,
  );
}

export function renderScenario({ scenario, command }: RenderedScenario): string {
  const { runs } = scenario;
  const chosen = scenario.choices.length > 0;
  const over = chosen
    ? `mean ± standard deviation over ${scenario.seeds.length} seeds, each student at the threshold its validation accuracy chose (${runs.length} runs)`
    : runs.length === 1
      ? 'one run, so no spread'
      : `mean ± standard deviation over ${runs.length} runs`;
  const walls = runs.flatMap((run) => (run.lineage ? [run.lineage.wallMs / 1000] : []));
  const lineage = runs.flatMap((run) => (run.lineage ? [run.lineage] : []));
  const examples = distinct(runs.flatMap((run) => run.rows.map((r) => String(r.examples))));
  const lines = [
    `## ${scenario.name} (config ${scenario.configHash.slice(0, 12)})`,
    '',
    `Seeds ${scenario.seeds.join(', ')}; ${over}; ${examples.join(' / ')} test images.`,
    '',
    '| model | role | test accuracy (%) | PGR | agreement with teacher (%) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...scenario.models.map((m) => `| ${m.name} | ${m.role} | ${pct(m.accuracy)} | ${m.pgr ? num(m.pgr) : ''} | ${pct(m.agreement)} |`),
    '',
    ...scenario.verdicts.map((v) => `- ${v}`),
    ...(chosen ? ['', ...choiceLines(scenario)] : []),
    '',
    `- Runs: ${runs.map((r) => `\`${r.runId}\``).join(', ')}.`,
    ...(scenario.repeats.length ? [`- Re-runs of a config and seed already counted, left out: ${scenario.repeats.map((r) => `\`${r.runId}\` (as \`${r.of}\`)`).join(', ')}.`] : []),
    walls.length
      ? `- Pipeline wall time per run (first stage start to last stage end): ${walls.map((w) => `${w.toFixed(0)} s`).join(', ')}.`
      : '- Wall time: not recorded (no lineage summary).',
    lineage.length ? `- Machine: backends ${distinct(lineage.flatMap((l) => l.backends)).join(', ')}; workers ${distinct(lineage.flatMap((l) => l.workers)).join(', ')}.` : '',
    lineage.length ? `- Code version: ${distinct(lineage.flatMap((l) => l.codeVersions)).join(', ')}.` : '',
    command ? `- Command: \`${command}\`` : `- Command: this config matches no shipped preset; it is recorded in \`runs/${runs[0]?.runId ?? ''}/report/report.md\`.`,
  ];
  return lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n');
}
