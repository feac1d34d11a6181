/*
 * Max-pooling gradient. Each output's gradient goes to the first maximum of
 * its window in row-major order (ties, such as the zeros ReLU leaves, go to
 * the earliest), as on tfjs's cpu backend and in PyTorch. tfjs-backend-wasm's
 * own kernel seeds its running maximum with FLT_MIN, so windows of zeros or
 * negatives send their gradient to the wrong element.
 */
#include "common.h"

EXPORT(w2s_max_pool_grad)
void w2s_max_pool_grad(const float* x, const float* dy, float* dx, uint32_t batch, uint32_t in_h, uint32_t in_w,
                       uint32_t channels, uint32_t out_h, uint32_t out_w, uint32_t k_h, uint32_t k_w, uint32_t stride_h,
                       uint32_t stride_w, uint32_t dil_h, uint32_t dil_w, uint32_t pad_top, uint32_t pad_left) {
  const size_t c_count = channels;
  const size_t c4 = c_count / 4 * 4;
  fill_zero(dx, (size_t)batch * in_h * in_w * c_count);
  for (size_t b = 0; b < batch; b++) {
    const float* xb = x + b * in_h * in_w * c_count;
    float* dxb = dx + b * in_h * in_w * c_count;
    for (size_t oh = 0; oh < out_h; oh++) {
      for (size_t ow = 0; ow < out_w; ow++) {
        const float* g = dy + ((b * out_h + oh) * out_w + ow) * c_count;
        /* SIMD over 4 channels: track the best value and the element offset holding it. */
        for (size_t c = 0; c < c4; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (size_t kh = 0; kh < k_h; kh++) {
            const long ih = (long)(oh * stride_h + kh * dil_h) - (long)pad_top;
            if (ih < 0 || ih >= (long)in_h) continue;
            for (size_t kw = 0; kw < k_w; kw++) {
              const long iw = (long)(ow * stride_w + kw * dil_w) - (long)pad_left;
              if (iw < 0 || iw >= (long)in_w) continue;
              const int32_t offset = (int32_t)(((size_t)ih * in_w + (size_t)iw) * c_count + c);
              const v128_t v = wasm_v128_load(xb + offset);
              /* Strictly greater keeps the first maximum; the window's first element is taken unconditionally. */
              const v128_t take = wasm_v128_or(wasm_f32x4_gt(v, best), wasm_i32x4_eq(where, wasm_i32x4_splat(-1)));
              best = wasm_v128_bitselect(v, best, take);
              where = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(offset), wasm_i32x4_make(0, 1, 2, 3)), where, take);
            }
          }
          int32_t at[4];
          wasm_v128_store(at, where);
          for (size_t l = 0; l < 4; l++) {
            if (at[l] >= 0) dxb[at[l]] += g[c + l];
          }
        }
        for (size_t c = c4; c < c_count; c++) {
          float best = -__builtin_inff();
          long at = -1;
          for (size_t kh = 0; kh < k_h; kh++) {
            const long ih = (long)(oh * stride_h + kh * dil_h) - (long)pad_top;
            if (ih < 0 || ih >= (long)in_h) continue;
            for (size_t kw = 0; kw < k_w; kw++) {
              const long iw = (long)(ow * stride_w + kw * dil_w) - (long)pad_left;
              if (iw < 0 || iw >= (long)in_w) continue;
              const long offset = (ih * (long)in_w + iw) * (long)c_count + (long)c;
              if (at < 0 || xb[offset] > best) {
                best = xb[offset];
                at = offset;
              }
            }
          }
          if (at >= 0) dxb[at] += g[c];
        }
      }
    }
  }
}
