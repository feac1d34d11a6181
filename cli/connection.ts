/** The CLI's connection to the Temporal server (a client: it never loads the worker SDK). */
import { Connection } from '@temporalio/client';
import { tlsMismatch, tlsOptions, type TemporalSettings } from '../core/temporal-settings.js';
import { clientInterceptors } from './closed-channel-guard.js';

/** How long a command waits for the server to answer before it calls the server unreachable. */
export const CONNECT_TIMEOUT_MS = 3_000;

export async function connectClient(settings: TemporalSettings, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
  const tls = tlsOptions(settings);
  return Connection.connect({
    address: settings.address,
    connectTimeout: connectTimeoutMs,
    interceptors: clientInterceptors(),
    ...(tls !== undefined ? { tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  }).catch(async (error: unknown) => {
    throw tls !== undefined ? await tlsMismatch(settings.address, error) : error;
  });
}
