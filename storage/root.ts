/**
 * A storage root is w2s's own. Workers may run as root and write wherever the
 * config points, so a root is checked before any run writes to it:
 *
 * - a system location (`/etc`, `/proc`, `/usr`, …, or `/` itself) is refused,
 *   after symbolic links are followed (`/proc/self` is `/proc/<pid>`);
 * - a missing or empty folder (prefix) is new: w2s marks it with
 *   `w2s-root.json` when a run is accepted, and from then on it is w2s's;
 * - a folder holding anything else is refused, unless every entry is one of
 *   the root layout's own folders (a root written before roots were marked,
 *   or copied without its mark).
 *
 * The check reads only; `markStorageRoot` writes the mark, so a refused run
 * writes nothing.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { ObjectStore } from './object-store.js';
import { parseStorageUri } from './uri.js';

/** The mark w2s leaves in a root it uses (write-once, the same bytes from every writer). */
export const ROOT_MARKER_KEY = 'w2s-root.json';
const ROOT_MARKER = `${JSON.stringify({ w2s: 'storage root', format: 1 })}\n`;

/** The top-level folders of the root layout (storage/layout.ts): a folder holding only these is an unmarked w2s root. */
// `local` holds a local run's Temporal history and worker log, written before the run is submitted.
const LAYOUT_FOLDERS: ReadonlySet<string> = new Set(['cache', 'datasets', 'lineage', 'local', 'objects', 'registry', 'runs']);

/** Trees that belong to the operating system: neither they nor anything under them is a root. */
const SYSTEM_TREES = ['/etc', '/proc', '/sys', '/dev', '/usr', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/run', '/var/run', '/var/lib', '/var/log', '/var/cache', '/snap'];
/** Folders that are system locations themselves, though a root may live below them (`/tmp/x`, `/home/me/w2s`). */
const SYSTEM_FOLDERS = ['/', '/home', '/root', '/var', '/tmp', '/opt', '/srv', '/mnt', '/media'];

const USE_INSTEAD = 'use a new or empty folder of your own (e.g. ./.w2s or ~/w2s-storage), a w2s root, or gs://bucket/prefix';

/** Hidden temporary and lock files of a local store (storage/local.ts): never content. */
const HIDDEN = '.w2s-';

/** Why `uri` cannot be a storage root, or undefined when it can. Reads, never writes. */
export async function storageRootProblem(uri: string, store?: ObjectStore): Promise<string | undefined> {
  const location = parseStorageUri(uri);
  if (location.kind === 'local') {
    const real = await realLocation(location.root);
    if (isSystemLocation(real)) return `storage "${uri}": ${real} is a system location, never a storage root; ${USE_INSTEAD}`;
    const entries = await localEntries(real);
    if (entries === 'not-a-folder') return `storage "${uri}": ${real} is a file, not a folder; ${USE_INSTEAD}`;
    return foreignContent(uri, entries);
  }
  if (!store) return undefined;
  if (await store.exists(ROOT_MARKER_KEY)) return undefined;
  return foreignContent(uri, [...new Set((await store.list('')).map((key) => key.split('/')[0] ?? key))]);
}

/** Marks a root as w2s's (after `storageRootProblem` found none); idempotent, and concurrent markers write the same bytes. */
export async function markStorageRoot(store: ObjectStore): Promise<void> {
  if (!(await store.exists(ROOT_MARKER_KEY))) await store.put(ROOT_MARKER_KEY, ROOT_MARKER, { contentType: 'application/json' });
}

function foreignContent(uri: string, entries: ReadonlyArray<string>): string | undefined {
  const visible = entries.filter((name) => !name.startsWith(HIDDEN));
  if (visible.includes(ROOT_MARKER_KEY)) return undefined;
  const foreign = visible.filter((name) => !LAYOUT_FOLDERS.has(name));
  if (foreign.length === 0) return undefined;
  const shown = foreign.slice(0, 3).map((name) => JSON.stringify(name)).join(', ');
  const more = foreign.length > 3 ? ` and ${foreign.length - 3} more` : '';
  return `storage "${uri}": not a w2s root (it holds ${shown}${more}, and no ${ROOT_MARKER_KEY}); ${USE_INSTEAD}`;
}

/** Entry names of a local folder ([] when it does not exist yet). */
async function localEntries(path: string): Promise<string[] | 'not-a-folder'> {
  try {
    if (!(await stat(path)).isDirectory()) return 'not-a-folder';
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The path with every symbolic link followed, also when its last parts do not exist yet. */
async function realLocation(path: string): Promise<string> {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(current);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) return path;
      missing.push(basename(current));
      current = parent;
    }
  }
}

function isSystemLocation(path: string): boolean {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return SYSTEM_FOLDERS.includes(trimmed) || SYSTEM_TREES.some((tree) => trimmed === tree || trimmed.startsWith(`${tree}${sep}`));
}
