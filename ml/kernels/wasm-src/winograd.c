/*
 * Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray 2016):
 * each 2x2 block of outputs costs 16 products per channel pair instead of 36.
 *
 *   forward           Y  = A^T [ (G g G^T) . (B^T d B) ] A
 *   filter gradient   dg = G^T [ (A dY A^T) . (B^T d B) ] G   (summed over tiles)
 *
 * with d a 4x4 input tile, g the 3x3 filter, Y / dY a 2x2 output tile:
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * The input gradient of a stride-1 convolution is the forward convolution of
 * dy with the filter rotated by 180 degrees and its channel axes swapped
 * (`flip`), so it runs through the forward path.
 *
 * Tiles are processed in blocks of TILE_BLOCK: the block's transformed
 * inputs (16 x tiles x channels) and products stay in L2, and the 16
 * per-position products are GEMMs on the same micro-kernels as the direct
 * convolutions. Channels are the SIMD axis of every transform.
 */
#include "common.h"

#define TILE_BLOCK 64

typedef struct {
  size_t batch, in_h, in_w, in_c, out_h, out_w, out_c;
  long pad_top, pad_left;
  size_t tiles_h, tiles_w, tiles;
} wino_shape;

static wino_shape make_wino(uint32_t batch, uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w,
                            uint32_t out_c, uint32_t pad_top, uint32_t pad_left) {
  wino_shape s = {batch, in_h, in_w, in_c, out_h, out_w, out_c, (long)pad_top, (long)pad_left, 0, 0, 0};
  s.tiles_h = (s.out_h + 1) / 2;
  s.tiles_w = (s.out_w + 1) / 2;
  s.tiles = s.batch * s.tiles_h * s.tiles_w;
  return s;
}

/*
 * B^T d B for tiles [t0, t0 + count) into v[16][count][c_count] (row stride
 * c_count). d comes from x (NHWC, c_count channels), zero outside.
 */
static void input_transform(const float* x, const float* zero, float* v, const wino_shape* s, size_t c_count, size_t t0,
                            size_t count) {
  const size_t plane = count * c_count;
  for (size_t i = 0; i < count; i++) {
    const size_t t = t0 + i;
    const size_t b = t / (s->tiles_h * s->tiles_w);
    const size_t th = (t / s->tiles_w) % s->tiles_h;
    const size_t tw = t % s->tiles_w;
    const float* rows[16];
    for (size_t r = 0; r < 4; r++) {
      const long ih = (long)(2 * th + r) - s->pad_top;
      for (size_t q = 0; q < 4; q++) {
        const long iw = (long)(2 * tw + q) - s->pad_left;
        const int inside = ih >= 0 && ih < (long)s->in_h && iw >= 0 && iw < (long)s->in_w;
        rows[r * 4 + q] = inside ? x + ((b * s->in_h + (size_t)ih) * s->in_w + (size_t)iw) * c_count : zero;
      }
    }
    float* out = v + i * c_count;
    size_t c = 0;
    for (; c + 4 <= c_count; c += 4) {
      v128_t d[16];
      for (size_t k = 0; k < 16; k++) d[k] = wasm_v128_load(rows[k] + c);
      v128_t t4[16];
      for (size_t q = 0; q < 4; q++) { /* B^T d: combine rows */
        t4[0 * 4 + q] = wasm_f32x4_sub(d[0 * 4 + q], d[2 * 4 + q]);
        t4[1 * 4 + q] = wasm_f32x4_add(d[1 * 4 + q], d[2 * 4 + q]);
        t4[2 * 4 + q] = wasm_f32x4_sub(d[2 * 4 + q], d[1 * 4 + q]);
        t4[3 * 4 + q] = wasm_f32x4_sub(d[1 * 4 + q], d[3 * 4 + q]);
      }
      for (size_t r = 0; r < 4; r++) { /* (B^T d) B: combine columns */
        const v128_t* tr = t4 + r * 4;
        wasm_v128_store(out + (r * 4 + 0) * plane + c, wasm_f32x4_sub(tr[0], tr[2]));
        wasm_v128_store(out + (r * 4 + 1) * plane + c, wasm_f32x4_add(tr[1], tr[2]));
        wasm_v128_store(out + (r * 4 + 2) * plane + c, wasm_f32x4_sub(tr[2], tr[1]));
        wasm_v128_store(out + (r * 4 + 3) * plane + c, wasm_f32x4_sub(tr[1], tr[3]));
      }
    }
    for (; c < c_count; c++) {
      float d[16], t4[16];
      for (size_t k = 0; k < 16; k++) d[k] = rows[k][c];
      for (size_t q = 0; q < 4; q++) {
        t4[0 * 4 + q] = d[0 * 4 + q] - d[2 * 4 + q];
        t4[1 * 4 + q] = d[1 * 4 + q] + d[2 * 4 + q];
        t4[2 * 4 + q] = d[2 * 4 + q] - d[1 * 4 + q];
        t4[3 * 4 + q] = d[1 * 4 + q] - d[3 * 4 + q];
      }
      for (size_t r = 0; r < 4; r++) {
        const float* tr = t4 + r * 4;
        out[(r * 4 + 0) * plane + c] = tr[0] - tr[2];
        out[(r * 4 + 1) * plane + c] = tr[1] + tr[2];
        out[(r * 4 + 2) * plane + c] = tr[2] - tr[1];
        out[(r * 4 + 3) * plane + c] = tr[1] - tr[3];
      }
    }
  }
}

