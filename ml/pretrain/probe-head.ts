/**
 * Probe mode on precomputed features, for a backbone of the student's own
 * architecture: every zoo model ends in one linear classifier (a `Dense`
 * with no activation), so
 *
 *   - the backbone's features are what that classifier reads: the same
 *     network with a D-wide identity classifier outputs them exactly;
 *   - the head trained on them is the zoo's `linear` model over `[1, 1, D]`
 *     (`fc/weight [D, K]`, `fc/bias [K]`), starting from the student's own
 *     initial classifier;
 *   - copied back into the student's classifier it gives the full model
 *     that labeling and evaluation load, unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { BadInputError } from '../../core/errors.js';
import type { FeatureExtractor } from '../backbones/features.js';
import type { Model, ModelSpec } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { loadModel } from '../models/serialize.js';
import { transferWeights } from './contrastive.js';
import { studentFromBackbone } from './student.js';

/** The names of a model's classifier variables: its last `Dense`. */
export interface ClassifierNames {
  readonly weight: string;
  readonly bias: string;
}

/** The student's classifier: the variables the backbone cannot fill (their width is the classes'), a `[D, K]` weight and a `[K]` bias. */
export function classifierOf(student: Model, backbone: Model, where: string): ClassifierNames {
  const skipped = transferWeights(backbone, student);
  const weight = skipped.find((name) => name.endsWith('/weight') && student.params.get(name)?.variable.shape.length === 2);
  const bias = weight ? weight.replace(/\/weight$/, '/bias') : undefined;
  if (!weight || !bias || skipped.length !== 2 || !skipped.includes(bias)) {
    throw new BadInputError(where, `probe features need a backbone whose only layer that differs from the student's is its final classifier; these differ: ${skipped.join(', ') || 'none'}`);
  }
  return { weight, bias };
}

export interface BackboneFeatures {
  readonly extract: FeatureExtractor;
  readonly featureDim: number;
  dispose(): void;
}

/**
 * The frozen backbone as a feature extractor for images of `spec`: the
 * student's architecture with the backbone's weights and an identity
 * classifier, run in inference mode (batch norm on its running statistics),
 * which is exactly what a probe-mode student's classifier reads.
 */
export function backboneFeatureExtractor(model: string, spec: ModelSpec, backbone: Uint8Array, where: string): BackboneFeatures {
  // The probe student checks architecture and input shape, and tells the feature width.
  const student = studentFromBackbone(model, spec, backbone, 'finetune', where);
  const encoder = loadModel(backbone, where);
  let wide: Model | undefined;
  try {
    const names = classifierOf(student, encoder, where);
    const featureDim = student.params.get(names.weight)!.variable.shape[0]!;
    wide = buildModel(model, { ...spec, numClasses: featureDim });
    transferWeights(encoder, wide);
    const weight = wide.params.get(names.weight)?.variable;
    const bias = wide.params.get(names.bias)?.variable;
    if (!weight || !bias || weight.shape.join('x') !== `${featureDim}x${featureDim}`) throw new BadInputError(where, `${model} has no ${featureDim}x${featureDim} classifier ${names.weight} when built ${featureDim} classes wide`);
    tf.tidy(() => {
      weight.assign(tf.eye(featureDim));
      bias.assign(tf.zeros([featureDim]));
    });
    const extractor = wide;
    return {
      featureDim,
      extract: (x) => tf.tidy(() => extractor.apply(x, { training: false })),
      dispose: () => extractor.dispose(),
    };
  } catch (error) {
    wide?.dispose();
    throw error;
  } finally {
    student.dispose();
    encoder.dispose();
  }
}

/** Copies `from`'s classifier variables into `to`'s (shapes must agree). */
function copyClassifier(from: Model, fromNames: ClassifierNames, to: Model, toNames: ClassifierNames): void {
  for (const key of ['weight', 'bias'] as const) {
    const src = from.params.get(fromNames[key])?.variable;
    const dst = to.params.get(toNames[key])?.variable;
    if (!src || !dst) throw new BadInputError('probe head', `${from.name} has no ${fromNames[key]} or ${to.name} has no ${toNames[key]}`);
    if (src.shape.join('x') !== dst.shape.join('x')) throw new BadInputError('probe head', `${fromNames[key]} has shape [${src.shape.join(', ')}], ${toNames[key]} expects [${dst.shape.join(', ')}]`);
    dst.assign(src);
  }
}

const LINEAR_HEAD: ClassifierNames = { weight: 'fc/weight', bias: 'fc/bias' };

/**
 * A probe-mode student split for training on features: the full student
 * (backbone weights, its freshly initialised classifier) and the names of
 * that classifier. `headFor` builds the `linear` head over `[1, 1, D]` that
 * starts from the student's classifier; `assemble` copies a trained head
 * back and returns the full student's model.
 */
export class ProbeStudent {
  private constructor(
    readonly model: Model,
    readonly classifier: ClassifierNames,
  ) {}

  static fromBackbone(model: string, spec: ModelSpec, backbone: Uint8Array, where: string): ProbeStudent {
    const student = studentFromBackbone(model, spec, backbone, 'finetune', where);
    const encoder = loadModel(backbone, where);
    try {
      // transferWeights again is harmless: the same weights move into the same places.
      return new ProbeStudent(student, classifierOf(student, encoder, where));
    } catch (error) {
      student.dispose();
      throw error;
    } finally {
      encoder.dispose();
    }
  }

  get featureDim(): number {
    return this.model.params.get(this.classifier.weight)!.variable.shape[0]!;
  }

  /** The `linear` head for `spec` (`[1, 1, D]` inputs), initialised with the student's classifier. */
  headFor(spec: ModelSpec): Model {
    const [h, w, d] = spec.inputShape;
    if (h !== 1 || w !== 1 || d !== this.featureDim || spec.numClasses !== this.model.spec.numClasses) {
      throw new BadInputError('probe head', `features of shape [${spec.inputShape.join(', ')}] with ${spec.numClasses} classes do not fit a ${this.model.name} classifier over ${this.featureDim} features and ${this.model.spec.numClasses} classes`);
    }
    const head = buildModel('linear', spec);
    try {
      copyClassifier(this.model, this.classifier, head, LINEAR_HEAD);
      return head;
    } catch (error) {
      head.dispose();
      throw error;
    }
  }

  /** The full student with `head`'s trained weights as its classifier. */
  assemble(head: Model): Model {
    copyClassifier(head, LINEAR_HEAD, this.model, this.classifier);
    return this.model;
  }

  dispose(): void {
    this.model.dispose();
  }
}
