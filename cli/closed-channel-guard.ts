/**
 * Keeps a closed client connection from crashing the process.
 *
 * The SDK's retry interceptor answers a retryable status (UNAVAILABLE,
 * UNKNOWN, ...) by starting the call again from a timer, and cancelling the
 * call does not clear that timer. When the CLI closes its connection in that
 * window (Ctrl-C while a progress query fails because the workers are
 * stopping), the timer's new call is made on a shut-down channel, which
 * throws outside any promise: an uncaught exception instead of the
 * interrupted run's message and exit code. This interceptor sits below the
 * retry interceptor, so every attempt passes through it, and answers an
 * attempt on a closed channel with CANCELLED, which the retry interceptor
 * does not retry and the caller sees as a cancelled call.
 */
import { InterceptingCall, Metadata, status, type Interceptor, type InterceptingListener } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

export const closedChannelGuard: Interceptor = (options, nextCall) => {
  try {
    return new InterceptingCall(nextCall(options));
  } catch (error) {
    if (!isChannelShutDown(error)) throw error;
    return new InterceptingCall(cancelledAttempt(`${options.method_definition.path}: the connection was closed`));
  }
};

/** The SDK's default retries, then the guard: what every connection of the CLI uses. */
export function clientInterceptors(): Interceptor[] {
  return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), closedChannelGuard];
}

/** What an `InterceptingCall` wraps (grpc-js declares the interface without exporting it). */
type CallBelow = ConstructorParameters<typeof InterceptingCall>[0];

function isChannelShutDown(error: unknown): boolean {
  return error instanceof Error && /Channel has been shut down/.test(error.message);
}

/** An attempt that never reaches the network: it reports CANCELLED as soon as it is started. */
function cancelledAttempt(details: string): CallBelow {
  return {
    start(_metadata: Metadata, listener?: Partial<InterceptingListener>) {
      // Asynchronously, as a real call reports its status.
      process.nextTick(() => listener?.onReceiveStatus?.({ code: status.CANCELLED, details, metadata: new Metadata() }));
    },
    cancelWithStatus: () => undefined,
    getPeer: () => '',
    sendMessageWithContext: () => undefined,
    sendMessage: () => undefined,
    startRead: () => undefined,
    halfClose: () => undefined,
    getAuthContext: () => null,
  };
}
