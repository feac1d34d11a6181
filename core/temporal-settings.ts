/**
 * Where the Temporal server is and how to reach it, for clients and workers
 * alike: flags first, then the environment (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_TLS_CERT`, `TEMPORAL_TLS_KEY`,
 * `TEMPORAL_TLS_CA`, `TEMPORAL_TLS_SERVER_NAME`, `TEMPORAL_API_KEY`), then the
 * local default. The connections themselves are the CLI's (cli/connection.ts:
 * a client) and the workers' (workers/connection.ts: a native connection).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { BadInputError } from './errors.js';
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

/** TLS as both Temporal SDKs take it: `true` for the system's roots (an API key, Temporal Cloud). */
export type TemporalTls = true | {
  readonly serverNameOverride?: string;
  readonly serverRootCACertificate?: Buffer;
  readonly clientCertPair?: { readonly crt: Buffer; readonly key: Buffer };
};

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new BadInputError(`TLS ${what} ${path}`, `cannot read (${(error as Error).message})`, { cause: error });
  }
}

export function tlsOptions(settings: TemporalSettings): TemporalTls | undefined {
  // An API key implies TLS (Temporal Cloud); explicit TLS settings configure it.
  if (!settings.tls) return settings.apiKey ? true : undefined;
  const { certPath, keyPath, caPath, serverName } = settings.tls;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(caPath ? { serverRootCACertificate: readPem(caPath, 'CA certificate') } : {}),
    ...(certPath && keyPath ? { clientCertPair: { crt: readPem(certPath, 'certificate'), key: readPem(keyPath, 'key') } } : {}),
  };
}

/**
 * A TLS connection that failed: when the server answers but not in TLS
 * (a plaintext dev server given an API key), the clients only say "failed
 * to connect" (grpc-js) or print a raw `tonic::transport::Error(...
 * InvalidContentType)` (the worker's core). One TLS handshake tells which,
 * and the error then says so and what to change; otherwise `error` as it was.
 */
export async function tlsMismatch(address: string, error: unknown): Promise<unknown> {
  if (!(await answersPlaintext(address))) return error;
  return new BadInputError(
    `Temporal server at ${address}`,
    'TLS expected (an API key or TLS options were given), but the server answers in plaintext; for a plaintext server (the local dev server) leave out --api-key/TEMPORAL_API_KEY and the --tls-* options, or give the address of the TLS endpoint',
    { cause: error },
  );
}

/** Whether something listens at `address` and answers a TLS handshake with bytes that are not TLS. */
async function answersPlaintext(address: string, timeoutMs = 2_000): Promise<boolean> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  if (colon === -1 || !Number.isInteger(port)) return false;
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, timeout: timeoutMs, ...(isIP(host) ? {} : { servername: host }) });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('secureConnect', () => done(false));
    socket.once('timeout', () => done(false));
    socket.once('error', (problem: NodeJS.ErrnoException) => done(problem.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || problem.code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || /wrong version number|packet length too long|unknown protocol/i.test(problem.message)));
  });
}
