/*
 * Sums over a contiguous run of axes that is not innermost: x viewed as
 * [outer][rows][cols], out[o][c] = scale * sum_r x[o][r][c]. This is the
 * per-channel reduction of batch norm (axes 0,1,2 of NHWC) and global
 * average pooling (axes 1,2); the shipped kernels transpose the whole
 * tensor first. One pass over the data, summed in three levels (rows into
 * blocks of BLOCK, blocks into groups of BLOCK, groups into the total), so
 * the rounding error grows with 2*BLOCK + rows/BLOCK^2 instead of rows.
 */
#include "common.h"

#define BLOCK 64

/* acc[0..n) += row[0..n) */
static inline void add_row(float* acc, const float* row, size_t n) {
  size_t c = 0;
  for (; c + 8 <= n; c += 8) {
    wasm_v128_store(acc + c, wasm_f32x4_add(wasm_v128_load(acc + c), wasm_v128_load(row + c)));
    wasm_v128_store(acc + c + 4, wasm_f32x4_add(wasm_v128_load(acc + c + 4), wasm_v128_load(row + c + 4)));
  }
  for (; c + 4 <= n; c += 4) wasm_v128_store(acc + c, wasm_f32x4_add(wasm_v128_load(acc + c), wasm_v128_load(row + c)));
  for (; c < n; c++) acc[c] += row[c];
}

/* Scratch: two rows of `cols` floats. */
EXPORT(w2s_sum_axis1)
void w2s_sum_axis1(const float* x, float* out, float* scratch, uint32_t outer, uint32_t rows, uint32_t cols, float scale) {
  float* block = scratch;
  float* group = scratch + round_up(cols, 4);
  for (size_t o = 0; o < outer; o++) {
    const float* xo = x + o * (size_t)rows * cols;
    float* total = out + o * (size_t)cols;
    fill_zero(total, cols);
    for (size_t g0 = 0; g0 < rows; g0 += BLOCK * BLOCK) {
      const size_t g1 = min_size(rows, g0 + BLOCK * BLOCK);
      fill_zero(group, cols);
      for (size_t r0 = g0; r0 < g1; r0 += BLOCK) {
        const size_t r1 = min_size(g1, r0 + BLOCK);
        fill_zero(block, cols);
        for (size_t r = r0; r < r1; r++) add_row(block, xo + r * cols, cols);
        add_row(group, block, cols);
      }
      add_row(total, group, cols);
    }
    if (scale != 1.0f) {
      for (size_t c = 0; c < cols; c++) total[c] *= scale;
    }
  }
}
