/** Opens a Temporal client for one command and closes it afterwards. */
import { Client } from '@temporalio/client';
import { connectClient, type TemporalFlags } from '../workers/connection.js';
import { settingsFrom } from './temporal-options.js';

export async function withClient<T>(flags: TemporalFlags, fn: (client: Client) => Promise<T>): Promise<T> {
  const settings = settingsFrom(flags);
  const connection = await connectClient(settings);
  try {
    return await fn(new Client({ connection, namespace: settings.namespace }));
  } finally {
    await connection.close();
  }
}
