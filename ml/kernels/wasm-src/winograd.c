/*
 * Winograd convolution for 3x3 stride-1 convolutions (Lavin & Gray 2016),
 * in two tile sizes: F(2x2, 3x3) (4x4 input tiles, 16 products per 2x2
 * outputs) and F(4x4, 3x3) (6x6 input tiles, 36 products per 4x4 outputs,
 * against 144 for direct convolution).
 *
 *   forward           Y  = A^T [ (G g G^T) . (B^T d B) ] A
 *   filter gradient   dg = G^T [ (A dY A^T) . (B^T d B) ] G   (summed over tiles)
 *
 * with d an input tile, g the 3x3 filter and Y / dY an output tile. The input
 * gradient of a stride-1 convolution is the forward convolution of dy with
 * the filter rotated by 180 degrees and its channel axes swapped (`flip`), so
 * it runs through the forward path.
 *
 * F(2x2, 3x3):  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *               G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *               A^T = [1 1 1 0; 0 1 -1 -1]
 * F(4x4, 3x3):  B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *                      0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *               G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 *                    1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *               A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 *
 * Tiles are processed in blocks of TILE_BLOCK: the block's transformed
 * inputs (alpha^2 x tiles x channels) and products stay in L2, and the
 * alpha^2 per-position products are GEMMs on the same micro-kernels as the
 * direct convolutions. Channels are the SIMD axis of every transform.
 */
#include "common.h"

#define TILE_BLOCK 32
#define MAX_ALPHA 6
#define ALWAYS_INLINE static inline __attribute__((always_inline))

typedef struct {
  size_t batch, in_h, in_w, in_c, out_h, out_w, out_c;
  long pad_top, pad_left;
  size_t m, alpha; /* output tile side, input tile side (m + 2) */
  size_t tiles_h, tiles_w, tiles;
} wino_shape;

static wino_shape make_wino(uint32_t batch, uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w,
                            uint32_t out_c, uint32_t pad_top, uint32_t pad_left, uint32_t tile) {
  wino_shape s = {batch, in_h, in_w, in_c, out_h, out_w, out_c, (long)pad_top, (long)pad_left, tile, tile + 2, 0, 0, 0};
  s.tiles_h = (s.out_h + s.m - 1) / s.m;
  s.tiles_w = (s.out_w + s.m - 1) / s.m;
  s.tiles = s.batch * s.tiles_h * s.tiles_w;
  return s;
}

/* ------------------------------------------------ 1-D transforms, 4 lanes */

#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat

/* t = B^T d */
ALWAYS_INLINE void bt(size_t alpha, const v128_t* d, v128_t* t) {
  if (alpha == 4) {
    t[0] = SUB(d[0], d[2]);
    t[1] = ADD(d[1], d[2]);
    t[2] = SUB(d[2], d[1]);
    t[3] = SUB(d[1], d[3]);
  } else {
    const v128_t four = SPLAT(4.0f), five = SPLAT(5.0f), two = SPLAT(2.0f);
    t[0] = ADD(SUB(MUL(four, d[0]), MUL(five, d[2])), d[4]);
    t[1] = SUB(ADD(d[3], d[4]), MUL(four, ADD(d[1], d[2])));
    t[2] = ADD(SUB(d[4], d[3]), MUL(four, SUB(d[1], d[2])));
    t[3] = ADD(SUB(d[4], d[2]), MUL(two, SUB(d[3], d[1])));
    t[4] = SUB(SUB(d[4], d[2]), MUL(two, SUB(d[3], d[1])));
    t[5] = ADD(SUB(MUL(four, d[1]), MUL(five, d[3])), d[5]);
  }
}

/* y = A^T v (m outputs from alpha values) */
ALWAYS_INLINE void at(size_t alpha, const v128_t* v, v128_t* y) {
  if (alpha == 4) {
    y[0] = ADD(ADD(v[0], v[1]), v[2]);
    y[1] = SUB(SUB(v[1], v[2]), v[3]);
  } else {
    const v128_t p12 = ADD(v[1], v[2]), m12 = SUB(v[1], v[2]), p34 = ADD(v[3], v[4]), m34 = SUB(v[3], v[4]);
    y[0] = ADD(ADD(v[0], p12), p34);
    y[1] = ADD(m12, MUL(SPLAT(2.0f), m34));
    y[2] = ADD(p12, MUL(SPLAT(4.0f), p34));
    y[3] = ADD(ADD(m12, MUL(SPLAT(8.0f), m34)), v[5]);
  }
}

