/*
 * 2-D convolution, NHWC activations and HWIO filters (tfjs layouts), and its
 * two gradients. All three are indirect GEMMs over the same micro-kernels:
 * a table of row pointers replaces im2col, and a zero row stands in for
 * padding, so no patch matrix is ever materialised.
 *
 *   forward          y[p][co]  = sum_{t,ci} x[src(p,t)][ci] * w[t][ci][co]
 *   input gradient   dx[q][ci] = sum_{t,co} dy[dst(q,t)][co] * w[t][ci][co]
 *   filter gradient  dw[t][ci][co] = sum_p x[src(p,t)][ci] * dy[p][co]
 *
 * The input gradient of a strided convolution is split by output phase
 * (ih mod sh, iw mod sw): inside one phase the same taps contribute to every
 * pixel, so no multiply is spent on the zeros a dilated dy would hold.
 */
#include "common.h"

typedef struct {
  uint32_t batch, in_h, in_w, in_c, out_h, out_w, out_c;
  uint32_t k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
} conv_shape;

static conv_shape make_shape(uint32_t batch, uint32_t in_h, uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w,
                             uint32_t out_c, uint32_t k_h, uint32_t k_w, uint32_t stride_h, uint32_t stride_w, uint32_t dil_h,
                             uint32_t dil_w, uint32_t pad_top, uint32_t pad_left) {
  conv_shape s = {batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left};
  return s;
}

/* ---------------------------------------------------------------- forward */

/*
 * Below this many input channels a tap's row is too short to amortise the
 * micro-kernel's per-tap pointer loads (the first layer has 1 or 3), so the
 * tile's patches are gathered into rows of taps * channels (a small im2col)
 * and multiplied as one long row.
 */
#define GATHER_BELOW_CHANNELS 4

/* Bytes of scratch w2s_conv2d needs: zero row, packed filter, padded bias, pointer table, gathered patches. */
EXPORT(w2s_conv2d_scratch)
size_t w2s_conv2d_scratch(uint32_t in_c, uint32_t out_c, uint32_t k_h, uint32_t k_w) {
  const size_t taps = (size_t)k_h * k_w;
  const size_t n_pad = round_up(out_c, NR);
  const size_t floats = round_up(in_c, 4) + taps * in_c * n_pad + n_pad + NR + MR * round_up(taps * in_c, 4);
  return floats * sizeof(float) + taps * MR * sizeof(float*) + 64;
}

/* Packs w[t][k][n] (row stride n_total) into panels [n/NR][t][k][NR], zero-padding n. */
static void pack_panels(const float* w, float* packed, size_t taps, size_t k_dim, size_t n_total) {
  const size_t blocks = (n_total + NR - 1) / NR;
  for (size_t nb = 0; nb < blocks; nb++) {
    const size_t n0 = nb * NR;
    const size_t n = min_size(NR, n_total - n0);
    for (size_t t = 0; t < taps; t++) {
      for (size_t k = 0; k < k_dim; k++) {
        const float* src = w + (t * k_dim + k) * n_total + n0;
        size_t j = 0;
        for (; j < n; j++) packed[j] = src[j];
        for (; j < NR; j++) packed[j] = 0.0f;
        packed += NR;
      }
    }
  }
}

