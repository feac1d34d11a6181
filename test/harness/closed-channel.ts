/**
 * A client call whose retry fires after its connection closed: the call
 * fails (nothing listens on the address), the SDK's retry interceptor sets a
 * timer to start it again, and the connection is closed before the timer
 * fires. Run as a process, since without the guard the timer's throw is an
 * uncaught exception:
 *
 *   node dist/test/harness/closed-channel.js <address> guarded|unguarded
 *
 * Prints the call's outcome (`rejected: <code> ...`) and exits 0 when the
 * process survives.
 */
import { InterceptingCall, ListenerBuilder, type Interceptor } from '@grpc/grpc-js';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { clientInterceptors } from '../../cli/closed-channel-guard.js';

const [address, mode] = process.argv.slice(2);
if (!address || (mode !== 'guarded' && mode !== 'unguarded')) throw new Error('usage: closed-channel.js <address> guarded|unguarded');

// Below the retry interceptor every attempt passes here: it tells when the first one has failed.
let firstAttemptFailed: () => void = () => undefined;
const failed = new Promise<void>((resolve) => (firstAttemptFailed = resolve));
const observer: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, _listener, next) {
      next(
        metadata,
        new ListenerBuilder()
          .withOnReceiveStatus((status, nextStatus) => {
            firstAttemptFailed();
            nextStatus(status);
          })
          .build(),
      );
    },
  });

const interceptors = mode === 'guarded' ? [...clientInterceptors(), observer] : [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), observer];
const connection = Connection.lazy({ address, interceptors });
const call = connection.workflowService.getSystemInfo({}).then(
  () => 'resolved',
  (error: unknown) => `rejected: ${(error as { code?: number }).code} ${(error as Error).message}`,
);
await failed;
// The retry's timer is set now; the connection closes under it.
await connection.close();
console.log(await call);
