/*
 * @umd/native-blas: a minimal N-API binding to a system BLAS's cblas_sgemm.
 *
 * The BLAS is opened at run time with dlopen (no BLAS headers or -dev package are needed to build, and the addon
 * loads on machines without any BLAS: `load` then reports why). Matrices are read and written in place inside one
 * Float32Array (in @umd/core: a view of the tfjs wasm backend's heap), addressed by element offsets; every extent
 * is bounds-checked against that array before BLAS is called.
 *
 * Exports:
 *   load(path: string) -> string                open the library, resolve cblas_sgemm; returns its config string
 *   threads() -> number                          BLAS threads (0 when the library cannot say)
 *   setThreads(n: number) -> undefined           when the library can set them (OpenBLAS, BLIS, MKL)
 *   sgemmBatched(heap: Float32Array, batch, transA, transB, M, N, K,
 *                aOffset, aStride, bOffset, bStride, cOffset, cStride) -> undefined
 *       for i < batch: C_i[M,N] = op(A_i)·op(B_i), row-major, where X_i starts at xOffset + i·xStride (elements);
 *       op(A) is [M,K] (stored [K,M] when transA), op(B) is [K,N] (stored [N,K] when transB). A stride of 0
 *       broadcasts one matrix over the batch.
 *   sumMiddle(heap: Float32Array, A, R, C, inOffset, outOffset) -> undefined
 *       out[a, c] = sum_r in[a, r, c] (float64 accumulation): a sum over axes that are not the innermost ones.
 *   unary(op: 0 = exp | 1 = erf, heap: Float32Array, n, inOffset, outOffset) -> undefined
 *       out[i] = op(in[i]) for i < n; exp to ~2 ulp (Cephes polynomial), erf to ~2e-7 absolute (a Taylor series
 *       below |x| = 0.5, Numerical Recipes' erfc above), NaN and infinities as libm.
 *   adamw(heap: Float32Array, n, pIn, mIn, vIn, gIn, pOut, mOut, vOut,
 *         beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, epsilonHat, decay) -> undefined
 *       one AdamW update of n elements, in float32 in the order of @umd/core's op-by-op update (bit-identical to it):
 *       m' = m·β1 + g·(1-β1); v' = v·β2 + g²·(1-β2); p' = p·decay - m'·stepSize / (√v' + ε̂). The three
 *       outputs must not overlap any other argument (checked).
 *
 * The element-wise loops are written without branches so the compiler vectorises them; on x86-64 Linux with GCC
 * they are compiled for AVX-512, AVX2 and the baseline, and the loader picks one for the CPU (target_clones).
 */
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <node_api.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*get_config_fn)(void);

static void *library = NULL;
static sgemm_fn sgemm = NULL;
static set_threads_fn set_threads = NULL;
static get_threads_fn get_threads = NULL;

#define CHECK(env, call)                                                                                               \
  do {                                                                                                                 \
    if ((call) != napi_ok) {                                                                                           \
      napi_throw_error((env), NULL, "umd_blas: N-API call failed: " #call);                                           \
      return NULL;                                                                                                     \
    }                                                                                                                  \
  } while (0)

static napi_value undefined_value(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

static napi_value load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "umd_blas.load(path): path must be a string");
    return NULL;
  }
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char *reason = dlerror();
    napi_throw_error(env, "ERR_UMD_BLAS_DLOPEN", reason ? reason : "dlopen failed");
    return NULL;
  }
  sgemm_fn found = (sgemm_fn)dlsym(handle, "cblas_sgemm");
  if (found == NULL) {
    dlclose(handle);
    napi_throw_error(env, "ERR_UMD_BLAS_SYMBOL", "the library has no cblas_sgemm");
    return NULL;
  }
  if (library != NULL && library != handle) dlclose(library);
  library = handle;
  sgemm = found;
  set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
  if (set_threads == NULL) set_threads = (set_threads_fn)dlsym(handle, "bli_thread_set_num_threads");
  if (set_threads == NULL) set_threads = (set_threads_fn)dlsym(handle, "MKL_Set_Num_Threads");
  get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
  if (get_threads == NULL) get_threads = (get_threads_fn)dlsym(handle, "bli_thread_get_num_threads");
  if (get_threads == NULL) get_threads = (get_threads_fn)dlsym(handle, "MKL_Get_Max_Threads");
  get_config_fn config = (get_config_fn)dlsym(handle, "openblas_get_config");
  const char *text = config != NULL ? config() : "";
  napi_value result;
  CHECK(env, napi_create_string_utf8(env, text ? text : "", NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(env, napi_create_int32(env, get_threads != NULL ? get_threads() : 0, &result));
  return result;
}

static napi_value set_threads_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t count = 0;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &count) != napi_ok || count < 1) {
    napi_throw_range_error(env, NULL, "umd_blas.setThreads(n): n must be an integer >= 1");
    return NULL;
  }
  if (set_threads != NULL) set_threads(count);
  return undefined_value(env);
}

