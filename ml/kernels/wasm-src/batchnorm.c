/*
 * Batch normalisation with given statistics (FusedBatchNorm):
 * y = (x - mean) * scale / sqrt(var + eps) + offset, per channel (innermost
 * axis). The per-channel factors are folded once, so each element costs one
 * multiply and one add.
 */
#include "common.h"

EXPORT(w2s_batch_norm)
void w2s_batch_norm(const float* x, const float* mean, const float* var, const float* offset, const float* scale, float* y,
                    float* scratch, uint32_t rows, uint32_t channels, float eps) {
  float* mul = scratch;
  float* add = scratch + round_up(channels, 4);
  for (size_t c = 0; c < channels; c++) {
    const float s = (scale ? scale[c] : 1.0f) / __builtin_sqrtf(var[c] + eps);
    mul[c] = s;
    add[c] = (offset ? offset[c] : 0.0f) - mean[c] * s;
  }
  const size_t c4 = channels / 4 * 4;
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * (size_t)channels;
    float* yr = y + r * (size_t)channels;
    size_t c = 0;
    for (; c < c4; c += 4) {
      wasm_v128_store(yr + c, madd(wasm_v128_load(add + c), wasm_v128_load(xr + c), wasm_v128_load(mul + c)));
    }
    for (; c < channels; c++) yr[c] = xr[c] * mul[c] + add[c];
  }
}