/* z = A e (alpha values from m) */
ALWAYS_INLINE void a_apply(size_t alpha, const v128_t* e, v128_t* z) {
  if (alpha == 4) {
    z[0] = e[0];
    z[1] = ADD(e[0], e[1]);
    z[2] = SUB(e[0], e[1]);
    z[3] = wasm_f32x4_neg(e[1]);
  } else {
    const v128_t p02 = ADD(e[0], e[2]), p13 = ADD(e[1], e[3]);
    const v128_t q02 = ADD(e[0], MUL(SPLAT(4.0f), e[2])), q13 = ADD(MUL(SPLAT(2.0f), e[1]), MUL(SPLAT(8.0f), e[3]));
    z[0] = e[0];
    z[1] = ADD(p02, p13);
    z[2] = SUB(p02, p13);
    z[3] = ADD(q02, q13);
    z[4] = SUB(q02, q13);
    z[5] = e[3];
  }
}

/* u = G g (alpha values from 3) */
static void g_apply(size_t alpha, const float* g, float* u) {
  if (alpha == 4) {
    u[0] = g[0];
    u[1] = 0.5f * (g[0] + g[1] + g[2]);
    u[2] = 0.5f * (g[0] - g[1] + g[2]);
    u[3] = g[2];
  } else {
    u[0] = 0.25f * g[0];
    u[1] = -(g[0] + g[1] + g[2]) / 6.0f;
    u[2] = -(g[0] - g[1] + g[2]) / 6.0f;
    u[3] = g[0] / 24.0f + g[1] / 12.0f + g[2] / 6.0f;
    u[4] = g[0] / 24.0f - g[1] / 12.0f + g[2] / 6.0f;
    u[5] = g[2];
  }
}

/* q = G^T v (3 values from alpha) */
static void gt_apply(size_t alpha, const float* v, float* q) {
  if (alpha == 4) {
    q[0] = v[0] + 0.5f * (v[1] + v[2]);
    q[1] = 0.5f * (v[1] - v[2]);
    q[2] = 0.5f * (v[1] + v[2]) + v[3];
  } else {
    q[0] = 0.25f * v[0] - (v[1] + v[2]) / 6.0f + (v[3] + v[4]) / 24.0f;
    q[1] = (v[2] - v[1]) / 6.0f + (v[3] - v[4]) / 12.0f;
    q[2] = (v[3] + v[4] - v[1] - v[2]) / 6.0f + v[5];
  }
}

/* Loads 4 channels from p (or fewer, zero-filled, at the channel tail). */
ALWAYS_INLINE v128_t load_lanes(const float* p, size_t lanes) {
  if (lanes == 4) return wasm_v128_load(p);
  float tmp[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t l = 0; l < lanes; l++) tmp[l] = p[l];
  return wasm_v128_load(tmp);
}

ALWAYS_INLINE void store_lanes(float* p, v128_t v, size_t lanes) {
  if (lanes == 4) {
    wasm_v128_store(p, v);
    return;
  }
  float tmp[4];
  wasm_v128_store(tmp, v);
  for (size_t l = 0; l < lanes; l++) p[l] = tmp[l];
}

ALWAYS_INLINE void tile_position(const wino_shape* s, size_t t, size_t* b, size_t* th, size_t* tw) {
  *b = t / (s->tiles_h * s->tiles_w);
  *th = (t / s->tiles_w) % s->tiles_h;
  *tw = t % s->tiles_w;
}

/* ------------------------------------------------------------ transforms */

/*
 * B^T d B for tiles [t0, t0 + count) into v[alpha^2][count][c_count] (row
 * stride c_count). d comes from x (NHWC, c_count channels), zero outside.
 */
