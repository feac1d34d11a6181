/**
 * Where the Temporal server is and how to reach it: a flag beats the
 * environment, the environment beats the local default, for the address,
 * namespace, TLS files and API key alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { settingsFrom, withTemporalOptions } from '../../cli/temporal-options.js';
import { connectClient } from '../../cli/connection.js';
import { DEFAULT_ADDRESS, temporalSettings, type TemporalFlags } from '../../core/temporal-settings.js';

const ENV = {
  TEMPORAL_ADDRESS: 'env.example:7233',
  TEMPORAL_NAMESPACE: 'env-ns',
  TEMPORAL_TLS_CERT: '/env/client.pem',
  TEMPORAL_TLS_KEY: '/env/client.key',
  TEMPORAL_TLS_CA: '/env/ca.pem',
  TEMPORAL_TLS_SERVER_NAME: 'env.server',
  TEMPORAL_API_KEY: 'env-key',
};

test('with nothing given: the local server, the default namespace, no TLS, no API key', () => {
  assert.deepEqual(temporalSettings({}, {}), { address: DEFAULT_ADDRESS, namespace: 'default' });
});

test('the environment fills in every setting', () => {
  assert.deepEqual(temporalSettings({}, ENV), {
    address: 'env.example:7233',
    namespace: 'env-ns',
    tls: { certPath: '/env/client.pem', keyPath: '/env/client.key', caPath: '/env/ca.pem', serverName: 'env.server' },
    apiKey: 'env-key',
  });
});

test('each flag beats its environment variable, one at a time', () => {
  const flags: Array<[TemporalFlags, (s: ReturnType<typeof temporalSettings>) => unknown, unknown]> = [
    [{ address: 'flag:1' }, (s) => s.address, 'flag:1'],
    [{ namespace: 'flag-ns' }, (s) => s.namespace, 'flag-ns'],
    [{ tlsCert: '/flag/c.pem', tlsKey: '/flag/c.key' }, (s) => [s.tls?.certPath, s.tls?.keyPath], ['/flag/c.pem', '/flag/c.key']],
    [{ tlsCa: '/flag/ca.pem' }, (s) => s.tls?.caPath, '/flag/ca.pem'],
    [{ tlsServerName: 'flag.server' }, (s) => s.tls?.serverName, 'flag.server'],
    [{ apiKey: 'flag-key' }, (s) => s.apiKey, 'flag-key'],
  ];
  for (const [given, read, expected] of flags) {
    const settings = temporalSettings(given, ENV);
    assert.deepEqual(read(settings), expected, JSON.stringify(given));
    // What the flag does not name still comes from the environment.
    if (!given.namespace) assert.equal(settings.namespace, 'env-ns');
    if (!given.apiKey) assert.equal(settings.apiKey, 'env-key');
  }
});

test('TLS: a CA or server name alone turns TLS on; a certificate needs its key; an API key alone needs no TLS files', () => {
  assert.deepEqual(temporalSettings({ tlsCa: '/ca.pem' }, {}).tls, { certPath: undefined, keyPath: undefined, caPath: '/ca.pem', serverName: undefined });
  assert.ok(temporalSettings({ tlsServerName: 'x' }, {}).tls);
  assert.throws(() => temporalSettings({ tlsCert: '/c.pem' }, {}), /needs both a certificate .* and a key/);
  assert.throws(() => temporalSettings({}, { TEMPORAL_TLS_KEY: '/k.pem' }), /needs both a certificate .* and a key/);
  // A certificate from a flag and its key from the environment make a pair.
  assert.deepEqual(temporalSettings({ tlsCert: '/c.pem' }, { TEMPORAL_TLS_KEY: '/k.pem' }).tls?.keyPath, '/k.pem');
  const cloud = temporalSettings({ apiKey: 'k' }, {});
  assert.equal(cloud.tls, undefined);
  assert.equal(cloud.apiKey, 'k');
});

test('a TLS file that cannot be read is named in the error, before any connection is tried', async () => {
  await assert.rejects(connectClient(temporalSettings({ tlsCa: '/nonexistent/ca.pem' }, {})), /TLS CA certificate \/nonexistent\/ca\.pem: cannot read/);
  await assert.rejects(connectClient(temporalSettings({ tlsCert: '/nonexistent/c.pem', tlsKey: '/nonexistent/c.key' }, {})), /TLS certificate \/nonexistent\/c\.pem: cannot read/);
});

test('on the command line: a flag beats the environment variable, which beats the default', () => {
  const parse = (args: string[], env: Record<string, string>) => {
    const saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
    for (const k of Object.keys(ENV)) delete process.env[k];
    Object.assign(process.env, env);
    try {
      const command = withTemporalOptions(new Command('status').exitOverride());
      command.parse(args, { from: 'user' });
      return settingsFrom(command.opts<TemporalFlags>());
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  assert.deepEqual(parse([], {}), { address: DEFAULT_ADDRESS, namespace: 'default' });
  const fromEnv = parse([], { TEMPORAL_NAMESPACE: 'env-ns', TEMPORAL_API_KEY: 'env-key', TEMPORAL_TLS_CA: '/env/ca.pem' });
  assert.equal(fromEnv.namespace, 'env-ns');
  assert.equal(fromEnv.apiKey, 'env-key');
  assert.equal(fromEnv.tls?.caPath, '/env/ca.pem');
  const fromFlags = parse(['--namespace', 'flag-ns', '--api-key', 'flag-key', '--tls-ca', '/flag/ca.pem', '--address', 'flag:7233'], ENV);
  assert.equal(fromFlags.namespace, 'flag-ns');
  assert.equal(fromFlags.apiKey, 'flag-key');
  assert.equal(fromFlags.tls?.caPath, '/flag/ca.pem');
  assert.equal(fromFlags.address, 'flag:7233');
  assert.equal(fromFlags.tls?.certPath, '/env/client.pem', 'unflagged TLS settings still come from the environment');
});
