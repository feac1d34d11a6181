/**
 * A student that starts from a pretrained backbone of its own architecture:
 * every weight of the backbone moves into the student (`transferWeights`),
 * all but the classifier, whose width differs (the backbone's last layer
 * outputs the representation, the student's the classes).
 *
 * `finetune`: the student trains as usual, every weight learning.
 * `probe`: a linear probe on the frozen backbone. The backbone's weights and
 * batch-norm statistics are frozen and it runs in inference mode (running
 * statistics), so only the new classifier learns and the features it reads
 * are the ones labeling and evaluation will see.
 */
import { BadInputError } from '../../core/errors.js';
import type { InitMode } from '../../schemas/pretrain.js';
import type { Model, ModelSpec } from '../models/model.js';
import { buildModel } from '../models/registry.js';
import { loadModel } from '../models/serialize.js';
import { ParamRegistry } from '../nn/params.js';
import { transferWeights } from './contrastive.js';

/**
 * Builds `model` for `spec` with the weights of the backbone in `backbone`
 * (serialized model bytes); `where` names the backbone in errors.
 */
export function studentFromBackbone(model: string, spec: ModelSpec, backbone: Uint8Array, mode: InitMode, where: string): Model {
  const encoder = loadModel(backbone, where);
  let student: Model | undefined;
  try {
    if (encoder.name !== model) throw new BadInputError(where, `is a ${encoder.name} backbone; a ${model} student can only start from a ${model} backbone`);
    const [h, w, c] = spec.inputShape;
    const [eh, ew, ec] = encoder.spec.inputShape;
    if (h !== eh || w !== ew || c !== ec) throw new BadInputError(where, `was pretrained on ${eh}x${ew}x${ec} images; this data has ${h}x${w}x${c}`);
    student = buildModel(model, spec);
    const head = new Set(transferWeights(encoder, student));
    const learning = student.params.trainable().filter((p) => head.has(p.name));
    if (learning.length === 0 || head.size === student.params.all().length) {
      throw new BadInputError(where, `its classifier has the shape of the student's (${spec.numClasses} classes): pretrain with a representationDim other than ${spec.numClasses}`);
    }
    return mode === 'probe' ? frozenBackbone(student, head) : student;
  } catch (error) {
    student?.dispose();
    throw error;
  } finally {
    encoder.dispose();
  }
}

/** The student with every variable outside `head` frozen, its forward pass in inference mode. */
function frozenBackbone(student: Model, head: ReadonlySet<string>): Model {
  const params = new ParamRegistry(student.spec.seed);
  for (const p of student.params.all()) params.adopt(p.name, head.has(p.name) ? p.kind : 'frozen', p.variable);
  return {
    name: student.name,
    spec: student.spec,
    params,
    // Inference mode: batch norm reads its (pretrained) running statistics and proposes no updates.
    apply: (x) => student.apply(x, { training: false }),
    dispose() {
      params.dispose();
      student.dispose();
    },
  };
}