EXPORT(w2s_conv2d)
void w2s_conv2d(const float* x, const float* w, const float* bias, float* y, void* scratch, uint32_t batch, uint32_t in_h,
                uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c, uint32_t k_h, uint32_t k_w,
                uint32_t stride_h, uint32_t stride_w, uint32_t dil_h, uint32_t dil_w, uint32_t pad_top, uint32_t pad_left,
                uint32_t relu) {
  const conv_shape s = make_shape(batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w,
                                  pad_top, pad_left);
  const size_t taps = (size_t)s.k_h * s.k_w;
  const size_t n_pad = round_up(s.out_c, NR);
  const size_t blocks = n_pad / NR;
  float* zero = (float*)scratch;
  float* packed = zero + round_up(s.in_c, 4);
  float* bias_pad = packed + taps * s.in_c * n_pad;
  float* sink = bias_pad + n_pad;
  float* patches = sink + NR;
  const size_t patch_len = round_up(taps * s.in_c, 4);
  const float** ind = (const float**)(patches + MR * patch_len);
  const int gather = s.in_c < GATHER_BELOW_CHANNELS;

  fill_zero(zero, round_up(s.in_c, 4));
  pack_panels(w, packed, taps, s.in_c, s.out_c);
  if (bias) {
    for (size_t j = 0; j < n_pad; j++) bias_pad[j] = j < s.out_c ? bias[j] : 0.0f;
  }

  const size_t pixels = (size_t)s.out_h * s.out_w;
  for (size_t b = 0; b < s.batch; b++) {
    const float* xb = x + b * s.in_h * s.in_w * s.in_c;
    float* yb = y + b * pixels * s.out_c;
    for (size_t q0 = 0; q0 < pixels; q0 += MR) {
      float* out[MR];
      int valid[MR];
      for (size_t m = 0; m < MR; m++) {
        const size_t q = q0 + m < pixels ? q0 + m : pixels - 1;
        valid[m] = q0 + m < pixels;
        out[m] = yb + q * s.out_c;
        const long oh = (long)(q / s.out_w), ow = (long)(q % s.out_w);
        for (size_t kh = 0; kh < s.k_h; kh++) {
          const long ih = oh * s.stride_h + (long)(kh * s.dil_h) - s.pad_top;
          for (size_t kw = 0; kw < s.k_w; kw++) {
            const long iw = ow * s.stride_w + (long)(kw * s.dil_w) - s.pad_left;
            const int inside = ih >= 0 && ih < (long)s.in_h && iw >= 0 && iw < (long)s.in_w;
            ind[(kh * s.k_w + kw) * MR + m] = inside ? xb + ((size_t)ih * s.in_w + (size_t)iw) * s.in_c : zero;
          }
        }
      }
      const float* rows[MR];
      if (gather) {
        /* patch[m][t * in_c + c]: the packed filter's k index is t * in_c + c too. */
        for (size_t m = 0; m < MR; m++) {
          float* patch = patches + m * patch_len;
          for (size_t t = 0; t < taps; t++)
            for (size_t c = 0; c < s.in_c; c++) patch[t * s.in_c + c] = ind[t * MR + m][c];
          rows[m] = patch;
        }
      }
      for (size_t nb = 0; nb < blocks; nb++) {
        float* tile_out[MR];
        for (size_t m = 0; m < MR; m++) tile_out[m] = valid[m] ? out[m] + nb * NR : sink;
        const size_t n = min_size(NR, s.out_c - nb * NR);
        const float* panel = packed + nb * taps * s.in_c * NR;
        const float* tile_bias = bias ? bias_pad + nb * NR : 0;
        if (gather) {
          igemm_4x8(1, taps * s.in_c, rows, panel, tile_out, n, tile_bias, (int)relu);
        } else {
          igemm_4x8(taps, s.in_c, ind, panel, tile_out, n, tile_bias, (int)relu);
        }
      }
    }
  }
}

/* --------------------------------------------------------- input gradient */

EXPORT(w2s_conv2d_backprop_input_scratch)
size_t w2s_conv2d_backprop_input_scratch(uint32_t in_c, uint32_t out_c, uint32_t k_h, uint32_t k_w) {
  const size_t taps = (size_t)k_h * k_w;
  const size_t n_pad = round_up(in_c, NR);
  const size_t floats = round_up(out_c, 4) + taps * out_c * n_pad + NR;
  return floats * sizeof(float) + taps * MR * sizeof(float*) + 64;
}

/*
 * Packs, for the taps of one phase, w[kh][kw][ci][co] as panels
 * [ci/NR][t][co][NR] (the transpose the input gradient multiplies by).
 */
static float* pack_phase(const float* w, float* packed, const conv_shape* s, size_t kh0, size_t kw0, size_t* taps_out) {
  size_t taps = 0;
  for (size_t kh = kh0; kh < s->k_h; kh += s->stride_h)
    for (size_t kw = kw0; kw < s->k_w; kw += s->stride_w) taps++;
  *taps_out = taps;
  const size_t blocks = (s->in_c + NR - 1) / NR;
  for (size_t nb = 0; nb < blocks; nb++) {
    const size_t n0 = nb * NR;
    const size_t n = min_size(NR, s->in_c - n0);
    for (size_t kh = kh0; kh < s->k_h; kh += s->stride_h) {
      for (size_t kw = kw0; kw < s->k_w; kw += s->stride_w) {
        const float* wt = w + (kh * s->k_w + kw) * s->in_c * s->out_c;
        for (size_t co = 0; co < s->out_c; co++) {
          size_t j = 0;
          for (; j < n; j++) packed[j] = wt[(n0 + j) * s->out_c + co];
          for (; j < NR; j++) packed[j] = 0.0f;
          packed += NR;
        }
      }
    }
  }
  return packed;
}

