/**
 * The numbers a native convolution kernel takes, from tfjs's own conv
 * bookkeeping (so 'same', 'valid', explicit padding and rounding modes mean
 * exactly what they mean on every other backend).
 */
import * as tf from '@tensorflow/tfjs';

export type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface ConvGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * The shape arguments every direct native convolution takes, in the order of
 * the C signatures (conv2d.c): batch, input HWC, output HWC, filter HW, strides.
 */
export function directConvShapeArgs(g: ConvGeometry): readonly number[] {
  return [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth];
}

export function convGeometry(
  where: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number] | number,
  dilations: [number, number] | number,
  pad: PadAttr,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  dataFormat: string | undefined,
): ConvGeometry {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${where} on wasm: data format ${dataFormat} is not supported (NHWC only)`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

export function requireFloat32(where: string, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) {
    if (info.dtype !== 'float32') throw new Error(`${where} on wasm: expected float32 tensors, got ${info.dtype}`);
  }
}

/** Output tile side of the Winograd path: F(2x2,3x3) or F(4x4,3x3). */
export type WinogradTile = 2 | 4;

export const WINOGRAD_MIN_CHANNELS = 8;

let winogradTile: WinogradTile | false = 4;

/**
 * The Winograd tile a convolution uses, or undefined for the direct kernels:
 * Winograd takes 3x3, stride 1, no dilation, and enough channels on both
 * sides that the transforms (a few adds per element) are small beside the
 * products they save.
 */
export function winogradTileFor(g: ConvGeometry): WinogradTile | undefined {
  const eligible =
    g.filterHeight === 3 &&
    g.filterWidth === 3 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.dilationHeight === 1 &&
    g.dilationWidth === 1 &&
    g.inChannels >= WINOGRAD_MIN_CHANNELS &&
    g.outChannels >= WINOGRAD_MIN_CHANNELS &&
    g.padTop <= 2 &&
    g.padLeft <= 2;
  return eligible && winogradTile ? winogradTile : undefined;
}

/** Chooses the Winograd tile (or turns Winograd off), to compare the variants. */
export function setWinograd(tile: WinogradTile | false): void {
  if (tile !== false && tile !== 2 && tile !== 4) throw new Error(`Winograd tile must be 2, 4 or false, got ${String(tile)}`);
  winogradTile = tile;
}