/* Highest element index + 1 touched by `batch` matrices of `size` elements starting at offset, stride apart. */
static int64_t extent(int64_t offset, int64_t stride, int64_t batch, int64_t size) {
  return offset + (batch - 1) * stride + size;
}

static napi_value sgemm_batched(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (sgemm == NULL) {
    napi_throw_error(env, "ERR_UMD_BLAS_NOT_LOADED", "umd_blas.sgemmBatched: call load() first");
    return NULL;
  }
  if (argc != 13) {
    napi_throw_type_error(env, NULL, "umd_blas.sgemmBatched: expected 13 arguments");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array || data == NULL) {
    napi_throw_type_error(env, NULL, "umd_blas.sgemmBatched: heap must be a Float32Array");
    return NULL;
  }
  int64_t v[12];
  bool trans[2];
  for (int i = 0; i < 12; i++) {
    if (i == 1 || i == 2) {
      if (napi_get_value_bool(env, argv[i + 1], &trans[i - 1]) != napi_ok) {
        napi_throw_type_error(env, NULL, "umd_blas.sgemmBatched: transA/transB must be booleans");
        return NULL;
      }
      v[i] = 0;
    } else if (napi_get_value_int64(env, argv[i + 1], &v[i]) != napi_ok || v[i] < 0) {
      napi_throw_type_error(env, NULL, "umd_blas.sgemmBatched: sizes, offsets and strides must be integers >= 0");
      return NULL;
    }
  }
  const int64_t batch = v[0], m = v[3], n = v[4], k = v[5];
  const int64_t a_offset = v[6], a_stride = v[7], b_offset = v[8], b_stride = v[9], c_offset = v[10], c_stride = v[11];
  if (batch == 0 || m == 0 || n == 0) return undefined_value(env);
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    napi_throw_range_error(env, NULL, "umd_blas.sgemmBatched: a dimension exceeds 2^31 - 1");
    return NULL;
  }
  const int64_t size = (int64_t)length;
  if (extent(a_offset, a_stride, batch, m * k) > size || extent(b_offset, b_stride, batch, k * n) > size ||
      extent(c_offset, c_stride, batch, m * n) > size) {
    napi_throw_range_error(env, NULL, "umd_blas.sgemmBatched: a matrix extends past the end of the heap");
    return NULL;
  }
  float *heap = (float *)data;
  const int lda = trans[0] ? (int)m : (int)k;
  const int ldb = trans[1] ? (int)k : (int)n;
  for (int64_t i = 0; i < batch; i++) {
    float *c = heap + c_offset + i * c_stride;
    if (k == 0) {
      memset(c, 0, sizeof(float) * (size_t)(m * n));
      continue;
    }
    sgemm(ROW_MAJOR, trans[0] ? TRANS : NO_TRANS, trans[1] ? TRANS : NO_TRANS, (int)m, (int)n, (int)k, 1.0f,
          heap + a_offset + i * a_stride, lda, heap + b_offset + i * b_stride, ldb, 0.0f, c, (int)n);
  }
  return undefined_value(env);
}

