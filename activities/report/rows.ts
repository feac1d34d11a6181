/** The results table of a run: one row per evaluated model, PGR for the students. */
import { performanceGapRecovered } from '../../ml/metrics/index.js';
import type { EvaluatedModel, ResultRow } from '../../schemas/stages.js';

export function resultRows(models: readonly EvaluatedModel[]): ResultRow[] {
  const weak = models.find((m) => m.role === 'weak');
  const ceiling = models.find((m) => m.role === 'ceiling');
  return models.map((m) => {
    let pgr: number | null = null;
    if (m.role === 'student' && weak && ceiling) {
      const value = performanceGapRecovered({ student: m.metrics.accuracy, weak: weak.metrics.accuracy, ceiling: ceiling.metrics.accuracy });
      pgr = Number.isFinite(value) ? value : null;
    }
    return { ...m.metrics, name: m.name, role: m.role, method: m.method, pgr, model: m.model };
  });
}
