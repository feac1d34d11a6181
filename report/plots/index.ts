/** The plots of a run's report, in the order the page shows them; a plot without data is left out. */
import type { ReportContent } from '../content.js';
import { accuracyPlot } from './accuracy.js';
import { alphaPlot } from './alpha.js';
import { confusionPlot } from './confusion.js';
import { perClassPlot } from './per-class.js';
import type { Plot } from './plot.js';
import { teacherSplitPlot } from './teacher-split.js';
import { timelinePlot } from './timeline.js';
import { trainingCurvesPlot } from './training-curves.js';

export type { Plot } from './plot.js';
export { renderSvg } from './svg.js';
export { accuracyPlot, type AccuracyValue } from './accuracy.js';

export function runPlots(content: ReportContent): Plot[] {
  const plots = [
    accuracyPlot(content.rows.map((r) => ({ model: r.name, role: r.role, accuracy: r.accuracy, pgr: r.pgr }))),
    trainingCurvesPlot(content.trainings),
    alphaPlot(content.trainings),
    teacherSplitPlot(content.evaluations),
    perClassPlot(content.evaluations, content.classNames),
    confusionPlot(content.evaluations, content.classNames),
    timelinePlot(content.stages),
  ];
  return plots.filter((p): p is Plot => p !== undefined);
}
