/** A plot of the report: its Vega-Lite spec, and the words around it. */
import type { TopLevelSpec } from 'vega-lite';

export interface Plot {
  /** Anchor in the HTML page and the test's handle on the drawing. */
  readonly id: string;
  readonly title: string;
  /** What to read in it, one or two sentences. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** Role colours shared by the plots, so a model looks the same everywhere. */
export const ROLE_COLORS = { weak: '#c0504d', ceiling: '#4f81bd', student: '#9bbb59' } as const;
