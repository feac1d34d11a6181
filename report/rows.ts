/** The results table of a run: one row per evaluated model, PGR for the students. */
import { performanceGapRecovered } from '../core/pgr.js';
import type { EvaluatedModel, ResultRow } from '../schemas/stages.js';

export function resultRows(models: readonly EvaluatedModel[]): ResultRow[] {
  const weak = models.find((m) => m.role === 'weak');
  const ceiling = models.find((m) => m.role === 'ceiling');
  return models.map((m) => {
    let pgr: number | null = null;
    // Without a gap to recover (the ceiling no better than the teacher) PGR means nothing: the report says so instead.
    if (m.role === 'student' && weak && ceiling && ceiling.metrics.accuracy > weak.metrics.accuracy) {
      pgr = performanceGapRecovered({ student: m.metrics.accuracy, weak: weak.metrics.accuracy, ceiling: ceiling.metrics.accuracy });
    }
    // Only the table's fields: the evaluation output also carries references for the report's plots.
    const { examples, accuracy, top5, agreement, ece } = m.metrics;
    return { examples, accuracy, ...(top5 !== undefined ? { top5 } : {}), agreement, ece, name: m.name, role: m.role, method: m.method, pgr, model: m.model };
  });
}

