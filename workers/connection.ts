/**
 * Where the Temporal server is and how to reach it: flags first, then the
 * environment (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_TLS_CERT`,
 * `TEMPORAL_TLS_KEY`, `TEMPORAL_TLS_CA`, `TEMPORAL_TLS_SERVER_NAME`,
 * `TEMPORAL_API_KEY`), then the local default.
 */
import { readFileSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';

export interface TemporalSettings {
  readonly address: string;
  readonly namespace: string;
  readonly tls?: { readonly certPath?: string; readonly keyPath?: string; readonly caPath?: string; readonly serverName?: string };
  readonly apiKey?: string;
}

export interface TemporalFlags {
  readonly address?: string;
  readonly namespace?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
  readonly tlsServerName?: string;
  readonly apiKey?: string;
}

export const DEFAULT_ADDRESS = '127.0.0.1:7233';

export function temporalSettings(flags: TemporalFlags = {}, env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const certPath = flags.tlsCert ?? env.TEMPORAL_TLS_CERT;
  const keyPath = flags.tlsKey ?? env.TEMPORAL_TLS_KEY;
  const caPath = flags.tlsCa ?? env.TEMPORAL_TLS_CA;
  const serverName = flags.tlsServerName ?? env.TEMPORAL_TLS_SERVER_NAME;
  const apiKey = flags.apiKey ?? env.TEMPORAL_API_KEY;
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw new BadInputError('TLS settings', 'client authentication needs both a certificate (--tls-cert / TEMPORAL_TLS_CERT) and a key (--tls-key / TEMPORAL_TLS_KEY)');
  }
  const wantsTls = certPath !== undefined || caPath !== undefined || serverName !== undefined;
  return {
    address: flags.address ?? env.TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS,
    namespace: flags.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default',
    ...(wantsTls ? { tls: { certPath, keyPath, caPath, serverName } } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new BadInputError(`TLS ${what} ${path}`, `cannot read (${(error as Error).message})`, { cause: error });
  }
}

function tlsOptions(settings: TemporalSettings): NonNullable<ConnectionOptions['tls']> | undefined {
  // An API key implies TLS (Temporal Cloud); explicit TLS settings configure it.
  if (!settings.tls) return settings.apiKey ? true : undefined;
  const { certPath, keyPath, caPath, serverName } = settings.tls;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(caPath ? { serverRootCACertificate: readPem(caPath, 'CA certificate') } : {}),
    ...(certPath && keyPath ? { clientCertPair: { crt: readPem(certPath, 'certificate'), key: readPem(keyPath, 'key') } } : {}),
  };
}

/** How long a command waits for the server to answer before it calls the server unreachable. */
export const CONNECT_TIMEOUT_MS = 3_000;

export async function connectClient(settings: TemporalSettings, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
  const tls = tlsOptions(settings);
  return Connection.connect({
    address: settings.address,
    connectTimeout: connectTimeoutMs,
    ...(tls !== undefined ? { tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  });
}

/** The worker SDK is loaded here, on first use, so that clients (`w2s run`, `w2s status`) never load it. */
export async function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  const tls = tlsOptions(settings) as NativeConnectionOptions['tls'];
  return NativeConnection.connect({ address: settings.address, ...(tls !== undefined ? { tls } : {}), ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) });
}
