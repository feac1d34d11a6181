/**
 * One structured log line when a stage (activity) starts and one when it
 * ends, on every worker: run, stage, activity type, attempt, and at the end
 * the duration and the outcome (completed, failed with the error, or
 * cancelled). A stage's own input names its run and stage; activities
 * without one (validation, lineage summary) are named by their workflow.
 */
import type { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
import type { Logger } from 'pino';

interface StageNames {
  readonly runId: string;
  readonly stage: string;
}

function stageNames(args: readonly unknown[], context: Context): StageNames {
  const first = args[0];
  const field = (name: string): string | undefined => {
    const value = typeof first === 'object' && first !== null ? (first as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
  return { runId: field('runId') ?? context.info.workflowExecution?.workflowId ?? '', stage: field('stage') ?? context.info.activityType };
}

class StageLogInterceptor implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly context: Context,
    private readonly log: Logger,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { info } = this.context;
    const fields = { ...stageNames(input.args, this.context), activityType: info.activityType, activityId: info.activityId, attempt: info.attempt, workflowId: info.workflowExecution?.workflowId, taskQueue: info.taskQueue };
    this.log.info({ ...fields, event: 'stage-start' }, `stage ${fields.stage} started (attempt ${fields.attempt})`);
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    try {
      const result = await next(input);
      this.log.info({ ...fields, event: 'stage-end', outcome: 'completed', durationMs: durationMs() }, `stage ${fields.stage} completed`);
      return result;
    } catch (error) {
      const outcome = error instanceof CancelledFailure ? 'cancelled' : 'failed';
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn({ ...fields, event: 'stage-end', outcome, durationMs: durationMs(), error: message }, `stage ${fields.stage} ${outcome}: ${message}`);
      throw error;
    }
  }
}

/** The worker's activity interceptor factory (`interceptors.activity`). */
export function stageLogInterceptors(log: Logger): (context: Context) => ActivityInterceptors {
  return (context) => ({ inbound: new StageLogInterceptor(context, log) });
}
