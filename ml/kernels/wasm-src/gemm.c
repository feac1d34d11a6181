/*
 * Matrix products for BatchMatMul and _FusedMatMul: C = op(A) op(B) (+ bias)
 * (then ReLU), op = optional transpose, batched with broadcasting of a batch
 * of one. op(B) is packed into NR-column panels; rows of op(A) feed the same
 * indirect micro-kernel as the convolutions (a transposed A is first copied
 * to row-major, which costs M*K moves against M*N*K multiply-adds).
 */
#include "common.h"

EXPORT(w2s_gemm_scratch)
size_t w2s_gemm_scratch(uint32_t m, uint32_t n, uint32_t k, uint32_t trans_a) {
  const size_t n_pad = round_up(n, NR);
  const size_t floats = n_pad * k + (trans_a ? (size_t)m * k : 0) + n_pad + NR;
  return floats * sizeof(float) + 64;
}

/* Packs op(B) (k x n) into panels [n/NR][k][NR]. */
static void pack_b(const float* b, float* packed, size_t k_dim, size_t n, int trans_b) {
  const size_t blocks = (n + NR - 1) / NR;
  for (size_t nb = 0; nb < blocks; nb++) {
    const size_t n0 = nb * NR;
    const size_t cols = min_size(NR, n - n0);
    for (size_t k = 0; k < k_dim; k++) {
      size_t j = 0;
      if (trans_b) {
        for (; j < cols; j++) packed[j] = b[(n0 + j) * k_dim + k];
      } else {
        for (; j < cols; j++) packed[j] = b[k * n + n0 + j];
      }
      for (; j < NR; j++) packed[j] = 0.0f;
      packed += NR;
    }
  }
}

EXPORT(w2s_gemm)
void w2s_gemm(const float* a, const float* b, const float* bias, float* c, void* scratch, uint32_t batch, uint32_t batch_a,
              uint32_t batch_b, uint32_t m, uint32_t n, uint32_t k, uint32_t trans_a, uint32_t trans_b, uint32_t relu) {
  const size_t n_pad = round_up(n, NR);
  const size_t blocks = n_pad / NR;
  float* packed = (float*)scratch;
  float* a_rows = packed + n_pad * k;
  float* bias_pad = a_rows + (trans_a ? (size_t)m * k : 0);
  float* sink = bias_pad + n_pad;
  if (bias) {
    for (size_t j = 0; j < n_pad; j++) bias_pad[j] = j < n ? bias[j] : 0.0f;
  }
  const size_t a_size = (size_t)m * k, b_size = (size_t)k * n, c_size = (size_t)m * n;
  for (size_t i = 0; i < batch; i++) {
    const float* ai = a + (batch_a == 1 ? 0 : i) * a_size;
    if (i == 0 || batch_b != 1) pack_b(b + (batch_b == 1 ? 0 : i) * b_size, packed, k, n, (int)trans_b);
    const float* rows = ai;
    if (trans_a) {
      /* ai is k x m; write its transpose, m x k. */
      for (size_t r = 0; r < m; r++)
        for (size_t kk = 0; kk < k; kk++) a_rows[r * k + kk] = ai[kk * m + r];
      rows = a_rows;
    }
    float* ci = c + i * c_size;
    for (size_t m0 = 0; m0 < m; m0 += MR) {
      const float* ind[MR];
      float* out[MR];
      int valid[MR];
      for (size_t r = 0; r < MR; r++) {
        const size_t row = m0 + r < m ? m0 + r : m - 1;
        valid[r] = m0 + r < m;
        ind[r] = rows + row * k;
        out[r] = ci + row * n;
      }
      for (size_t nb = 0; nb < blocks; nb++) {
        float* tile_out[MR];
        for (size_t r = 0; r < MR; r++) tile_out[r] = valid[r] ? out[r] + nb * NR : sink;
        igemm_4x8(1, k, ind, packed + nb * k * NR, tile_out, min_size(NR, n - nb * NR), bias ? bias_pad + nb * NR : 0, (int)relu);
      }
    }
  }
}
