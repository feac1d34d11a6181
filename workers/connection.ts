/** The workers' connection to the Temporal server (settings: core/temporal-settings.ts). */
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { tlsMismatch, tlsOptions, type TemporalSettings } from '../core/temporal-settings.js';

/** The worker SDK is loaded here, on first use, so that clients (`w2s run`, `w2s status`) never load it. */
export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  const tls = tlsOptions(settings) as NativeConnectionOptions['tls'];
  return NativeConnection.connect({ address: settings.address, ...(tls !== undefined ? { tls } : {}), ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) }).catch(async (error: unknown) => {
    throw tls !== undefined ? await tlsMismatch(settings.address, error) : error;
  });
}
