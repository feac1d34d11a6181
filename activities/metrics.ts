/**
 * Training measurements as Temporal SDK metrics: recorded through the
 * activity's metric meter, they reach whatever exporter the worker's runtime
 * has (Prometheus with `w2s worker --metrics-port`), tagged by the SDK with
 * namespace, task queue and activity type, and here with the stage.
 */
import type { MetricMeter } from '@temporalio/common';
import type { TrainingMetrics } from '../stages/runtime.js';

export const TRAINING_METRICS = {
  imagesPerSecond: 'w2s_training_images_per_second',
  epochSeconds: 'w2s_training_epoch_seconds',
  checkpointSeconds: 'w2s_training_checkpoint_seconds',
} as const;

export function trainingMetrics(meter: MetricMeter): TrainingMetrics {
  const imagesPerSecond = meter.createGauge(TRAINING_METRICS.imagesPerSecond, 'float', 'images/s', 'training throughput over the last finished epoch');
  const epochSeconds = meter.createHistogram(TRAINING_METRICS.epochSeconds, 'float', 's', 'wall time of one training epoch');
  const checkpointSeconds = meter.createHistogram(TRAINING_METRICS.checkpointSeconds, 'float', 's', 'time to store one training checkpoint');
  return {
    epochEnded: (stage, seconds, throughput) => {
      epochSeconds.record(seconds, { stage });
      imagesPerSecond.set(throughput, { stage });
    },
    checkpointStored: (stage, seconds) => checkpointSeconds.record(seconds, { stage }),
  };
}