/*
 * G g G^T for every (k, n) filter pair, packed as GEMM panels
 * [16][n/NR][k][NR]. With `flip`, g[kh][kw][k][n] = w[2-kh][2-kw][n][k]
 * (the input gradient's filter); otherwise g = w, HWIO with k inputs.
 */
static void filter_transform(const float* w, float* packed, size_t k_count, size_t n_count, int flip) {
  const size_t n_pad = round_up(n_count, NR);
  const size_t position = k_count * n_pad; /* floats per position */
  for (size_t k = 0; k < k_count; k++) {
    for (size_t n = 0; n < n_pad; n++) {
      float g[9];
      for (size_t kh = 0; kh < 3; kh++) {
        for (size_t kw = 0; kw < 3; kw++) {
          float value = 0.0f;
          if (n < n_count) {
            value = flip ? w[(((2 - kh) * 3 + (2 - kw)) * n_count + n) * k_count + k] : w[((kh * 3 + kw) * k_count + k) * n_count + n];
          }
          g[kh * 3 + kw] = value;
        }
      }
      float gg[12]; /* G g: 4 x 3 */
      for (size_t q = 0; q < 3; q++) {
        gg[0 * 3 + q] = g[0 * 3 + q];
        gg[1 * 3 + q] = 0.5f * (g[0 * 3 + q] + g[1 * 3 + q] + g[2 * 3 + q]);
        gg[2 * 3 + q] = 0.5f * (g[0 * 3 + q] - g[1 * 3 + q] + g[2 * 3 + q]);
        gg[3 * 3 + q] = g[2 * 3 + q];
      }
      const size_t nb = n / NR, j = n % NR;
      for (size_t r = 0; r < 4; r++) {
        const float* row = gg + r * 3;
        const float u[4] = {row[0], 0.5f * (row[0] + row[1] + row[2]), 0.5f * (row[0] - row[1] + row[2]), row[2]};
        for (size_t q = 0; q < 4; q++) packed[(r * 4 + q) * position + (nb * k_count + k) * NR + j] = u[q];
      }
    }
  }
}