EXPORT(w2s_conv2d_backprop_input)
void w2s_conv2d_backprop_input(const float* dy, const float* w, float* dx, void* scratch, uint32_t batch, uint32_t in_h,
                               uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c, uint32_t k_h,
                               uint32_t k_w, uint32_t stride_h, uint32_t stride_w, uint32_t pad_top, uint32_t pad_left) {
  const conv_shape s =
      make_shape(batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, 1, 1, pad_top, pad_left);
  const size_t taps_all = (size_t)s.k_h * s.k_w;
  const size_t n_pad = round_up(s.in_c, NR);
  const size_t blocks = n_pad / NR;
  float* zero = (float*)scratch;
  float* packed = zero + round_up(s.out_c, 4);
  float* sink = packed + taps_all * s.out_c * n_pad;
  const float** ind = (const float**)(sink + NR);
  fill_zero(zero, round_up(s.out_c, 4));

  for (size_t ph = 0; ph < s.stride_h; ph++) {
    for (size_t pw = 0; pw < s.stride_w; pw++) {
      /* Taps reaching input rows ih = ph (mod sh): kh = (ph + pad_top) (mod sh). */
      const size_t kh0 = (ph + s.pad_top) % s.stride_h;
      const size_t kw0 = (pw + s.pad_left) % s.stride_w;
      size_t taps;
      pack_phase(w, packed, &s, kh0, kw0, &taps);
      const size_t rows = ph < s.in_h ? (s.in_h - ph + s.stride_h - 1) / s.stride_h : 0;
      const size_t cols = pw < s.in_w ? (s.in_w - pw + s.stride_w - 1) / s.stride_w : 0;
      const size_t pixels = rows * cols;
      for (size_t b = 0; b < s.batch; b++) {
        const float* dyb = dy + b * s.out_h * s.out_w * s.out_c;
        float* dxb = dx + b * s.in_h * s.in_w * s.in_c;
        if (taps == 0) {
          for (size_t q = 0; q < pixels; q++) {
            const size_t ih = ph + (q / cols) * s.stride_h, iw = pw + (q % cols) * s.stride_w;
            fill_zero(dxb + (ih * s.in_w + iw) * s.in_c, s.in_c);
          }
          continue;
        }
        for (size_t q0 = 0; q0 < pixels; q0 += MR) {
          float* out[MR];
          int valid[MR];
          for (size_t m = 0; m < MR; m++) {
            const size_t q = q0 + m < pixels ? q0 + m : pixels - 1;
            valid[m] = q0 + m < pixels;
            const size_t ih = ph + (q / cols) * s.stride_h, iw = pw + (q % cols) * s.stride_w;
            out[m] = dxb + (ih * s.in_w + iw) * s.in_c;
            size_t t = 0;
            for (size_t kh = kh0; kh < s.k_h; kh += s.stride_h) {
              /* Exact division: kh was chosen so that ih + pad_top - kh = 0 (mod sh). */
              const long oh_num = (long)ih + s.pad_top - (long)kh;
              const long oh = oh_num / (long)s.stride_h;
              for (size_t kw = kw0; kw < s.k_w; kw += s.stride_w, t++) {
                const long ow_num = (long)iw + s.pad_left - (long)kw;
                const long ow = ow_num / (long)s.stride_w;
                const int inside = oh_num >= 0 && oh < (long)s.out_h && ow_num >= 0 && ow < (long)s.out_w;
                ind[t * MR + m] = inside ? dyb + ((size_t)oh * s.out_w + (size_t)ow) * s.out_c : zero;
              }
            }
          }
          for (size_t nb = 0; nb < blocks; nb++) {
            float* tile_out[MR];
            for (size_t m = 0; m < MR; m++) tile_out[m] = valid[m] ? out[m] + nb * NR : sink;
            const size_t n = min_size(NR, s.in_c - nb * NR);
            igemm_4x8(taps, s.out_c, ind, packed + nb * taps * s.out_c * NR, tile_out, n, 0, 0);
          }
        }
      }
    }
  }
}

/* -------------------------------------------------------- filter gradient */

/* Output pixels per pass: the chunk's dy rows and pointer table stay in L1. */
#define WGRAD_CHUNK 128

EXPORT(w2s_conv2d_backprop_filter_scratch)
size_t w2s_conv2d_backprop_filter_scratch(uint32_t in_c, uint32_t out_c, uint32_t k_h, uint32_t k_w) {
  (void)out_c;
  const size_t taps = (size_t)k_h * k_w;
  return round_up(in_c, 4) * sizeof(float) + taps * WGRAD_CHUNK * sizeof(float*) + 64;
}

