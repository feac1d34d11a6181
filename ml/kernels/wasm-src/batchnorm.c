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

/*
 * Training-mode batch norm over batch statistics, optionally followed by
 * ReLU, as one forward and one backward kernel over x viewed as
 * [rows][channels] (rows = N*H*W):
 *
 *   forward   mean, var (biased) by two blocked passes; y = relu?(x * s + t),
 *             s = gamma / sqrt(var + eps), t = beta - mean * s
 *   backward  dz = relu ? dy * (y > 0) : dy; dbeta = sum dz;
 *             dgamma = sum dz * xhat; dx = s / rows * (rows * dz - dbeta - xhat * dgamma)
 *
 * Three reads and one write forward, two reads of x, dy, y and one write
 * backward, where the same math on tfjs ops makes a dozen passes.
 */

#define BN_BLOCK 64

typedef struct {
  const float* x;
  const float* dy;
  const float* y;
  const float* mean;
  const float* inv_std;
  size_t channels;
} bn_ctx;

/*
 * What a column sum adds up per element. Every function taking a mode is
 * always inlined with a constant one, so each sum compiles to its own loop.
 */
enum { SUM_X, SUM_SQUARED_DEVIATION, SUM_DZ_AND_DZ_XHAT };

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* dz = dy, or 0 where ReLU's output was not positive. */
ALWAYS_INLINE v128_t dz_of(const bn_ctx* k, size_t off, int relu) {
  const v128_t dy = wasm_v128_load(k->dy + off);
  return relu ? wasm_v128_and(dy, wasm_f32x4_gt(wasm_v128_load(k->y + off), wasm_f32x4_splat(0.0f))) : dy;
}

ALWAYS_INLINE float dz_scalar(const bn_ctx* k, size_t off, int relu) {
  return relu && !(k->y[off] > 0.0f) ? 0.0f : k->dy[off];
}

/* acc[c] += value(row r, channel c); SUM_DZ_AND_DZ_XHAT also adds dz * xhat into acc2. */
ALWAYS_INLINE void accumulate_row(int mode, int relu, const bn_ctx* k, size_t r, float* acc, float* acc2) {
  const size_t off = r * k->channels;
  size_t c = 0;
  for (; c + 4 <= k->channels; c += 4) {
    if (mode == SUM_X) {
      wasm_v128_store(acc + c, wasm_f32x4_add(wasm_v128_load(acc + c), wasm_v128_load(k->x + off + c)));
    } else if (mode == SUM_SQUARED_DEVIATION) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(k->x + off + c), wasm_v128_load(k->mean + c));
      wasm_v128_store(acc + c, madd(wasm_v128_load(acc + c), d, d));
    } else {
      const v128_t dz = dz_of(k, off + c, relu);
      const v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(k->x + off + c), wasm_v128_load(k->mean + c)), wasm_v128_load(k->inv_std + c));
      wasm_v128_store(acc + c, wasm_f32x4_add(wasm_v128_load(acc + c), dz));
      wasm_v128_store(acc2 + c, madd(wasm_v128_load(acc2 + c), dz, xhat));
    }
  }
  for (; c < k->channels; c++) {
    if (mode == SUM_X) {
      acc[c] += k->x[off + c];
    } else if (mode == SUM_SQUARED_DEVIATION) {
      const float d = k->x[off + c] - k->mean[c];
      acc[c] += d * d;
    } else {
      const float dz = dz_scalar(k, off + c, relu);
      acc[c] += dz;
      acc2[c] += dz * (k->x[off + c] - k->mean[c]) * k->inv_std[c];
    }
  }
}

/*
 * Per-channel sums over all rows in three levels (rows, blocks, groups), as
 * w2s_sum_axis1 does, into total (and total2 for the two-sum mode).
 * Scratch: 4 rows of channels floats.
 */
