/** Connection flags shared by every command that talks to Temporal. */
import { Command, Option } from 'commander';
import { type TemporalFlags, temporalSettings, type TemporalSettings } from '../core/temporal-settings.js';

export function withTemporalOptions(command: Command): Command {
  return command
    .addOption(new Option('--address <host:port>', 'Temporal frontend address').env('TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <name>', 'Temporal namespace').env('TEMPORAL_NAMESPACE'))
    .addOption(new Option('--tls-cert <file>', 'client certificate (PEM) for mTLS').env('TEMPORAL_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'client key (PEM) for mTLS').env('TEMPORAL_TLS_KEY'))
    .addOption(new Option('--tls-ca <file>', 'server CA certificate (PEM)').env('TEMPORAL_TLS_CA'))
    .addOption(new Option('--tls-server-name <name>', 'server name to verify').env('TEMPORAL_TLS_SERVER_NAME'))
    .addOption(new Option('--api-key <key>', 'API key (Temporal Cloud)').env('TEMPORAL_API_KEY'));
}

export function settingsFrom(options: TemporalFlags): TemporalSettings {
  return temporalSettings(options, {});
}
