/** Scenarios as Markdown: one table per scenario, then how it was measured and what it shows. */
import { CRITERION_TEXT } from './choose.js';
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

/** What the sweep's runs covered: its thresholds, its weight decays. */
function coveredText(scenario: Scenario): string {
  const parts = [
    scenario.thresholds.length ? scenario.thresholds.join(', ') : '',
    scenario.swept.weightDecay?.length ? `weight decay ${scenario.swept.weightDecay.join(', ')}` : '',
    scenario.swept.patience?.length ? `patience ${scenario.swept.patience.join(', ')}` : '',
  ];
  return parts.filter((p) => p !== '').join('; ');
}

/** One line per student whose settings the validation split chose, naming each seed's choice. */
function choiceLines(scenario: Scenario): string[] {
  return scenario.choices.map(
    (c) => `- ${c.name}: chosen on the validation split from ${coveredText(scenario)}: ${c.seeds.map((s) => `seed ${s.seed} ${valuesText(s.values)} (validation ${percent(s.validationAccuracy)})`).join('; ')}.`,
  );
}

/**
 * Where the sweep recorded the students' agreement with the teacher on
 * validation: what each criterion picked and what the picked settings give
 * on the test split (the ceiling is chosen by ground truth under both).
 */
function selectionLines(scenario: Scenario): string[] {
  if (scenario.selections.length === 0) return [];
  const rows = scenario.selections.flatMap(({ criterion, choices, models }) =>
    choices
      .filter((c) => models.some((m) => m.name === c.name && m.role === 'student'))
      .map((c) => {
        const m = models.find((model) => model.name === c.name)!;
        const picked = c.seeds.map((s) => `${s.seed}: ${valuesText(s.values)}`).join('; ');
        return `| ${c.name} | ${CRITERION_TEXT[criterion]} | ${picked} | ${pct(m.accuracy)} | ${m.pgr ? num(m.pgr) : ''} | ${pct(m.agreement)} |`;
      }),
  );
  return [
    'Selection on the validation split by each criterion (the table above is the choice by ground truth):',
    '',
    '| student | chosen by | picked, per seed | test accuracy (%) | PGR | agreement with teacher (%) |',
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...rows,
  ];
}

export function renderScenario({ scenario, command }: RenderedScenario): string {
  const { runs } = scenario;
  const chosen = scenario.choices.length > 0;
  const setting = scenario.swept.weightDecay || scenario.swept.patience ? 'the setting' : 'the threshold';
  const over = chosen
    ? `mean ± standard deviation over ${scenario.seeds.length} seeds, each student at ${setting} its validation accuracy chose (${runs.length} runs)`
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
    ...(scenario.selections.length ? ['', ...selectionLines(scenario)] : []),
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