/* Reads the Float32Array heap argument; throws and returns NULL when it is not one. */
static float *heap_of(napi_env env, napi_value value, int64_t *length, const char *function) {
  napi_typedarray_type type;
  size_t count = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &count, &data, NULL, NULL) != napi_ok || type != napi_float32_array ||
      data == NULL) {
    char message[128];
    snprintf(message, sizeof message, "umd_blas.%s: heap must be a Float32Array", function);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  *length = (int64_t)count;
  return (float *)data;
}

/* Reads `count` non-negative integers from argv; throws and returns false otherwise. */
static bool integers_of(napi_env env, const napi_value *argv, int count, int64_t *out, const char *function) {
  for (int i = 0; i < count; i++) {
    if (napi_get_value_int64(env, argv[i], &out[i]) != napi_ok || out[i] < 0) {
      char message[128];
      snprintf(message, sizeof message, "umd_blas.%s: sizes and offsets must be integers >= 0", function);
      napi_throw_type_error(env, NULL, message);
      return false;
    }
  }
  return true;
}

VECTOR_CLONES
static void sum_middle(const float *in, float *out, double *accumulator, int64_t a_size, int64_t r_size, int64_t c_size) {
  for (int64_t a = 0; a < a_size; a++) {
    for (int64_t c = 0; c < c_size; c++) accumulator[c] = 0.0;
    const float *row = in + a * r_size * c_size;
    for (int64_t r = 0; r < r_size; r++, row += c_size) {
      for (int64_t c = 0; c < c_size; c++) accumulator[c] += (double)row[c];
    }
    float *target = out + a * c_size;
    for (int64_t c = 0; c < c_size; c++) target[c] = (float)accumulator[c];
  }
}

static napi_value sum_middle_js(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) {
    napi_throw_type_error(env, NULL, "umd_blas.sumMiddle: expected 6 arguments");
    return NULL;
  }
  int64_t length = 0, v[5];
  float *heap = heap_of(env, argv[0], &length, "sumMiddle");
  if (heap == NULL || !integers_of(env, argv + 1, 5, v, "sumMiddle")) return NULL;
  const int64_t a_size = v[0], r_size = v[1], c_size = v[2], in_offset = v[3], out_offset = v[4];
  if (in_offset + a_size * r_size * c_size > length || out_offset + a_size * c_size > length) {
    napi_throw_range_error(env, NULL, "umd_blas.sumMiddle: a tensor extends past the end of the heap");
    return NULL;
  }
  if (a_size == 0 || c_size == 0) return undefined_value(env);
  double *accumulator = malloc(sizeof(double) * (size_t)c_size);
  if (accumulator == NULL) {
    napi_throw_error(env, NULL, "umd_blas.sumMiddle: out of memory");
    return NULL;
  }
  sum_middle(heap + in_offset, heap + out_offset, accumulator, a_size, r_size, c_size);
  free(accumulator);
  return undefined_value(env);
}

