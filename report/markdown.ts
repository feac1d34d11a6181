/** Markdown for terminals and pull requests: the report's tables (the plots live in the HTML page). */
import type { Table } from './tables.js';

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function markdownTable(table: Table): string {
  return [
    `| ${table.header.map(cell).join(' | ')} |`,
    `| ${table.header.map((_, i) => (i < table.textColumns ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

export interface MarkdownSection {
  readonly title: string;
  readonly text?: string;
  readonly table?: Table;
}

export function markdownDocument(title: string, intro: readonly string[], sections: readonly MarkdownSection[]): string {
  const parts = [`# ${title}`, '', ...intro.flatMap((line) => [line, ''])];
  for (const section of sections) {
    parts.push(`## ${section.title}`, '');
    if (section.text) parts.push(section.text, '');
    if (section.table) parts.push(section.table.rows.length > 0 ? markdownTable(section.table) : '(none)', '');
  }
  return parts.join('\n');
}