ALWAYS_INLINE void input_transform_n(size_t alpha, const float* x, const float* zero, float* v, const wino_shape* s,
                                     size_t c_count, size_t t0, size_t count) {
  const size_t plane = count * c_count;
  for (size_t i = 0; i < count; i++) {
    size_t b, th, tw;
    tile_position(s, t0 + i, &b, &th, &tw);
    const float* rows[MAX_ALPHA * MAX_ALPHA];
    for (size_t r = 0; r < alpha; r++) {
      const long ih = (long)(s->m * th + r) - s->pad_top;
      for (size_t q = 0; q < alpha; q++) {
        const long iw = (long)(s->m * tw + q) - s->pad_left;
        const int inside = ih >= 0 && ih < (long)s->in_h && iw >= 0 && iw < (long)s->in_w;
        rows[r * alpha + q] = inside ? x + ((b * s->in_h + (size_t)ih) * s->in_w + (size_t)iw) * c_count : zero;
      }
    }
    float* out = v + i * c_count;
    for (size_t c = 0; c < c_count; c += 4) {
      const size_t lanes = min_size(4, c_count - c);
      v128_t tmp[MAX_ALPHA * MAX_ALPHA];
      for (size_t q = 0; q < alpha; q++) { /* columns: B^T d */
        v128_t col[MAX_ALPHA], res[MAX_ALPHA];
        for (size_t r = 0; r < alpha; r++) col[r] = load_lanes(rows[r * alpha + q] + c, lanes);
        bt(alpha, col, res);
        for (size_t r = 0; r < alpha; r++) tmp[r * alpha + q] = res[r];
      }
      for (size_t r = 0; r < alpha; r++) { /* rows: (B^T d) B */
        v128_t res[MAX_ALPHA];
        bt(alpha, tmp + r * alpha, res);
        for (size_t q = 0; q < alpha; q++) store_lanes(out + (r * alpha + q) * plane + c, res[q], lanes);
      }
    }
  }
}

static void input_transform(const float* x, const float* zero, float* v, const wino_shape* s, size_t c_count, size_t t0,
                            size_t count) {
  if (s->alpha == 4) {
    input_transform_n(4, x, zero, v, s, c_count, t0, count);
  } else {
    input_transform_n(6, x, zero, v, s, c_count, t0, count);
  }
}

/*
 * G g G^T for every (k, n) filter pair, packed as GEMM panels
 * [alpha^2][n/NR][k][NR]. With `flip`, g[kh][kw][k][n] = w[2-kh][2-kw][n][k]
 * (the input gradient's filter); otherwise g = w, HWIO with k inputs.
 */
static void filter_transform(const wino_shape* s, const float* w, float* packed, size_t k_count, size_t n_count, int flip) {
  const size_t alpha = s->alpha;
  const size_t n_pad = round_up(n_count, NR);
  const size_t position = k_count * n_pad;
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
      float gg[MAX_ALPHA * 3]; /* G g: alpha x 3 */
      for (size_t q = 0; q < 3; q++) {
        const float col[3] = {g[q], g[3 + q], g[6 + q]};
        float res[MAX_ALPHA];
        g_apply(alpha, col, res);
        for (size_t r = 0; r < alpha; r++) gg[r * 3 + q] = res[r];
      }
      const size_t nb = n / NR, j = n % NR;
      for (size_t r = 0; r < alpha; r++) {
        float u[MAX_ALPHA];
        g_apply(alpha, gg + r * 3, u);
        for (size_t q = 0; q < alpha; q++) packed[(r * alpha + q) * position + (nb * k_count + k) * NR + j] = u[q];
      }
    }
  }
}

/* A^T m A for tiles of a block: m[alpha^2][count][n_pad] -> y (NHWC), + bias, ReLU, cropped at the edges. */
ALWAYS_INLINE void output_transform_n(size_t alpha, const float* m, float* y, const float* bias, int relu, const wino_shape* s,
                                      size_t n_count, size_t n_pad, size_t t0, size_t count) {
  const size_t tile = alpha - 2;
  const size_t plane = count * n_pad;
  const v128_t zero = SPLAT(0.0f);
  for (size_t i = 0; i < count; i++) {
    size_t b, th, tw;
    tile_position(s, t0 + i, &b, &th, &tw);
    const size_t oh = tile * th, ow = tile * tw;
    const size_t rows = min_size(tile, s->out_h - oh), cols = min_size(tile, s->out_w - ow);
    float* y0 = y + ((b * s->out_h + oh) * s->out_w + ow) * n_count;
    const float* src = m + i * n_pad;
    for (size_t n = 0; n < n_count; n += 4) {
      const size_t lanes = min_size(4, n_count - n);
      v128_t tmp[MAX_ALPHA * MAX_ALPHA];
      for (size_t q = 0; q < alpha; q++) { /* columns: A^T m */
        v128_t col[MAX_ALPHA], res[MAX_ALPHA];
        for (size_t r = 0; r < alpha; r++) col[r] = wasm_v128_load(src + (r * alpha + q) * plane + n);
        at(alpha, col, res);
        for (size_t r = 0; r < tile; r++) tmp[r * alpha + q] = res[r];
      }
      const v128_t bv = bias ? wasm_v128_load(bias + n) : zero;
      for (size_t r = 0; r < rows; r++) { /* rows: (A^T m) A */
        v128_t res[MAX_ALPHA];
        at(alpha, tmp + r * alpha, res);
        for (size_t q = 0; q < cols; q++) {
          v128_t value = ADD(res[q], bv);
          if (relu) value = wasm_f32x4_pmax(zero, value);
          store_lanes(y0 + (r * s->out_w + q) * n_count + n, value, lanes);
        }
      }
    }
  }
}

