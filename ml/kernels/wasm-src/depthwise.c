/*
 * Gradients of the depthwise convolution (filter [kh][kw][c][m], output
 * channel c*m_count + m reads input channel c only). Both walk the output
 * pixels once and scatter into a small accumulator; with a channel
 * multiplier of 1 (the usual case) the channel loop is SIMD.
 */
#include "common.h"

typedef struct {
  size_t batch, in_h, in_w, channels, mult, out_h, out_w, k_h, k_w, stride_h, stride_w, dil_h, dil_w;
  long pad_top, pad_left;
} dw_shape;

/* acc[c] += a[c] * b[c] for c < n. */
static inline void mul_acc(float* acc, const float* a, const float* b, size_t n) {
  size_t c = 0;
  for (; c + 4 <= n; c += 4) {
    wasm_v128_store(acc + c, madd(wasm_v128_load(acc + c), wasm_v128_load(a + c), wasm_v128_load(b + c)));
  }
  for (; c < n; c++) acc[c] += a[c] * b[c];
}

EXPORT(w2s_depthwise_backprop_filter)
void w2s_depthwise_backprop_filter(const float* x, const float* dy, float* dw, uint32_t batch, uint32_t in_h, uint32_t in_w,
                                   uint32_t channels, uint32_t mult, uint32_t out_h, uint32_t out_w, uint32_t k_h,
                                   uint32_t k_w, uint32_t stride_h, uint32_t stride_w, uint32_t dil_h, uint32_t dil_w,
                                   uint32_t pad_top, uint32_t pad_left) {
  const dw_shape s = {batch, in_h, in_w, channels, mult, out_h, out_w, k_h, k_w, stride_h, stride_w, dil_h, dil_w,
                      (long)pad_top, (long)pad_left};
  const size_t out_c = s.channels * s.mult;
  fill_zero(dw, s.k_h * s.k_w * out_c);
  for (size_t b = 0; b < s.batch; b++) {
    for (size_t oh = 0; oh < s.out_h; oh++) {
      for (size_t ow = 0; ow < s.out_w; ow++) {
        const float* g = dy + ((b * s.out_h + oh) * s.out_w + ow) * out_c;
        for (size_t kh = 0; kh < s.k_h; kh++) {
          const long ih = (long)(oh * s.stride_h + kh * s.dil_h) - s.pad_top;
          if (ih < 0 || ih >= (long)s.in_h) continue;
          for (size_t kw = 0; kw < s.k_w; kw++) {
            const long iw = (long)(ow * s.stride_w + kw * s.dil_w) - s.pad_left;
            if (iw < 0 || iw >= (long)s.in_w) continue;
            const float* xr = x + ((b * s.in_h + (size_t)ih) * s.in_w + (size_t)iw) * s.channels;
            float* acc = dw + (kh * s.k_w + kw) * out_c;
            if (s.mult == 1) {
              mul_acc(acc, xr, g, s.channels);
            } else {
              for (size_t c = 0; c < s.channels; c++)
                for (size_t m = 0; m < s.mult; m++) acc[c * s.mult + m] += xr[c] * g[c * s.mult + m];
            }
          }
        }
      }
    }
  }
}

EXPORT(w2s_depthwise_backprop_input)
void w2s_depthwise_backprop_input(const float* dy, const float* w, float* dx, uint32_t batch, uint32_t in_h, uint32_t in_w,
                                  uint32_t channels, uint32_t mult, uint32_t out_h, uint32_t out_w, uint32_t k_h,
                                  uint32_t k_w, uint32_t stride_h, uint32_t stride_w, uint32_t dil_h, uint32_t dil_w,
                                  uint32_t pad_top, uint32_t pad_left) {
  const dw_shape s = {batch, in_h, in_w, channels, mult, out_h, out_w, k_h, k_w, stride_h, stride_w, dil_h, dil_w,
                      (long)pad_top, (long)pad_left};
  const size_t out_c = s.channels * s.mult;
  fill_zero(dx, s.batch * s.in_h * s.in_w * s.channels);
  for (size_t b = 0; b < s.batch; b++) {
    for (size_t oh = 0; oh < s.out_h; oh++) {
      for (size_t ow = 0; ow < s.out_w; ow++) {
        const float* g = dy + ((b * s.out_h + oh) * s.out_w + ow) * out_c;
        for (size_t kh = 0; kh < s.k_h; kh++) {
          const long ih = (long)(oh * s.stride_h + kh * s.dil_h) - s.pad_top;
          if (ih < 0 || ih >= (long)s.in_h) continue;
          for (size_t kw = 0; kw < s.k_w; kw++) {
            const long iw = (long)(ow * s.stride_w + kw * s.dil_w) - s.pad_left;
            if (iw < 0 || iw >= (long)s.in_w) continue;
            float* acc = dx + ((b * s.in_h + (size_t)ih) * s.in_w + (size_t)iw) * s.channels;
            const float* wt = w + (kh * s.k_w + kw) * out_c;
            if (s.mult == 1) {
              mul_acc(acc, g, wt, s.channels);
            } else {
              for (size_t c = 0; c < s.channels; c++) {
                float sum = 0.0f;
                for (size_t m = 0; m < s.mult; m++) sum += g[c * s.mult + m] * wt[c * s.mult + m];
                acc[c] += sum;
              }
            }
          }
        }
      }
    }
  }
}