/* A^T m A for tiles of a block: m[16][count][n_pad] -> y (NHWC), + bias, ReLU, cropped at the edges. */
static void output_transform(const float* m, float* y, const float* bias, int relu, const wino_shape* s, size_t n_count,
                             size_t n_pad, size_t t0, size_t count) {
  const size_t plane = count * n_pad;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (size_t i = 0; i < count; i++) {
    const size_t t = t0 + i;
    const size_t b = t / (s->tiles_h * s->tiles_w);
    const size_t th = (t / s->tiles_w) % s->tiles_h;
    const size_t tw = t % s->tiles_w;
    const size_t oh = 2 * th, ow = 2 * tw;
    const int down = oh + 1 < s->out_h, right = ow + 1 < s->out_w;
    float* y00 = y + ((b * s->out_h + oh) * s->out_w + ow) * n_count;
    float* y01 = y00 + n_count;
    float* y10 = y00 + s->out_w * n_count;
    float* y11 = y10 + n_count;
    const float* src = m + i * n_pad;
    size_t n = 0;
    for (; n + 4 <= n_count; n += 4) {
      v128_t v[16];
      for (size_t k = 0; k < 16; k++) v[k] = wasm_v128_load(src + k * plane + n);
      v128_t s0[4], s1[4];
      for (size_t q = 0; q < 4; q++) {
        s0[q] = wasm_f32x4_add(wasm_f32x4_add(v[0 * 4 + q], v[1 * 4 + q]), v[2 * 4 + q]);
        s1[q] = wasm_f32x4_sub(wasm_f32x4_sub(v[1 * 4 + q], v[2 * 4 + q]), v[3 * 4 + q]);
      }
      const v128_t bv = bias ? wasm_v128_load(bias + n) : zero;
      v128_t r00 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(s0[0], s0[1]), s0[2]), bv);
      v128_t r01 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_sub(s0[1], s0[2]), s0[3]), bv);
      v128_t r10 = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(s1[0], s1[1]), s1[2]), bv);
      v128_t r11 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_sub(s1[1], s1[2]), s1[3]), bv);
      if (relu) {
        r00 = wasm_f32x4_pmax(zero, r00);
        r01 = wasm_f32x4_pmax(zero, r01);
        r10 = wasm_f32x4_pmax(zero, r10);
        r11 = wasm_f32x4_pmax(zero, r11);
      }
      wasm_v128_store(y00 + n, r00);
      if (right) wasm_v128_store(y01 + n, r01);
      if (down) wasm_v128_store(y10 + n, r10);
      if (down && right) wasm_v128_store(y11 + n, r11);
    }
    for (; n < n_count; n++) {
      float v[16], s0[4], s1[4];
      for (size_t k = 0; k < 16; k++) v[k] = src[k * plane + n];
      for (size_t q = 0; q < 4; q++) {
        s0[q] = v[0 * 4 + q] + v[1 * 4 + q] + v[2 * 4 + q];
        s1[q] = v[1 * 4 + q] - v[2 * 4 + q] - v[3 * 4 + q];
      }
      const float bn = bias ? bias[n] : 0.0f;
      float r[4] = {s0[0] + s0[1] + s0[2] + bn, s0[1] - s0[2] - s0[3] + bn, s1[0] + s1[1] + s1[2] + bn, s1[1] - s1[2] - s1[3] + bn};
      if (relu) {
        for (size_t k = 0; k < 4; k++) r[k] = r[k] > 0.0f ? r[k] : 0.0f;
      }
      y00[n] = r[0];
      if (right) y01[n] = r[1];
      if (down) y10[n] = r[2];
      if (down && right) y11[n] = r[3];
    }
  }
}

/* ---------------------------------------------------- forward / input grad */

EXPORT(w2s_winograd_conv_scratch)
size_t w2s_winograd_conv_scratch(uint32_t in_c, uint32_t out_c) {
  const size_t n_pad = round_up(out_c, NR);
  const size_t floats = 16 * in_c * n_pad          /* transformed filter */
                        + 16 * TILE_BLOCK * in_c   /* transformed inputs */
                        + 16 * TILE_BLOCK * n_pad  /* products */
                        + round_up(in_c, 4) + n_pad + NR;
  return floats * sizeof(float) + 64;
}

/*
 * y = conv3x3(x, w) stride 1 (+ bias, ReLU). With flip, computes the input
 * gradient instead: x is dy (in_c = the forward's output channels), w the
 * forward filter [3][3][out_c][in_c], y is dx.
 */
EXPORT(w2s_winograd_conv)
void w2s_winograd_conv(const float* x, const float* w, const float* bias, float* y, void* scratch, uint32_t batch,
                       uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c,
                       uint32_t pad_top, uint32_t pad_left, uint32_t relu, uint32_t flip) {
  const wino_shape s = make_wino(batch, in_h, in_w, in_c, out_h, out_w, out_c, pad_top, pad_left);
  const size_t n_pad = round_up(s.out_c, NR);
  const size_t blocks = n_pad / NR;
  float* u = (float*)scratch;
  float* v = u + 16 * s.in_c * n_pad;
  float* m = v + 16 * TILE_BLOCK * s.in_c;
  float* zero = m + 16 * TILE_BLOCK * n_pad;
  float* bias_pad = zero + round_up(s.in_c, 4);
  float* sink = bias_pad + n_pad;
  fill_zero(zero, round_up(s.in_c, 4));
  filter_transform(w, u, s.in_c, s.out_c, (int)flip);
  if (bias) {
    for (size_t j = 0; j < n_pad; j++) bias_pad[j] = j < s.out_c ? bias[j] : 0.0f;
  }
  for (size_t t0 = 0; t0 < s.tiles; t0 += TILE_BLOCK) {
    const size_t count = min_size(TILE_BLOCK, s.tiles - t0);
    input_transform(x, zero, v, &s, s.in_c, t0, count);
    for (size_t p = 0; p < 16; p++) {
      const float* vp = v + p * count * s.in_c;
      float* mp = m + p * count * n_pad;
      const float* up = u + p * s.in_c * n_pad;
      for (size_t r0 = 0; r0 < count; r0 += MR) {
        const float* ind[MR];
        float* out[MR];
        int valid[MR];
        for (size_t r = 0; r < MR; r++) {
          const size_t row = r0 + r < count ? r0 + r : count - 1;
          valid[r] = r0 + r < count;
          ind[r] = vp + row * s.in_c;
          out[r] = mp + row * n_pad;
        }
        for (size_t nb = 0; nb < blocks; nb++) {
          float* tile_out[MR];
          for (size_t r = 0; r < MR; r++) tile_out[r] = valid[r] ? out[r] + nb * NR : sink;
          igemm_4x8(1, s.in_c, ind, up + nb * s.in_c * NR, tile_out, NR, 0, 0);
        }
      }
    }
    output_transform(m, y, bias ? bias_pad : 0, (int)relu, &s, s.out_c, n_pad, t0, count);
  }
}