static void output_transform(const float* m, float* y, const float* bias, int relu, const wino_shape* s, size_t n_count,
                             size_t n_pad, size_t t0, size_t count) {
  if (s->alpha == 4) {
    output_transform_n(4, m, y, bias, relu, s, n_count, n_pad, t0, count);
  } else {
    output_transform_n(6, m, y, bias, relu, s, n_count, n_pad, t0, count);
  }
}

/* A dY A^T for tiles of a block: dy (NHWC, n_count channels) -> z[alpha^2][count][n_pad], zero outside. */
ALWAYS_INLINE void grad_transform_n(size_t alpha, const float* dy, const float* zero, float* z, const wino_shape* s,
                                    size_t n_count, size_t n_pad, size_t t0, size_t count) {
  const size_t tile = alpha - 2;
  const size_t plane = count * n_pad;
  for (size_t i = 0; i < count; i++) {
    size_t b, th, tw;
    tile_position(s, t0 + i, &b, &th, &tw);
    const float* g[(MAX_ALPHA - 2) * (MAX_ALPHA - 2)];
    for (size_t r = 0; r < tile; r++) {
      for (size_t q = 0; q < tile; q++) {
        const size_t oh = tile * th + r, ow = tile * tw + q;
        g[r * tile + q] = oh < s->out_h && ow < s->out_w ? dy + ((b * s->out_h + oh) * s->out_w + ow) * n_count : zero;
      }
    }
    float* out = z + i * n_pad;
    for (size_t n = 0; n < n_pad; n += 4) {
      const size_t lanes = n < n_count ? min_size(4, n_count - n) : 0;
      v128_t tmp[MAX_ALPHA * MAX_ALPHA];
      for (size_t q = 0; q < tile; q++) { /* columns: A dY */
        v128_t col[MAX_ALPHA - 2], res[MAX_ALPHA];
        for (size_t r = 0; r < tile; r++) col[r] = lanes ? load_lanes(g[r * tile + q] + n, lanes) : SPLAT(0.0f);
        a_apply(alpha, col, res);
        for (size_t r = 0; r < alpha; r++) tmp[r * alpha + q] = res[r];
      }
      for (size_t r = 0; r < alpha; r++) { /* rows: (A dY) A^T */
        v128_t res[MAX_ALPHA];
        a_apply(alpha, tmp + r * alpha, res);
        for (size_t q = 0; q < alpha; q++) wasm_v128_store(out + (r * alpha + q) * plane + n, res[q]);
      }
    }
  }
}

static void grad_transform(const float* dy, const float* zero, float* z, const wino_shape* s, size_t n_count, size_t n_pad,
                           size_t t0, size_t count) {
  if (s->alpha == 4) {
    grad_transform_n(4, dy, zero, z, s, n_count, n_pad, t0, count);
  } else {
    grad_transform_n(6, dy, zero, z, s, n_count, n_pad, t0, count);
  }
}

/* ---------------------------------------------------- forward / input grad */

EXPORT(w2s_winograd_conv_scratch)
size_t w2s_winograd_conv_scratch(uint32_t in_c, uint32_t out_c, uint32_t tile) {
  const size_t positions = (size_t)(tile + 2) * (tile + 2);
  const size_t n_pad = round_up(out_c, NR);
  const size_t floats = positions * in_c * n_pad         /* transformed filter */
                        + positions * TILE_BLOCK * in_c  /* transformed inputs */
                        + positions * TILE_BLOCK * n_pad /* products */
                        + round_up(in_c, 4) + n_pad + NR;
  return floats * sizeof(float) + 64;
}

/*
 * y = conv3x3(x, w) stride 1 (+ bias, ReLU) with tile 2 or 4. With flip,
 * computes the input gradient instead: x is dy (in_c = the forward's output
 * channels), w the forward filter [3][3][out_c][in_c], y is dx.
 */
