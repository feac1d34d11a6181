/**
 * Vega-Lite specs to inline SVG, in Node, without a canvas or a browser:
 * Vega's headless renderer writes the SVG markup itself, so the report
 * embeds finished drawings and needs no script or network when viewed.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Shared look of every plot: the report's font, no chart border. */
export const PLOT_CONFIG = {
  font: 'system-ui, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
} as const;

/**
 * The SVG of a spec. `idPrefix` renames the ids Vega gives gradients and
 * clip paths (numbered by a process-wide counter) to `<idPrefix>-<n>` in
 * order of appearance: unique among the plots of one page, and the same
 * bytes every time the same plot is drawn.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix = 'plot'): Promise<string> {
  const compiled = compile({ ...spec, config: { ...PLOT_CONFIG, ...spec.config } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return renameIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

function renameIds(svg: string, prefix: string): string {
  const renamed = new Map<string, string>();
  for (const [, id] of svg.matchAll(/\bid="([^"]+)"/g)) if (id && !renamed.has(id)) renamed.set(id, `${prefix}-${renamed.size}`);
  if (renamed.size === 0) return svg;
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)/g, (whole, id: string | undefined, ref: string | undefined) => {
    if (id !== undefined) return `id="${renamed.get(id) ?? id}"`;
    return `url(#${renamed.get(ref ?? '') ?? ref})`;
  });
}