/* ------------------------------------------------------- filter gradient */

EXPORT(w2s_winograd_filter_grad_scratch)
size_t w2s_winograd_filter_grad_scratch(uint32_t in_c, uint32_t out_c) {
  const size_t n_pad = round_up(out_c, NR);
  const size_t floats = 16 * in_c * out_c            /* accumulated products */
                        + 16 * TILE_BLOCK * in_c     /* transformed inputs */
                        + 16 * TILE_BLOCK * n_pad    /* transformed output gradients */
                        + round_up(in_c, 4) + round_up(out_c, 4);
  return floats * sizeof(float) + 16 * TILE_BLOCK * sizeof(float*) + 64;
}

/* A dY A^T for tiles of a block: dy (NHWC, n_count channels) -> z[16][count][n_pad], zero outside. */
static void grad_transform(const float* dy, const float* zero, float* z, const wino_shape* s, size_t n_count, size_t n_pad,
                           size_t t0, size_t count) {
  const size_t plane = count * n_pad;
  for (size_t i = 0; i < count; i++) {
    const size_t t = t0 + i;
    const size_t b = t / (s->tiles_h * s->tiles_w);
    const size_t th = (t / s->tiles_w) % s->tiles_h;
    const size_t tw = t % s->tiles_w;
    const float* g[4];
    for (size_t r = 0; r < 2; r++) {
      for (size_t q = 0; q < 2; q++) {
        const size_t oh = 2 * th + r, ow = 2 * tw + q;
        g[r * 2 + q] = oh < s->out_h && ow < s->out_w ? dy + ((b * s->out_h + oh) * s->out_w + ow) * n_count : zero;
      }
    }
    float* out = z + i * n_pad;
    for (size_t n = 0; n < n_pad; n += 4) {
      v128_t d00, d01, d10, d11;
      if (n + 4 <= n_count) {
        d00 = wasm_v128_load(g[0] + n), d01 = wasm_v128_load(g[1] + n), d10 = wasm_v128_load(g[2] + n), d11 = wasm_v128_load(g[3] + n);
      } else {
        float l[4][4] = {{0}};
        for (size_t k = 0; k < 4 && n + k < n_count; k++) {
          l[0][k] = g[0][n + k], l[1][k] = g[1][n + k], l[2][k] = g[2][n + k], l[3][k] = g[3][n + k];
        }
        d00 = wasm_v128_load(l[0]), d01 = wasm_v128_load(l[1]), d10 = wasm_v128_load(l[2]), d11 = wasm_v128_load(l[3]);
      }
      /* rows: A dY = [d0; d0 + d1; d0 - d1; -d1] */
      const v128_t rows[4][2] = {{d00, d01},
                                 {wasm_f32x4_add(d00, d10), wasm_f32x4_add(d01, d11)},
                                 {wasm_f32x4_sub(d00, d10), wasm_f32x4_sub(d01, d11)},
                                 {wasm_f32x4_neg(d10), wasm_f32x4_neg(d11)}};
      for (size_t r = 0; r < 4; r++) {
        const v128_t a = rows[r][0], c = rows[r][1];
        wasm_v128_store(out + (r * 4 + 0) * plane + n, a);
        wasm_v128_store(out + (r * 4 + 1) * plane + n, wasm_f32x4_add(a, c));
        wasm_v128_store(out + (r * 4 + 2) * plane + n, wasm_f32x4_sub(a, c));
        wasm_v128_store(out + (r * 4 + 3) * plane + n, wasm_f32x4_neg(c));
      }
    }
  }
}

