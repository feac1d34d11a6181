/**
 * Services a case may need that the bench does not start itself. A case that
 * requires one runs only when it is reachable; otherwise the report says
 * which case was skipped and what to set.
 */
import type { Service } from './types.js';

export interface ServiceStatus {
  readonly available: boolean;
  /** How to make it available, when it is not. */
  readonly hint: string;
}

export function serviceStatus(service: Service): ServiceStatus {
  switch (service) {
    case 'temporal':
      return {
        available: Boolean(process.env.W2S_BENCH_TEMPORAL_ADDRESS),
        hint: 'start a Temporal server (e.g. ~/go/bin/temporal server start-dev) and set W2S_BENCH_TEMPORAL_ADDRESS=host:port',
      };
  }
}