static inline float bits_to_float(int32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

/* e^x: Cephes' expf polynomial on x - n·ln2, scaled by 2^n in two halves (n in [-126, 128]); NaN stays NaN. */
static inline float exp_approx(float x) {
  const float low = x < -87.33654f ? -87.33654f : x;
  const float clamped = low > 88.72283f ? 88.72283f : low;
  /* n = round(x / ln2) with the 1.5·2^23 trick (branch-free, vectorises without SSE4.1). */
  const float n = (clamped * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = clamped - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t k = (int32_t)n;
  const int32_t half = k >> 1;
  const float result = y * bits_to_float((half + 127) << 23) * bits_to_float((k - half + 127) << 23);
  const float limited = x < -87.33654f ? 0.0f : x > 88.72283f ? INFINITY : result;
  return x != x ? x : limited;
}

/* erf(x): Taylor series to x^13 below |x| = 0.5; above, 1 - erfc with Numerical Recipes' erfc (rel. error < 1.2e-7). */
static inline float erf_approx(float x) {
  const float x2 = x * x;
  const float small =
      x * (1.1283791671f +
           x2 * (-0.37612638903f +
                 x2 * (0.11283791671f +
                       x2 * (-0.026866170645f + x2 * (0.0052239776254f + x2 * (-0.00085483270235f + x2 * 0.00012055332982f))))));
  const float z = fabsf(x);
  const float t = 1.0f / (1.0f + 0.5f * z);
  const float poly =
      -1.26551223f +
      t * (1.00002368f +
           t * (0.37409196f +
                t * (0.09678418f +
                     t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  const float erfc = t * exp_approx(poly - z * z);
  const float large = copysignf(1.0f - erfc, x);
  return z < 0.5f ? small : large;
}

VECTOR_CLONES
static void exp_loop(const float *in, float *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = exp_approx(in[i]);
}

VECTOR_CLONES
static void erf_loop(const float *in, float *out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = erf_approx(in[i]);
}

static napi_value unary_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) {
    napi_throw_type_error(env, NULL, "umd_blas.unary: expected 5 arguments");
    return NULL;
  }
  int64_t op = 0, length = 0, v[3];
  if (!integers_of(env, argv, 1, &op, "unary")) return NULL;
  float *heap = heap_of(env, argv[1], &length, "unary");
  if (heap == NULL || !integers_of(env, argv + 2, 3, v, "unary")) return NULL;
  const int64_t n = v[0], in_offset = v[1], out_offset = v[2];
  if (in_offset + n > length || out_offset + n > length) {
    napi_throw_range_error(env, NULL, "umd_blas.unary: a tensor extends past the end of the heap");
    return NULL;
  }
  switch (op) {
    case 0: exp_loop(heap + in_offset, heap + out_offset, n); break;
    case 1: erf_loop(heap + in_offset, heap + out_offset, n); break;
    default: napi_throw_range_error(env, NULL, "umd_blas.unary: op must be 0 (exp) or 1 (erf)"); return NULL;
  }
  return undefined_value(env);
}

VECTOR_CLONES
static void adamw_loop(const float *restrict p, const float *restrict m, const float *restrict v, const float *restrict g,
                       float *restrict p_out, float *restrict m_out, float *restrict v_out, int64_t n, const float *c) {
  const float beta1 = c[0], one_minus_beta1 = c[1], beta2 = c[2], one_minus_beta2 = c[3];
  const float step_size = c[4], epsilon_hat = c[5], decay = c[6];
  for (int64_t i = 0; i < n; i++) {
    const float gradient = g[i];
    const float m_next = m[i] * beta1 + gradient * one_minus_beta1;
    const float v_next = v[i] * beta2 + (gradient * gradient) * one_minus_beta2;
    const float update = (m_next * step_size) / (sqrtf(v_next) + epsilon_hat);
    p_out[i] = p[i] * decay - update;
    m_out[i] = m_next;
    v_out[i] = v_next;
  }
}

static napi_value adamw_js(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16) {
    napi_throw_type_error(env, NULL, "umd_blas.adamw: expected 16 arguments");
    return NULL;
  }
  int64_t length = 0, v[8];
  float *heap = heap_of(env, argv[0], &length, "adamw");
  if (heap == NULL || !integers_of(env, argv + 1, 8, v, "adamw")) return NULL;
  const int64_t n = v[0];
  for (int i = 1; i < 8; i++) {
    if (v[i] + n > length) {
      napi_throw_range_error(env, NULL, "umd_blas.adamw: a tensor extends past the end of the heap");
      return NULL;
    }
  }
  /* The outputs are written while the inputs are read (restrict): they must not overlap anything else. */
  for (int out = 5; out < 8; out++) {
    for (int other = 1; other < 8; other++) {
      if (other != out && n > 0 && v[out] < v[other] + n && v[other] < v[out] + n) {
        napi_throw_range_error(env, NULL, "umd_blas.adamw: an output overlaps another tensor");
        return NULL;
      }
    }
  }
  float constants[7];
  for (int i = 0; i < 7; i++) {
    double value = 0;
    if (napi_get_value_double(env, argv[9 + i], &value) != napi_ok) {
      napi_throw_type_error(env, NULL, "umd_blas.adamw: coefficients must be numbers");
      return NULL;
    }
    constants[i] = (float)value;
  }
  adamw_loop(heap + v[1], heap + v[2], heap + v[3], heap + v[4], heap + v[5], heap + v[6], heap + v[7], n, constants);
  return undefined_value(env);
}

/* Reads a loop call's arguments: argv[0] an op code in [0, op_max], argv[1] the heap, then `count` non-negative
 * integers into `ints`. Throws (naming `function`) and returns NULL on a wrong count or value. */
static float *loop_call(napi_env env, napi_callback_info info, const char *function, size_t argc, napi_value *argv, int64_t op_max,
                        int64_t *op, int64_t *length, int64_t *ints, int count) {
  size_t given = argc;
  if (napi_get_cb_info(env, info, &given, argv, NULL, NULL) != napi_ok || given != argc) {
    char message[128];
    snprintf(message, sizeof message, "umd_blas.%s: expected %zu arguments", function, argc);
    napi_throw_type_error(env, NULL, message);
    return NULL;
  }
  if (napi_get_value_int64(env, argv[0], op) != napi_ok || *op < 0 || *op > op_max) {
    char message[128];
    snprintf(message, sizeof message, "umd_blas.%s: op must be an integer from 0 to %lld", function, (long long)op_max);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  float *heap = heap_of(env, argv[1], length, function);
  if (heap == NULL || !integers_of(env, argv + 2, count, ints, function)) return NULL;
  return heap;
}

/* GELU (erf form) and its derivative: y = x * Phi(x), dx = dy * (Phi(x) + x * phi(x)), Phi(x) = 0.5 (1 + erf(x / sqrt 2)). */
VECTOR_CLONES
static void gelu_forward(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * (0.5f * (1.0f + erf_approx(x[i] * 0.70710678118654752f)));
}

VECTOR_CLONES
static void gelu_backward(const float *restrict dy, const float *restrict x, float *restrict dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float cdf = 0.5f * (1.0f + erf_approx(x[i] * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * exp_approx(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

/* gelu(op, heap, n, xOffset, dyOffset, outOffset): op 0 forward (x -> out; dyOffset unused), op 1 gradient (dy, x -> out). */
static napi_value gelu_js(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int64_t op = 0, length = 0, v[4];
  float *heap = loop_call(env, info, "gelu", 6, argv, 1, &op, &length, v, 4);
  if (heap == NULL) return NULL;
  const int64_t n = v[0];
  if (v[1] + n > length || v[3] + n > length || (op == 1 && v[2] + n > length)) {
    napi_throw_range_error(env, NULL, "umd_blas.gelu: a tensor extends past the end of the heap");
    return NULL;
  }
  if (op == 0) gelu_forward(heap + v[1], heap + v[3], n);
  else gelu_backward(heap + v[2], heap + v[1], heap + v[3], n);
  return undefined_value(env);
}

/* Softmax over rows of s floats, positions whose key mask is 0 left out (weight 0; a row with none kept is uniform).
 * Row r reads mask row r / rows_per_mask (a [B, S] key padding mask under [B, H, T, S] scores); mask NULL: none. */
VECTOR_CLONES
static void masked_softmax_forward(const float *restrict x, const float *restrict mask, float *restrict y, int64_t rows, int64_t s,
                                   int64_t rows_per_mask) {
  for (int64_t row = 0; row < rows; row++) {
    const float *in = x + row * s;
    const float *keep = mask == NULL ? NULL : mask + (row / rows_per_mask) * s;
    float *out = y + row * s;
    float top = -INFINITY;
    int64_t kept = 0;
    for (int64_t j = 0; j < s; j++) {
      if (keep != NULL && !(keep[j] > 0.5f)) continue;
      top = in[j] > top ? in[j] : top;
      kept++;
    }
    if (kept == 0) {
      for (int64_t j = 0; j < s; j++) out[j] = 1.0f / (float)s;
      continue;
    }
    double sum = 0.0;
    for (int64_t j = 0; j < s; j++) {
      const float e = (keep != NULL && !(keep[j] > 0.5f)) ? 0.0f : exp_approx(in[j] - top);
      out[j] = e;
      sum += (double)e;
    }
    const float scale = (float)(1.0 / sum);
    for (int64_t j = 0; j < s; j++) out[j] *= scale;
  }
}

/* The softmax gradient per row: dx = y * (dy - sum_j dy_j y_j), the sum in double. */
VECTOR_CLONES
static void softmax_backward(const float *restrict dy, const float *restrict y, float *restrict dx, int64_t rows, int64_t s) {
  for (int64_t row = 0; row < rows; row++) {
    const float *g = dy + row * s, *p = y + row * s;
    double dot = 0.0;
    for (int64_t j = 0; j < s; j++) dot += (double)(g[j] * p[j]);
    const float d = (float)dot;
    float *out = dx + row * s;
    for (int64_t j = 0; j < s; j++) out[j] = p[j] * (g[j] - d);
  }
}

/* softmax(op, heap, rows, s, rowsPerMask, a, b, out, hasMask): op 0 forward (a = x, b = mask if hasMask -> out), op 1
 * gradient (a = dy, b = y -> out). */
static napi_value softmax_js(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int64_t op = 0, length = 0, v[7];
  float *heap = loop_call(env, info, "softmax", 9, argv, 1, &op, &length, v, 7);
  if (heap == NULL) return NULL;
  const int64_t rows = v[0], s = v[1], rows_per_mask = v[2], a = v[3], b = v[4], out = v[5], has_mask = v[6];
  const int64_t n = rows * s;
  if (op == 0 && has_mask && (rows_per_mask < 1 || rows % rows_per_mask != 0)) {
    napi_throw_range_error(env, NULL, "umd_blas.softmax: rowsPerMask must divide rows");
    return NULL;
  }
  const int64_t b_size = op == 1 ? n : has_mask ? (rows / rows_per_mask) * s : 0;
  if (a + n > length || out + n > length || b + b_size > length) {
    napi_throw_range_error(env, NULL, "umd_blas.softmax: a tensor extends past the end of the heap");
    return NULL;
  }
  if (n == 0) return undefined_value(env);
  if (op == 0) masked_softmax_forward(heap + a, has_mask ? heap + b : NULL, heap + out, rows, s, rows_per_mask < 1 ? 1 : rows_per_mask);
  else softmax_backward(heap + a, heap + b, heap + out, rows, s);
  return undefined_value(env);
}

/* LayerNorm over rows of d floats: y = (x - mean) * rstd * gamma + beta, the statistics summed in double. */
VECTOR_CLONES
static void layer_norm_forward(const float *restrict x, const float *restrict gamma, const float *restrict beta, float *restrict y,
                               float *restrict mean, float *restrict rstd, int64_t rows, int64_t d, double epsilon) {
  for (int64_t row = 0; row < rows; row++) {
    const float *in = x + row * d;
    double sum = 0.0;
    for (int64_t j = 0; j < d; j++) sum += (double)in[j];
    const double mu = sum / (double)d;
    double squares = 0.0;
    for (int64_t j = 0; j < d; j++) {
      const double centered = (double)in[j] - mu;
      squares += centered * centered;
    }
    const float r = (float)(1.0 / sqrt(squares / (double)d + epsilon));
    const float m = (float)mu;
    float *out = y + row * d;
    for (int64_t j = 0; j < d; j++) out[j] = (in[j] - m) * r * gamma[j] + beta[j];
    mean[row] = m;
    rstd[row] = r;
  }
}

/* dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) per row, g = dy * gamma, xhat = (x - mean) * rstd. */
VECTOR_CLONES
static void layer_norm_input_grad(const float *restrict dy, const float *restrict x, const float *restrict mean, const float *restrict rstd,
                                  const float *restrict gamma, float *restrict dx, int64_t rows, int64_t d) {
  for (int64_t row = 0; row < rows; row++) {
    const float *g_row = dy + row * d, *x_row = x + row * d;
    const float m = mean[row], r = rstd[row];
    double sum_g = 0.0, sum_gx = 0.0;
    for (int64_t j = 0; j < d; j++) {
      const float g = g_row[j] * gamma[j];
      sum_g += (double)g;
      sum_gx += (double)(g * ((x_row[j] - m) * r));
    }
    const float mean_g = (float)(sum_g / (double)d), mean_gx = (float)(sum_gx / (double)d);
    float *out = dx + row * d;
    for (int64_t j = 0; j < d; j++) out[j] = r * (g_row[j] * gamma[j] - mean_g - (x_row[j] - m) * r * mean_gx);
  }
}

/* dgamma[j] = sum over rows of dy * xhat, accumulated in double. */
VECTOR_CLONES
static void layer_norm_scale_grad(const float *restrict dy, const float *restrict x, const float *restrict mean, const float *restrict rstd,
                                  float *restrict dgamma, double *restrict accumulator, int64_t rows, int64_t d) {
  for (int64_t j = 0; j < d; j++) accumulator[j] = 0.0;
  for (int64_t row = 0; row < rows; row++) {
    const float *g_row = dy + row * d, *x_row = x + row * d;
    const float m = mean[row], r = rstd[row];
    for (int64_t j = 0; j < d; j++) accumulator[j] += (double)(g_row[j] * ((x_row[j] - m) * r));
  }
  for (int64_t j = 0; j < d; j++) dgamma[j] = (float)accumulator[j];
}

/* layerNorm(op, heap, rows, d, offsets[6], epsilon): op 0 forward (x, gamma, beta -> y, mean, rstd), op 1 input
 * gradient (dy, x, mean, rstd, gamma -> dx), op 2 scale gradient (dy, x, mean, rstd -> dgamma). Element offsets. */
static napi_value layer_norm_js(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  int64_t op = 0, length = 0, v[8];
  float *heap = loop_call(env, info, "layerNorm", 11, argv, 2, &op, &length, v, 8);
  if (heap == NULL) return NULL;
  double epsilon = 0;
  if (napi_get_value_double(env, argv[10], &epsilon) != napi_ok) {
    napi_throw_type_error(env, NULL, "umd_blas.layerNorm: epsilon must be a number");
    return NULL;
  }
  const int64_t rows = v[0], d = v[1], n = rows * d;
  /* The extent of each operand: [rows, d] tensors, [rows] statistics, [d] parameters. */
  static const int kinds[3][6] = {{0, 2, 2, 0, 1, 1}, {0, 0, 1, 1, 2, 0}, {0, 0, 1, 1, 2, -1}};
  for (int k = 0; k < 6; k++) {
    const int kind = kinds[op][k];
    if (kind < 0) continue;
    const int64_t size = kind == 0 ? n : kind == 1 ? rows : d;
    if (v[2 + k] + size > length) {
      napi_throw_range_error(env, NULL, "umd_blas.layerNorm: a tensor extends past the end of the heap");
      return NULL;
    }
  }
  if (rows == 0 || d == 0) return undefined_value(env);
  float *o[6];
  for (int k = 0; k < 6; k++) o[k] = heap + v[2 + k];
  if (op == 0) {
    layer_norm_forward(o[0], o[1], o[2], o[3], o[4], o[5], rows, d, epsilon);
  } else if (op == 1) {
    layer_norm_input_grad(o[0], o[1], o[2], o[3], o[4], o[5], rows, d);
  } else {
    double *accumulator = malloc(sizeof(double) * (size_t)d);
    if (accumulator == NULL) {
      napi_throw_error(env, NULL, "umd_blas.layerNorm: out of memory");
      return NULL;
    }
    layer_norm_scale_grad(o[0], o[1], o[2], o[3], o[4], accumulator, rows, d);
    free(accumulator);
  }
  return undefined_value(env);
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"load", NULL, load, NULL, NULL, NULL, napi_enumerable, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, set_threads_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemmBatched", NULL, sgemm_batched, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumMiddle", NULL, sum_middle_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unary", NULL, unary_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamw", NULL, adamw_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNorm", NULL, layer_norm_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gelu", NULL, gelu_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmax", NULL, softmax_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