/* dw[3][3][in_c][out_c] of a 3x3 stride-1 convolution from x and dy. */
EXPORT(w2s_winograd_filter_grad)
void w2s_winograd_filter_grad(const float* x, const float* dy, float* dw, void* scratch, uint32_t batch, uint32_t in_h,
                              uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c,
                              uint32_t pad_top, uint32_t pad_left) {
  const wino_shape s = make_wino(batch, in_h, in_w, in_c, out_h, out_w, out_c, pad_top, pad_left);
  const size_t n_pad = round_up(s.out_c, NR);
  const size_t co8 = s.out_c / NR * NR, ci4 = s.in_c / 4 * 4;
  float* acc = (float*)scratch;
  float* v = acc + 16 * s.in_c * s.out_c;
  float* z = v + 16 * TILE_BLOCK * s.in_c;
  float* zero_in = z + 16 * TILE_BLOCK * n_pad;
  float* zero_out = zero_in + round_up(s.in_c, 4);
  const float** rows = (const float**)(zero_out + round_up(s.out_c, 4));
  fill_zero(acc, 16 * s.in_c * s.out_c);
  fill_zero(zero_in, round_up(s.in_c, 4));
  fill_zero(zero_out, round_up(s.out_c, 4));
  for (size_t t0 = 0; t0 < s.tiles; t0 += TILE_BLOCK) {
    const size_t count = min_size(TILE_BLOCK, s.tiles - t0);
    input_transform(x, zero_in, v, &s, s.in_c, t0, count);
    grad_transform(dy, zero_out, z, &s, s.out_c, n_pad, t0, count);
    for (size_t p = 0; p < 16; p++) {
      const float* vp = v + p * count * s.in_c;
      const float* zp = z + p * count * n_pad;
      float* ap = acc + p * s.in_c * s.out_c;
      for (size_t i = 0; i < count; i++) rows[i] = vp + i * s.in_c;
      for (size_t co = 0; co < co8; co += NR) {
        size_t ci = 0;
        for (; ci < ci4; ci += 4) outer_4x8(count, rows, ci, zp + co, n_pad, ap + ci * s.out_c + co, s.out_c);
        for (; ci < s.in_c; ci++) {
          for (size_t j = 0; j < NR; j++) {
            float sum = ap[ci * s.out_c + co + j];
            for (size_t i = 0; i < count; i++) sum += rows[i][ci] * zp[i * n_pad + co + j];
            ap[ci * s.out_c + co + j] = sum;
          }
        }
      }
      for (size_t co = co8; co < s.out_c; co++) {
        for (size_t ci = 0; ci < s.in_c; ci++) {
          float sum = ap[ci * s.out_c + co];
          for (size_t i = 0; i < count; i++) sum += rows[i][ci] * zp[i * n_pad + co];
          ap[ci * s.out_c + co] = sum;
        }
      }
    }
  }
  /* dw = G^T M G per (ci, co); G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]. */
  const size_t pairs = s.in_c * s.out_c;
  for (size_t e = 0; e < pairs; e++) {
    float mm[16];
    for (size_t p = 0; p < 16; p++) mm[p] = acc[p * pairs + e];
    float q[12]; /* G^T M: 3 x 4 */
    for (size_t c = 0; c < 4; c++) {
      q[0 * 4 + c] = mm[0 * 4 + c] + 0.5f * (mm[1 * 4 + c] + mm[2 * 4 + c]);
      q[1 * 4 + c] = 0.5f * (mm[1 * 4 + c] - mm[2 * 4 + c]);
      q[2 * 4 + c] = 0.5f * (mm[1 * 4 + c] + mm[2 * 4 + c]) + mm[3 * 4 + c];
    }
    for (size_t r = 0; r < 3; r++) {
      const float* qr = q + r * 4;
      dw[(r * 3 + 0) * pairs + e] = qr[0] + 0.5f * (qr[1] + qr[2]);
      dw[(r * 3 + 1) * pairs + e] = 0.5f * (qr[1] - qr[2]);
      dw[(r * 3 + 2) * pairs + e] = 0.5f * (qr[1] + qr[2]) + qr[3];
    }
  }
}
