/**
 * The w2s CPU-queue worker as an AWS Lambda handler (Temporal Serverless
 * Workers, @temporalio/lambda-worker). Each invocation connects, polls
 * `w2s-cpu` (workflow tasks and the short stages: validate, label, evaluate,
 * report) until shortly before the invocation's deadline, then drains and
 * returns. Training (`w2s-gpu`) never runs here.
 *
 * build.mjs bundles this file with w2s's compiled activities so that every
 * `@temporalio/*` import resolves from this folder's node_modules (1.23, the
 * version lambda-worker pins): one copy of @temporalio/activity, the one whose
 * Context the worker sets.
 */
/* global process, URL */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runWorker } from '@temporalio/lambda-worker';
import { createActivities, createActivityDeps, stageSettingsFrom } from '../../dist/activities/index.js';
import { initBackend } from '../../dist/ml/backend.js';
import { CPU_QUEUE } from '../../dist/schemas/names.js';
import { log } from '../../dist/workers/logging.js';
import { stageLogInterceptors } from '../../dist/workers/stage-log.js';

const deploymentName = process.env.W2S_DEPLOYMENT_NAME || 'w2s';
const buildId = process.env.W2S_BUILD_ID;
if (!buildId) throw new Error('W2S_BUILD_ID is not set: the worker deployment version this function serves (e.g. the image tag or git commit)');

// Labeling and evaluation need TensorFlow.js; the backend starts once per container, not per invocation.
const backend = await initBackend();
log.info({ backend }, 'backend ready');

// Lineage records which worker ran each stage: here, the invocation (set by the handler, read when a stage records).
let invocation = `${process.pid}@${hostname()}`;
const activities = createActivities(createActivityDeps({ identity: () => invocation, settings: stageSettingsFrom(process.env) }));

const worker = runWorker({ deploymentName, buildId }, (config) => {
  config.workerOptions.taskQueue = CPU_QUEUE;
  config.workerOptions.workflowBundle = { codePath: fileURLToPath(new URL('./workflow-bundle.js', import.meta.url)) };
  config.workerOptions.activities = activities;
  config.workerOptions.interceptors = { activity: [stageLogInterceptors(log)] };
  config.workerOptions.maxHeartbeatThrottleInterval = '1 second';
});

export async function handler(event, context) {
  invocation = `${context.awsRequestId}@${context.invokedFunctionArn}`;
  await worker(event, context);
}
