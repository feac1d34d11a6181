/*
 * Shared pieces of the w2s wasm kernels: the SIMD128 micro-kernels every
 * convolution and matrix product is built from, and small helpers.
 *
 * The module is linked position-independent and instantiated against the
 * TensorFlow.js wasm backend's own memory, so every pointer here is an offset
 * into the tensors tfjs already holds: no copies in or out.
 *
 * Register budget: V8 gives wasm code 15 usable xmm registers on x64, so a
 * micro-kernel keeps at most 12 accumulators (6 rows x 2 vectors, or 4 x 2
 * plus loads) to avoid spills.
 */
#ifndef W2S_COMMON_H
#define W2S_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#define NR 8 /* output columns per micro-kernel tile: two f32x4 vectors */
#define MR 4 /* output rows per indirect micro-kernel tile */

static inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

static inline void fill_zero(float* p, size_t n) {
  size_t i = 0;
  const v128_t z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, z);
  for (; i < n; i++) p[i] = 0.0f;
}

static inline v128_t madd(v128_t acc, v128_t a, v128_t b) {
  return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
}

/* Stores the first `n` (<= 8) lanes of the pair (lo, hi) at p. */
static inline void store_partial8(float* p, v128_t lo, v128_t hi, size_t n) {
  if (n == NR) {
    wasm_v128_store(p, lo);
    wasm_v128_store(p + 4, hi);
    return;
  }
  float tmp[NR];
  wasm_v128_store(tmp, lo);
  wasm_v128_store(tmp + 4, hi);
  for (size_t i = 0; i < n; i++) p[i] = tmp[i];
}

/*
 * Indirect GEMM tile: MR output rows x NR columns.
 *   out[m][0..n) = bias + sum_t sum_k in[t][m][k] * w[t][k][0..NR)
 * `ind` holds T*MR row pointers ([t][m]), each to K contiguous floats (a zero
 * row stands in for padding); `w` is the packed panel [T][K][NR].
 */
static inline void igemm_4x8(size_t T, size_t K, const float* const* ind, const float* w, float* const* out, size_t n,
                             const float* bias, int relu) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (bias) {
    c00 = c10 = c20 = c30 = wasm_v128_load(bias);
    c01 = c11 = c21 = c31 = wasm_v128_load(bias + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  }
  for (size_t t = 0; t < T; t++) {
    const float* a0 = ind[t * MR + 0];
    const float* a1 = ind[t * MR + 1];
    const float* a2 = ind[t * MR + 2];
    const float* a3 = ind[t * MR + 3];
    for (size_t k = 0; k < K; k++) {
      const v128_t b0 = wasm_v128_load(w);
      const v128_t b1 = wasm_v128_load(w + 4);
      w += NR;
      const v128_t x0 = wasm_v128_load32_splat(a0 + k);
      const v128_t x1 = wasm_v128_load32_splat(a1 + k);
      const v128_t x2 = wasm_v128_load32_splat(a2 + k);
      const v128_t x3 = wasm_v128_load32_splat(a3 + k);
      c00 = madd(c00, x0, b0);
      c01 = madd(c01, x0, b1);
      c10 = madd(c10, x1, b0);
      c11 = madd(c11, x1, b1);
      c20 = madd(c20, x2, b0);
      c21 = madd(c21, x2, b1);
      c30 = madd(c30, x3, b0);
      c31 = madd(c31, x3, b1);
    }
  }
  if (relu) {
    const v128_t z = wasm_f32x4_splat(0.0f);
    c00 = wasm_f32x4_pmax(z, c00);
    c01 = wasm_f32x4_pmax(z, c01);
    c10 = wasm_f32x4_pmax(z, c10);
    c11 = wasm_f32x4_pmax(z, c11);
    c20 = wasm_f32x4_pmax(z, c20);
    c21 = wasm_f32x4_pmax(z, c21);
    c30 = wasm_f32x4_pmax(z, c30);
    c31 = wasm_f32x4_pmax(z, c31);
  }
  store_partial8(out[0], c00, c01, n);
  store_partial8(out[1], c10, c11, n);
  store_partial8(out[2], c20, c21, n);
  store_partial8(out[3], c30, c31, n);
}

/*
 * Outer-product accumulation tile for weight gradients: 4 rows x NR columns.
 *   c[r][0..NR) += sum_p a[p][r] * b[p][0..NR)   for r < 4
 * `a` holds P row pointers; the 4 rows start at a[p] + r0. `b` is P rows of
 * stride ldb; `c` has row stride ldc. Accumulates in place.
 */
static inline void outer_4x8(size_t P, const float* const* a, size_t r0, const float* b, size_t ldb, float* c, size_t ldc) {
  v128_t c00 = wasm_v128_load(c), c01 = wasm_v128_load(c + 4);
  v128_t c10 = wasm_v128_load(c + ldc), c11 = wasm_v128_load(c + ldc + 4);
  v128_t c20 = wasm_v128_load(c + 2 * ldc), c21 = wasm_v128_load(c + 2 * ldc + 4);
  v128_t c30 = wasm_v128_load(c + 3 * ldc), c31 = wasm_v128_load(c + 3 * ldc + 4);
  for (size_t p = 0; p < P; p++) {
    const float* ap = a[p] + r0;
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    b += ldb;
    const v128_t x0 = wasm_v128_load32_splat(ap);
    const v128_t x1 = wasm_v128_load32_splat(ap + 1);
    const v128_t x2 = wasm_v128_load32_splat(ap + 2);
    const v128_t x3 = wasm_v128_load32_splat(ap + 3);
    c00 = madd(c00, x0, b0);
    c01 = madd(c01, x0, b1);
    c10 = madd(c10, x1, b0);
    c11 = madd(c11, x1, b1);
    c20 = madd(c20, x2, b0);
    c21 = madd(c21, x2, b1);
    c30 = madd(c30, x3, b0);
    c31 = madd(c31, x3, b1);
  }
  wasm_v128_store(c, c00);
  wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + ldc, c10);
  wasm_v128_store(c + ldc + 4, c11);
  wasm_v128_store(c + 2 * ldc, c20);
  wasm_v128_store(c + 2 * ldc + 4, c21);
  wasm_v128_store(c + 3 * ldc, c30);
  wasm_v128_store(c + 3 * ldc + 4, c31);
}

#endif
