/**
 * The servers a test of `w2s` commands runs against: a Temporal dev server,
 * both task queues' workers in this process, and a local storage folder,
 * started before the file's tests and stopped after them.
 */
import { after, before } from 'node:test';
import { localStorageRoot } from './pipeline.js';
import { type InProcessWorkers, TemporalHarness } from './temporal.js';

export interface CliServers {
  readonly temporal: TemporalHarness;
  readonly workers: InProcessWorkers;
  /** The local storage folder the commands' `--storage` names. */
  readonly storage: string;
}

/** Registers the before/after hooks; the fields are set once `before` has run. */
export function cliServers(): CliServers {
  const servers = {} as { temporal: TemporalHarness; workers: InProcessWorkers; storage: string };
  before(async () => {
    servers.temporal = await TemporalHarness.start();
    servers.workers = await servers.temporal.inProcessWorkers();
    servers.storage = await localStorageRoot();
  });
  after(async () => {
    await servers.workers.shutdown();
    await servers.temporal.stop();
  });
  return servers;
}