/* dw[r][co] += sum_p a[p][r] * b[p][co] for one row r and columns [c0, c1). */
static void outer_row_scalar(size_t P, const float* const* a, size_t r, const float* b, size_t ldb, float* c, size_t c0,
                             size_t c1) {
  for (size_t co = c0; co < c1; co++) {
    float acc = c[co];
    for (size_t p = 0; p < P; p++) acc += a[p][r] * b[p * ldb + co];
    c[co] = acc;
  }
}

/* One row of 8 columns: for input-channel counts that are not a multiple of 4. */
static void outer_1x8(size_t P, const float* const* a, size_t r, const float* b, size_t ldb, float* c) {
  v128_t c0 = wasm_v128_load(c), c1 = wasm_v128_load(c + 4);
  for (size_t p = 0; p < P; p++) {
    const v128_t x = wasm_v128_load32_splat(a[p] + r);
    c0 = madd(c0, x, wasm_v128_load(b));
    c1 = madd(c1, x, wasm_v128_load(b + 4));
    b += ldb;
  }
  wasm_v128_store(c, c0);
  wasm_v128_store(c + 4, c1);
}

EXPORT(w2s_conv2d_backprop_filter)
void w2s_conv2d_backprop_filter(const float* x, const float* dy, float* dw, void* scratch, uint32_t batch, uint32_t in_h,
                                uint32_t in_w, uint32_t in_c, uint32_t out_h, uint32_t out_w, uint32_t out_c, uint32_t k_h,
                                uint32_t k_w, uint32_t stride_h, uint32_t stride_w, uint32_t dil_h, uint32_t dil_w,
                                uint32_t pad_top, uint32_t pad_left) {
  const conv_shape s = make_shape(batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w,
                                  pad_top, pad_left);
  const size_t taps = (size_t)s.k_h * s.k_w;
  float* zero = (float*)scratch;
  const float** ind = (const float**)(zero + round_up(s.in_c, 4));
  fill_zero(zero, round_up(s.in_c, 4));
  fill_zero(dw, taps * s.in_c * s.out_c);

  const size_t pixels = (size_t)s.out_h * s.out_w;
  const size_t ci4 = s.in_c / 4 * 4;
  const size_t co8 = s.out_c / NR * NR;
  for (size_t b = 0; b < s.batch; b++) {
    const float* xb = x + b * s.in_h * s.in_w * s.in_c;
    const float* dyb = dy + b * pixels * s.out_c;
    for (size_t p0 = 0; p0 < pixels; p0 += WGRAD_CHUNK) {
      const size_t P = min_size(WGRAD_CHUNK, pixels - p0);
      for (size_t p = 0; p < P; p++) {
        const long oh = (long)((p0 + p) / s.out_w), ow = (long)((p0 + p) % s.out_w);
        for (size_t kh = 0; kh < s.k_h; kh++) {
          const long ih = oh * s.stride_h + (long)(kh * s.dil_h) - s.pad_top;
          for (size_t kw = 0; kw < s.k_w; kw++) {
            const long iw = ow * s.stride_w + (long)(kw * s.dil_w) - s.pad_left;
            const int inside = ih >= 0 && ih < (long)s.in_h && iw >= 0 && iw < (long)s.in_w;
            ind[(kh * s.k_w + kw) * WGRAD_CHUNK + p] = inside ? xb + ((size_t)ih * s.in_w + (size_t)iw) * s.in_c : zero;
          }
        }
      }
      const float* dyc = dyb + p0 * s.out_c;
      for (size_t t = 0; t < taps; t++) {
        const float* const* a = ind + t * WGRAD_CHUNK;
        float* dwt = dw + t * s.in_c * s.out_c;
        for (size_t co = 0; co < co8; co += NR) {
          size_t ci = 0;
          for (; ci < ci4; ci += 4) outer_4x8(P, a, ci, dyc + co, s.out_c, dwt + ci * s.out_c + co, s.out_c);
          for (; ci < s.in_c; ci++) outer_1x8(P, a, ci, dyc + co, s.out_c, dwt + ci * s.out_c + co);
        }
        if (co8 < s.out_c) {
          for (size_t ci = 0; ci < s.in_c; ci++) outer_row_scalar(P, a, ci, dyc, s.out_c, dwt + ci * s.out_c, co8, s.out_c);
        }
      }
    }
  }
}
