/**
 * Class names of well-known IDX datasets, which the IDX format does not
 * carry: recognised by the sha256 of the training labels (one byte per
 * label, header and compression left out), so any copy of the files,
 * gzipped or not, under any folder name, gets its names into the manifest.
 */
import { sha256Hex } from '../../core/hash.js';

const KNOWN: ReadonlyMap<string, readonly string[]> = new Map([
  // Fashion-MNIST (Xiao et al. 2017), the 60000 training labels.
  ['657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7', ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']],
]);

/** The class names of the dataset these training labels belong to, if it is a known one. */
export function knownIdxClassNames(trainLabels: ArrayLike<number>): readonly string[] | undefined {
  return KNOWN.get(sha256Hex(Uint8Array.from(trainLabels)));
}
