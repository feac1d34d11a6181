/**
 * Where a run's wall time goes, from timestamps alone: the union of the
 * stages' compute spans, and every moment of the window outside it charged
 * to the first labelled span that covers it (queue wait, worker dispatch, a
 * bookkeeping activity...), or to a fallback label when none does. Charging
 * each idle moment once keeps the parts summing to wall minus compute, even
 * when stages overlap.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface LabelledSpan extends Span {
  readonly label: string;
}

export interface IdleBreakdown {
  /** Length of the union of the compute spans inside the window. */
  readonly computeMs: number;
  /** Window length minus `computeMs`. */
  readonly idleMs: number;
  /** `idleMs` split by label; labels that got nothing are absent. */
  readonly byLabel: Readonly<Record<string, number>>;
}

/** Sorted, disjoint spans covering the same moments; empty and inverted spans are dropped. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const merged: Array<{ start: number; end: number }> = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ start: span.start, end: span.end });
  }
  return merged;
}

/** Total time covered by at least one span. */
export function coveredMs(spans: readonly Span[]): number {
  return mergeSpans(spans).reduce((total, s) => total + (s.end - s.start), 0);
}

/**
 * Splits `window` into compute (any compute span covers the moment) and idle
 * time; idle time goes to the earliest-listed labelled span covering it, so
 * the order of `labelled` is the order of precedence.
 */
export function attributeIdle(window: Span, compute: readonly Span[], labelled: readonly LabelledSpan[], fallback: string): IdleBreakdown {
  if (!(window.end >= window.start)) throw new Error(`attributeIdle: window ends (${window.end}) before it starts (${window.start})`);
  const clip = (s: Span): Span => ({ start: Math.max(s.start, window.start), end: Math.min(s.end, window.end) });
  const busy = mergeSpans(compute.map(clip));
  const bounds = [window.start, window.end, ...busy.flatMap((s) => [s.start, s.end]), ...labelled.flatMap((s) => [s.start, s.end])]
    .filter((t) => t >= window.start && t <= window.end)
    .sort((a, b) => a - b);
  const byLabel: Record<string, number> = {};
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i]!;
    const to = bounds[i + 1]!;
    if (to <= from) continue;
    // No span starts or ends strictly inside (from, to), so its midpoint speaks for all of it.
    const mid = (from + to) / 2;
    if (busy.some((s) => s.start <= mid && mid < s.end)) continue;
    const label = labelled.find((s) => s.start <= mid && mid < s.end)?.label ?? fallback;
    byLabel[label] = (byLabel[label] ?? 0) + (to - from);
  }
  const computeMs = busy.reduce((total, s) => total + (s.end - s.start), 0);
  return { computeMs, idleMs: window.end - window.start - computeMs, byLabel };
}