EXPORT(w2s_winograd_conv)
void w2s_winograd_conv(const float* x, const float* w, const float* bias, float* y, void* scratch, uint32_t batch,
                       uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c,
                       uint32_t pad_top, uint32_t pad_left, uint32_t relu, uint32_t flip, uint32_t tile) {
  const wino_shape s = make_wino(batch, in_h, in_w, in_c, out_h, out_w, out_c, pad_top, pad_left, tile);
  const size_t positions = s.alpha * s.alpha;
  const size_t n_pad = round_up(s.out_c, NR);
  const size_t blocks = n_pad / NR;
  float* u = (float*)scratch;
  float* v = u + positions * s.in_c * n_pad;
  float* m = v + positions * TILE_BLOCK * s.in_c;
  float* zero = m + positions * TILE_BLOCK * n_pad;
  float* bias_pad = zero + round_up(s.in_c, 4);
  float* sink = bias_pad + n_pad;
  fill_zero(zero, round_up(s.in_c, 4));
  filter_transform(&s, w, u, s.in_c, s.out_c, (int)flip);
  if (bias) {
    for (size_t j = 0; j < n_pad; j++) bias_pad[j] = j < s.out_c ? bias[j] : 0.0f;
  }
  for (size_t t0 = 0; t0 < s.tiles; t0 += TILE_BLOCK) {
    const size_t count = min_size(TILE_BLOCK, s.tiles - t0);
    input_transform(x, zero, v, &s, s.in_c, t0, count);
    for (size_t p = 0; p < positions; p++) {
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
size_t w2s_winograd_filter_grad_scratch(uint32_t in_c, uint32_t out_c, uint32_t tile) {
  const size_t positions = (size_t)(tile + 2) * (tile + 2);
  const size_t n_pad = round_up(out_c, NR);
  const size_t floats = positions * in_c * out_c          /* accumulated products */
                        + positions * TILE_BLOCK * in_c   /* transformed inputs */
                        + positions * TILE_BLOCK * n_pad  /* transformed output gradients */
                        + round_up(in_c, 4) + round_up(out_c, 4);
  return floats * sizeof(float) + TILE_BLOCK * sizeof(float*) + 64;
}

/* dw[3][3][in_c][out_c] of a 3x3 stride-1 convolution from x and dy, with tile 2 or 4. */
EXPORT(w2s_winograd_filter_grad)
void w2s_winograd_filter_grad(const float* x, const float* dy, float* dw, void* scratch, uint32_t batch, uint32_t in_h,
                              uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c,
                              uint32_t pad_top, uint32_t pad_left, uint32_t tile) {
  const wino_shape s = make_wino(batch, in_h, in_w, in_c, out_h, out_w, out_c, pad_top, pad_left, tile);
  const size_t positions = s.alpha * s.alpha;
  const size_t n_pad = round_up(s.out_c, NR);
  const size_t co8 = s.out_c / NR * NR, ci4 = s.in_c / 4 * 4;
  float* acc = (float*)scratch;
  float* v = acc + positions * s.in_c * s.out_c;
  float* z = v + positions * TILE_BLOCK * s.in_c;
  float* zero_in = z + positions * TILE_BLOCK * n_pad;
  float* zero_out = zero_in + round_up(s.in_c, 4);
  const float** rows = (const float**)(zero_out + round_up(s.out_c, 4));
  fill_zero(acc, positions * s.in_c * s.out_c);
  fill_zero(zero_in, round_up(s.in_c, 4));
  fill_zero(zero_out, round_up(s.out_c, 4));
  for (size_t t0 = 0; t0 < s.tiles; t0 += TILE_BLOCK) {
    const size_t count = min_size(TILE_BLOCK, s.tiles - t0);
    input_transform(x, zero_in, v, &s, s.in_c, t0, count);
    grad_transform(dy, zero_out, z, &s, s.out_c, n_pad, t0, count);
    for (size_t p = 0; p < positions; p++) {
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
  /* dw = G^T M G per (ci, co). */
  const size_t pairs = s.in_c * s.out_c;
  const size_t alpha = s.alpha;
  for (size_t e = 0; e < pairs; e++) {
    float q[3 * MAX_ALPHA]; /* G^T M: 3 x alpha */
    for (size_t c = 0; c < alpha; c++) {
      float col[MAX_ALPHA], res[3];
      for (size_t r = 0; r < alpha; r++) col[r] = acc[(r * alpha + c) * pairs + e];
      gt_apply(alpha, col, res);
      for (size_t r = 0; r < 3; r++) q[r * alpha + c] = res[r];
    }
    for (size_t r = 0; r < 3; r++) {
      float res[3];
      gt_apply(alpha, q + r * alpha, res);
      for (size_t c = 0; c < 3; c++) dw[(r * 3 + c) * pairs + e] = res[c];
    }
  }
}
