/**
 * Linear warm-up of a loss weight over the start of training: 0 at
 * progress 0, `final` once `progress >= fraction`, constant after. A
 * fraction of 0 means no warm-up.
 */
export function rampedWeight(final: number, fraction: number, progress: number): number {
  if (fraction === 0) return final;
  return final * Math.min(1, progress / fraction);
}
