/**
 * Opens a Temporal client for one command and closes it afterwards. A server
 * that does not answer fails the command within seconds, naming its address.
 */
import { Client, type Connection } from '@temporalio/client';
import type { TemporalFlags } from '../core/temporal-settings.js';
import { connectClient } from './connection.js';
import { isServerUnreachable, ServerUnreachableError } from './failure.js';
import { settingsFrom } from './temporal-options.js';

export async function withClient<T>(flags: TemporalFlags, fn: (client: Client) => Promise<T>): Promise<T> {
  const settings = settingsFrom(flags);
  let connection: Connection;
  try {
    connection = await connectClient(settings);
  } catch (error) {
    // Any failure to connect that is not a TLS file problem (already a BadInputError) means nobody answered at that address.
    if (error instanceof Error && error.name === 'BadInputError') throw error;
    throw new ServerUnreachableError(settings.address, { cause: error });
  }
  try {
    return await fn(new Client({ connection, namespace: settings.namespace }));
  } catch (error) {
    if (isServerUnreachable(error) && !(error instanceof ServerUnreachableError)) throw new ServerUnreachableError(settings.address, { cause: error });
    throw error;
  } finally {
    await connection.close();
  }
}
