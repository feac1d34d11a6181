#!/usr/bin/env node
/** `npm run docs:config`: writes the run-config reference to docs/config.md (see config-reference.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configReferenceMarkdown } from './config-reference.js';

/** docs/config.md at the package root (this module is dist/cli/config-docs.js once built). */
export const CONFIG_DOC = fileURLToPath(new URL('../../docs/config.md', import.meta.url));

writeFileSync(CONFIG_DOC, configReferenceMarkdown());
console.log(`wrote ${CONFIG_DOC}`);
