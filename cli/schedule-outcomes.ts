/**
 * What became of a schedule's recent retrains: for a finished one its
 * promotion decision (champion, challenger, their gain against `minGain`),
 * for a failed one the stage that failed and why. Temporal keeps both in the
 * workflow's result or failure; this reads them so `w2s schedule describe`
 * can say them without `temporal workflow describe`.
 */
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ChildWorkflowFailure } from '@temporalio/common';
import type { RetrainResult } from '../workflows/retrain.js';

export interface PromotionOutcome {
  readonly promoted: boolean;
  readonly registry: string;
  readonly challenger: { readonly runId: string; readonly accuracy: number };
  readonly champion: { readonly runId: string; readonly accuracy: number } | null;
  /** Challenger accuracy minus champion accuracy; null without a champion. */
  readonly gain: number | null;
  readonly minGain: number;
  readonly reason: string;
}

export interface RunOutcome {
  readonly workflowId: string;
  /** Temporal's status of the workflow: RUNNING, COMPLETED, FAILED, TERMINATED, ... */
  readonly status: string;
  readonly promotion?: PromotionOutcome;
  /** Why a failed run failed: the failing stage (activity type) and the root cause. */
  readonly failure?: string;
}

export async function runOutcome(client: Client, workflowId: string): Promise<RunOutcome> {
  const handle = client.workflow.getHandle(workflowId);
  const status = (await handle.describe()).status.name;
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as RetrainResult;
    return { workflowId, status, promotion: promotionOutcome(result) };
  }
  if (status === 'FAILED' || status === 'TIMED_OUT') {
    try {
      await handle.result();
    } catch (error) {
      return { workflowId, status, failure: failureReason(error) };
    }
  }
  return { workflowId, status };
}

export function promotionOutcome({ decision, minGain }: RetrainResult): PromotionOutcome {
  return {
    promoted: decision.promoted,
    registry: decision.registry,
    challenger: { runId: decision.challenger.runId, accuracy: decision.challenger.accuracy },
    champion: decision.champion ? { runId: decision.champion.runId, accuracy: decision.champion.accuracy } : null,
    gain: decision.champion ? decision.challenger.accuracy - decision.champion.accuracy : null,
    // Results recorded before minGain was part of them read as the default.
    minGain: minGain ?? 0,
    reason: decision.reason,
  };
}

/** The innermost failure's message, prefixed with the stage (activity type) it happened in when there is one. */
export function failureReason(error: unknown): string {
  let stage: string | undefined;
  let child: string | undefined;
  let message = error instanceof Error ? error.message : String(error);
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 16; current = current.cause, depth += 1) {
    if (current instanceof ActivityFailure) stage = current.activityType;
    if (current instanceof ChildWorkflowFailure) child = current.execution.workflowId ?? undefined;
    // The outer layers only say "Workflow execution failed" / "Activity task failed"; the last message is the reason.
    if (!(current instanceof WorkflowFailedError) && current.message) message = current.message;
  }
  const where = [child && `in ${child}`, stage && `stage ${stage}`].filter(Boolean).join(', ');
  // One line: a bad config lists its problems on lines of their own.
  const reason = message.replace(/\s*\n\s*/g, ' ').trim();
  return where ? `${where}: ${reason}` : reason;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** One line for a run's outcome, e.g. `not promoted: challenger 84.50% vs champion 84.50% (nightly-...), gain +0.00% against minGain 0.00%; <reason>`. */
export function formatOutcome(outcome: RunOutcome): string {
  const p = outcome.promotion;
  if (p) {
    const verdict = p.promoted ? 'promoted' : 'not promoted';
    if (!p.champion || p.gain === null) return `${verdict}: challenger ${pct(p.challenger.accuracy)}, no champion yet in registry ${p.registry}`;
    const sign = p.gain >= 0 ? '+' : '';
    return `${verdict}: challenger ${pct(p.challenger.accuracy)} vs champion ${pct(p.champion.accuracy)} (${p.champion.runId}), gain ${sign}${pct(p.gain)} against minGain ${pct(p.minGain)}; ${p.reason}`;
  }
  if (outcome.failure) return `failed: ${outcome.failure}`;
  return outcome.status.toLowerCase();
}
