/** One self-contained HTML page: inline SVG plots, tables and styles, no scripts and nothing fetched when viewed. */
import type { Plot } from './plots/plot.js';
import { renderSvg } from './plots/svg.js';
import type { Table } from './tables.js';

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function htmlTable(table: Table): string {
  const head = table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const cls = (i: number) => (i < table.textColumns ? ' class="text"' : '');
  const body = table.rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export type HtmlBlock = { readonly kind: 'plot'; readonly plot: Plot } | { readonly kind: 'table'; readonly title: string; readonly table: Table; readonly caption?: string } | { readonly kind: 'html'; readonly title: string; readonly html: string };

const STYLE = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:78rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}nav a{margin-right:1rem}section{margin:2rem 0}figure{margin:0;overflow-x:auto}figcaption,p.caption{color:#555;max-width:60rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right;font-variant-numeric:tabular-nums}td.text,th:first-child{text-align:left}
code{background:#f3f3f3;padding:0 .2rem}`;

const anchor = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** `onPlot` is called after each plot is drawn (a stage heartbeats there: drawing holds the event loop). */
export async function htmlDocument(title: string, introHtml: string, blocks: readonly HtmlBlock[], onPlot: () => void = () => undefined): Promise<string> {
  const sections: string[] = [];
  const links: string[] = [];
  for (const block of blocks) {
    if (block.kind === 'plot') {
      const { plot } = block;
      links.push(`<a href="#${plot.id}">${escapeHtml(plot.title)}</a>`);
      sections.push(`<section id="${plot.id}"><h2>${escapeHtml(plot.title)}</h2><figure class="plot" data-plot="${plot.id}">${await renderSvg(plot.spec, plot.id)}<figcaption>${escapeHtml(plot.caption)}</figcaption></figure></section>`);
      onPlot();
    } else if (block.kind === 'table') {
      const id = anchor(block.title);
      links.push(`<a href="#${id}">${escapeHtml(block.title)}</a>`);
      sections.push(`<section id="${id}"><h2>${escapeHtml(block.title)}</h2>${block.caption ? `<p class="caption">${escapeHtml(block.caption)}</p>` : ''}${htmlTable(block.table)}</section>`);
    } else {
      const id = anchor(block.title);
      links.push(`<a href="#${id}">${escapeHtml(block.title)}</a>`);
      sections.push(`<section id="${id}"><h2>${escapeHtml(block.title)}</h2>${block.html}</section>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
${introHtml}
<nav>${links.join(' ')}</nav>
${sections.join('\n')}
</body></html>
`;
}