ALWAYS_INLINE void column_sums(int mode, int relu, const bn_ctx* k, size_t rows, float* total, float* total2, float* scratch) {
  const size_t channels = k->channels, cp = round_up(channels, 4);
  const int two = mode == SUM_DZ_AND_DZ_XHAT;
  float* block = scratch;
  float* group = block + cp;
  float* block2 = group + cp;
  float* group2 = block2 + cp;
  fill_zero(total, channels);
  if (two) fill_zero(total2, channels);
  for (size_t g0 = 0; g0 < rows; g0 += BN_BLOCK * BN_BLOCK) {
    const size_t g1 = min_size(rows, g0 + BN_BLOCK * BN_BLOCK);
    fill_zero(group, channels);
    if (two) fill_zero(group2, channels);
    for (size_t r0 = g0; r0 < g1; r0 += BN_BLOCK) {
      const size_t r1 = min_size(g1, r0 + BN_BLOCK);
      fill_zero(block, channels);
      if (two) fill_zero(block2, channels);
      for (size_t r = r0; r < r1; r++) accumulate_row(mode, relu, k, r, block, block2);
      for (size_t c = 0; c < channels; c++) group[c] += block[c];
      if (two) {
        for (size_t c = 0; c < channels; c++) group2[c] += block2[c];
      }
    }
    for (size_t c = 0; c < channels; c++) total[c] += group[c];
    if (two) {
      for (size_t c = 0; c < channels; c++) total2[c] += group2[c];
    }
  }
}

/* Scratch: 7 rows of channels floats (column sums, folded factors). */
EXPORT(w2s_bn_train_forward)
void w2s_bn_train_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                          float* inv_std, float* scratch, uint32_t rows, uint32_t channels, float eps, uint32_t relu) {
  const size_t cp = round_up(channels, 4);
  bn_ctx k = {x, 0, 0, mean, 0, channels};
  column_sums(SUM_X, 0, &k, rows, mean, 0, scratch);
  for (size_t c = 0; c < channels; c++) mean[c] /= (float)rows;
  column_sums(SUM_SQUARED_DEVIATION, 0, &k, rows, var, 0, scratch);
  float* s = scratch + 4 * cp;
  float* t = s + cp;
  for (size_t c = 0; c < channels; c++) {
    var[c] /= (float)rows;
    inv_std[c] = 1.0f / __builtin_sqrtf(var[c] + eps);
    s[c] = gamma[c] * inv_std[c];
    t[c] = beta[c] - mean[c] * s[c];
  }
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * (size_t)channels;
    float* yr = y + r * (size_t)channels;
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      v128_t v = madd(wasm_v128_load(t + c), wasm_v128_load(xr + c), wasm_v128_load(s + c));
      if (relu) v = wasm_f32x4_pmax(zero, v);
      wasm_v128_store(yr + c, v);
    }
    for (; c < channels; c++) {
      const float v = xr[c] * s[c] + t[c];
      yr[c] = relu && !(v > 0.0f) ? 0.0f : v;
    }
  }
}

EXPORT(w2s_bn_train_backward)
void w2s_bn_train_backward(const float* dy, const float* x, const float* gamma, const float* y, const float* mean,
                           const float* inv_std, float* dx, float* dgamma, float* dbeta, float* scratch, uint32_t rows,
                           uint32_t channels, uint32_t relu) {
  const size_t cp = round_up(channels, 4);
  bn_ctx k = {x, dy, y, mean, inv_std, channels};
  if (relu) {
    column_sums(SUM_DZ_AND_DZ_XHAT, 1, &k, rows, dbeta, dgamma, scratch);
  } else {
    column_sums(SUM_DZ_AND_DZ_XHAT, 0, &k, rows, dbeta, dgamma, scratch);
  }
  /* dx = a * dz + b * x + c0, with a = gamma*inv_std, b = -a*inv_std*dgamma/rows, c0 = -a*dbeta/rows - b*mean */
  float* a = scratch + 4 * cp;
  float* b = a + cp;
  float* c0 = b + cp;
  const float n = (float)rows;
  for (size_t c = 0; c < channels; c++) {
    a[c] = gamma[c] * inv_std[c];
    b[c] = -a[c] * inv_std[c] * dgamma[c] / n;
    c0[c] = -a[c] * dbeta[c] / n - b[c] * mean[c];
  }
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (size_t r = 0; r < rows; r++) {
    const size_t off = r * (size_t)channels;
    size_t c = 0;
    for (; c + 4 <= channels; c += 4) {
      v128_t dz = wasm_v128_load(dy + off + c);
      if (relu) dz = wasm_v128_and(dz, wasm_f32x4_gt(wasm_v128_load(y + off + c), zero));
      const v128_t v = madd(madd(wasm_v128_load(c0 + c), wasm_v128_load(x + off + c), wasm_v128_load(b + c)), dz, wasm_v128_load(a + c));
      wasm_v128_store(dx + off + c, v);
    }
    for (; c < channels; c++) {
      const float dz = relu && !(y[off + c] > 0.0f) ? 0.0f : dy[off + c];
      dx[off + c] = a[c] * dz + b[c] * x[off + c] + c0[c];
    }
  }
}
