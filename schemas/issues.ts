import type { z } from 'zod';

/** Every problem zod found, one per line with its path, so a user fixes a config in one pass. */
export function formatZodIssues(where: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  return `${where}: invalid configuration\n${lines.join('\n')}`;
}
