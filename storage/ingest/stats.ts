/**
 * Per-channel mean and standard deviation of pixel values (scaled to [0, 1]),
 * from exact per-channel histograms: the result does not depend on the order
 * images arrive in, and integer sums stay exact in float64.
 */
export class ChannelHistogram {
  private readonly counts: Float64Array;

  constructor(readonly channels: number) {
    this.counts = new Float64Array(channels * 256);
  }

  /** Adds one or more HWC images. */
  add(pixels: Uint8Array): void {
    const { channels, counts } = this;
    if (channels === 1) {
      for (let i = 0; i < pixels.length; i++) counts[pixels[i]!]!++;
      return;
    }
    for (let i = 0; i < pixels.length; i++) counts[(i % channels) * 256 + pixels[i]!]!++;
  }

  meanStd(): { mean: number[]; std: number[] } {
    const mean: number[] = [];
    const std: number[] = [];
    for (let c = 0; c < this.channels; c++) {
      let n = 0;
      let sum = 0;
      let squares = 0;
      for (let v = 0; v < 256; v++) {
        const count = this.counts[c * 256 + v]!;
        n += count;
        sum += v * count;
        squares += v * v * count;
      }
      const m = n === 0 ? 0 : sum / n;
      const variance = n === 0 ? 0 : Math.max(squares / n - m * m, 0);
      mean.push(m / 255);
      std.push(Math.sqrt(variance) / 255);
    }
    return { mean, std };
  }
}
