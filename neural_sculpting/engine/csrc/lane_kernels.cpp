// The lanes' forward and backward passes, one lane after another (engine rules 5).
//
// The lanes are masked ReLU MLPs of a few to a few dozen units a layer. Batched matrix products
// of such sizes spend most of their time outside arithmetic (a library call per lane and layer,
// packing, dispatch), so each lane's whole pass runs here from its own small matrices, which stay
// in the core's cache. Activations are kept feature-major ([width][rows]), so the products run
// along the batch's rows, which fill whole vectors where the layers are a few units wide. Every output element is its initial value followed by one fused
// multiply-add per term, in the order of the summed index, whether eight columns go at once
// (AVX2) or one (the scalar path): so a lane's numbers depend on nothing but its own operands
// (not on the other lanes, the thread count or the vector width), and a run repeats bit for bit.

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define LANE_KERNELS_AVX2 1
#endif

namespace {

// C[m][n] = init[m] (0 without init) + sum over k = 0..K-1 of A(m, k) * B[k][n], for MR rows m:
// A(m, k) = A[m * am + k * ak] (any strides), B row-major with leading dimension ldb.
template <int MR>
void rows(int N, int K, const float* A, long am, long ak, const float* B, long ldb, float* C,
          long ldc, const float* init) {
  int n = 0;
#ifdef LANE_KERNELS_AVX2
  for (; n + 16 <= N; n += 16) {
    __m256 acc[MR][2];
    for (int r = 0; r < MR; ++r)
      acc[r][0] = acc[r][1] = init ? _mm256_set1_ps(init[r]) : _mm256_setzero_ps();
    for (int k = 0; k < K; ++k) {
      const float* b = B + k * ldb + n;
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      for (int r = 0; r < MR; ++r) {
        const __m256 a = _mm256_broadcast_ss(A + r * am + k * ak);
        acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
      }
    }
    for (int r = 0; r < MR; ++r) {
      _mm256_storeu_ps(C + r * ldc + n, acc[r][0]);
      _mm256_storeu_ps(C + r * ldc + n + 8, acc[r][1]);
    }
  }
  while (n < N) {
    // Eight columns, or the last one to seven as a masked vector (the masked-off elements are
    // neither read nor written).
    // (Whole vectors unmasked: masked stores are slow on some cores.)
    alignas(32) int bits[8];
    for (int j = 0; j < 8; ++j) bits[j] = j < N - n ? -1 : 0;
    const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(bits));
    const bool whole = N - n >= 8;
    __m256 acc[MR];
    for (int r = 0; r < MR; ++r) acc[r] = init ? _mm256_set1_ps(init[r]) : _mm256_setzero_ps();
    for (int k = 0; k < K; ++k) {
      const float* b = B + k * ldb + n;
      const __m256 b0 = whole ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, mask);
      for (int r = 0; r < MR; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * am + k * ak), b0, acc[r]);
    }
    for (int r = 0; r < MR; ++r) {
      if (whole)
        _mm256_storeu_ps(C + r * ldc + n, acc[r]);
      else
        _mm256_maskstore_ps(C + r * ldc + n, mask, acc[r]);
    }
    n += 8;
  }
#else
  for (; n < N; ++n) {
    for (int r = 0; r < MR; ++r) {
      float c = init ? init[r] : 0.f;
      for (int k = 0; k < K; ++k) c = std::fma(A[r * am + k * ak], B[k * ldb + n], c);
      C[r * ldc + n] = c;
    }
  }
#endif
}

// C [M, N] = init (one value per row) + A [M, K] B [K, N] (A by strides, as in `rows`).
void gemm(int M, int N, int K, const float* A, long am, long ak, const float* B, long ldb,
          float* C, long ldc, const float* init) {
  int m = 0;
  for (; m + 4 <= M; m += 4)
    rows<4>(N, K, A + m * am, am, ak, B, ldb, C + m * ldc, ldc, init ? init + m : nullptr);
  for (; m < M; ++m)
    rows<1>(N, K, A + m * am, am, ak, B, ldb, C + m * ldc, ldc, init ? init + m : nullptr);
}

#ifdef LANE_KERNELS_AVX2
// out[c][r] = in[r][c] for an 8 x 8 block (leading dimensions ldi, ldo): unpack, shuffle and
// swap halves, the usual eight-register transpose. It only moves values.
inline void transpose8(const float* in, long ldi, float* out, long ldo) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * ldi);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * ldo, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * ldo, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#endif

// out [cols][rows] = in [rows][cols]^T (8 x 8 blocks by vector where there are, the rest one
// element at a time: values are only moved, so both give the same result).
void transpose(long rows, long cols, const float* in, float* out) {
  long r0 = 0;
#ifdef LANE_KERNELS_AVX2
  for (; r0 + 8 <= rows; r0 += 8) {
    long c = 0;
    for (; c + 8 <= cols; c += 8) transpose8(in + r0 * cols + c, cols, out + c * rows + r0, rows);
    for (long r = r0; r < r0 + 8; ++r)
      for (long cc = c; cc < cols; ++cc) out[cc * rows + r] = in[r * cols + cc];
  }
#endif
  for (long r = r0; r < rows; ++r)
    for (long c = 0; c < cols; ++c) out[c * rows + r] = in[r * cols + c];
}

// The sum of x[0..n): eight running sums (x[j] into sum j mod 8, in order), then added in a
// fixed tree, so the result depends on nothing but x.
float sum(const float* x, long n) {
  float part[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  long j = 0;
  for (; j + 8 <= n; j += 8)
    for (int t = 0; t < 8; ++t) part[t] += x[j + t];
  for (int t = 0; j < n; ++j, ++t) part[t] += x[j];
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

struct Shape {
  long lanes, rows;
  std::vector<long> widths;  // input, hidden..., output
  long widest() const { return *std::max_element(widths.begin(), widths.end()); }
};

Shape shape_of(const at::Tensor& x, const std::vector<at::Tensor>& weights,
               const std::vector<at::Tensor>& biases) {
  TORCH_CHECK(x.dim() == 3 && x.scalar_type() == at::kFloat && x.is_contiguous() && x.is_cpu(),
              "x must be a contiguous float32 CPU tensor [lanes, rows, inputs]");
  TORCH_CHECK(!weights.empty() && weights.size() == biases.size(),
              "one bias per weight, at least one layer");
  Shape s{x.size(0), x.size(1), {x.size(2)}};
  for (size_t k = 0; k < weights.size(); ++k) {
    const at::Tensor& w = weights[k];
    const at::Tensor& b = biases[k];
    TORCH_CHECK(w.dim() == 3 && w.size(0) == s.lanes && w.size(2) == s.widths.back() &&
                    w.is_contiguous() && w.scalar_type() == at::kFloat && w.is_cpu(),
                "weight ", k, " must be contiguous float32 [lanes, out, in] matching the input");
    TORCH_CHECK(b.dim() == 2 && b.size(0) == s.lanes && b.size(1) == w.size(1) &&
                    b.is_contiguous() && b.scalar_type() == at::kFloat && b.is_cpu(),
                "bias ", k, " must be contiguous float32 [lanes, out]");
    s.widths.push_back(w.size(1));
  }
  return s;
}

void check(const at::Tensor& t, long lanes, long d1, long d2, const char* what) {
  TORCH_CHECK(t.dim() == 3 && t.size(0) == lanes && t.size(1) == d1 && t.size(2) == d2 &&
                  t.is_contiguous() && t.scalar_type() == at::kFloat && t.is_cpu(),
              what, " must be a contiguous float32 CPU tensor [", lanes, ", ", d1, ", ", d2, "]");
}

}  // namespace

// Logits of every lane [L, B, n_out] into `logits`. With `hidden` (per hidden layer a
// [L, width, B] tensor: feature-major), the post-ReLU activations are kept there for
// `backward`; without, they are scratch.
void forward(const at::Tensor& x, const std::vector<at::Tensor>& weights,
             const std::vector<at::Tensor>& biases, const std::vector<at::Tensor>& hidden,
             const at::Tensor& logits) {
  const Shape s = shape_of(x, weights, biases);
  const size_t n = weights.size();
  const long R = s.rows;
  TORCH_CHECK(hidden.empty() || hidden.size() == n - 1, "one hidden tensor per hidden layer");
  for (size_t k = 0; k < hidden.size(); ++k) check(hidden[k], s.lanes, s.widths[k + 1], R, "hidden");
  check(logits, s.lanes, R, s.widths[n], "logits");
  at::parallel_for(0, s.lanes, 1, [&](long begin, long end) {
    std::vector<float> in_t(s.widest() * R), scratch(s.widest() * R), out_t(s.widest() * R);
    for (long l = begin; l < end; ++l) {
      transpose(R, s.widths[0], x.data_ptr<float>() + l * R * s.widths[0], in_t.data());
      const float* a = in_t.data();
      for (size_t k = 0; k < n; ++k) {
        const long in = s.widths[k], out = s.widths[k + 1];
        const float* W = weights[k].data_ptr<float>() + l * out * in;
        float* z = k + 1 == n    ? out_t.data()
                   : hidden.empty() ? (a == scratch.data() ? in_t.data() : scratch.data())
                                    : hidden[k].data_ptr<float>() + l * out * R;
        gemm(out, R, in, W, in, 1, a, R, z, R, biases[k].data_ptr<float>() + l * out);
        if (k + 1 < n)
          for (long j = 0; j < out * R; ++j) z[j] = z[j] < 0.f ? 0.f : z[j];
        a = z;
      }
      transpose(s.widths[n], R, out_t.data(), logits.data_ptr<float>() + l * R * s.widths[n]);
    }
  });
}

// Gradients of every lane from the loss gradient `g` [L, B, n_out] and `forward`'s kept
// activations: per layer, last first, dW = g^T a and db = the sum of g over the rows into
// `grad_w` and `grad_b`; then, but for the first layer, g = g W through the ReLU (0 where the
// activation is not positive).
void backward(const at::Tensor& g, const at::Tensor& x, const std::vector<at::Tensor>& hidden,
              const std::vector<at::Tensor>& weights, const std::vector<at::Tensor>& biases,
              const std::vector<at::Tensor>& grad_w, const std::vector<at::Tensor>& grad_b) {
  const Shape s = shape_of(x, weights, biases);
  const size_t n = weights.size();
  const long R = s.rows;
  TORCH_CHECK(hidden.size() == n - 1 && grad_w.size() == n && grad_b.size() == n,
              "hidden activations for every hidden layer, gradients for every layer");
  check(g, s.lanes, R, s.widths[n], "g");
  for (size_t k = 0; k < n; ++k) {
    TORCH_CHECK(grad_w[k].sizes() == weights[k].sizes() && grad_w[k].is_contiguous() &&
                    grad_b[k].sizes() == biases[k].sizes() && grad_b[k].is_contiguous(),
                "gradients must be shaped like the parameters, contiguous");
    if (k + 1 < n) check(hidden[k], s.lanes, s.widths[k + 1], R, "hidden");
  }
  at::parallel_for(0, s.lanes, 1, [&](long begin, long end) {
    std::vector<float> up(s.widest() * R), down(s.widest() * R), a_rows(s.widest() * R);
    for (long l = begin; l < end; ++l) {
      transpose(R, s.widths[n], g.data_ptr<float>() + l * R * s.widths[n], up.data());
      for (size_t k = n; k-- > 0;) {
        const long in = s.widths[k], out = s.widths[k + 1];
        // This layer's input, row-major (for dW) and, above the first layer, feature-major.
        const float* a = x.data_ptr<float>() + l * R * in;
        const float* a_t = nullptr;
        if (k > 0) {
          a_t = hidden[k - 1].data_ptr<float>() + l * in * R;
          transpose(in, R, a_t, a_rows.data());
          a = a_rows.data();
        }
        gemm(out, in, R, up.data(), R, 1, a, in, grad_w[k].data_ptr<float>() + l * out * in, in,
             nullptr);
        float* gb = grad_b[k].data_ptr<float>() + l * out;
        for (long o = 0; o < out; ++o) gb[o] = sum(up.data() + o * R, R);
        if (k == 0) break;
        const float* W = weights[k].data_ptr<float>() + l * out * in;
        gemm(in, R, out, W, 1, in, up.data(), R, down.data(), R, nullptr);
        for (long j = 0; j < in * R; ++j) up[j] = a_t[j] > 0.f ? down[j] : 0.f;
      }
    }
  });
}

// Every lane's epoch plan: the generator reseeded with the lane's seed, a shuffle of the rows into
// order[l], then (with noise) standard normal draws into noise[l]. The very ATen calls
// `torch.Generator.manual_seed`, `torch.randperm(out=)` and `Tensor.normal_` make, so the same
// numbers; from here they skip Python's argument parsing and autograd's dispatch, which were most
// of their cost at a table's sixteen rows.
void epoch_plan(at::Generator gen, const std::vector<uint64_t>& seeds, at::Tensor order,
                const c10::optional<at::Tensor>& noise) {
  const long lanes = static_cast<long>(seeds.size());
  TORCH_CHECK(order.dim() == 2 && order.size(0) == lanes && order.scalar_type() == at::kLong &&
                  order.is_contiguous() && order.device().is_cpu(),
              "order must be a contiguous CPU int64 [lanes, rows]");
  TORCH_CHECK(!noise || (noise->dim() == 3 && noise->size(0) == lanes &&
                         noise->size(1) == order.size(1) && noise->is_contiguous() &&
                         noise->device().is_cpu()),
              "noise must be a contiguous CPU [lanes, rows, inputs]");
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  const long rows = order.size(1);
  for (long l = 0; l < lanes; ++l) {
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seeds[l]);
    }
    at::Tensor lane_order = order.select(0, l);
    at::randperm_out(lane_order, rows, gen);
    if (noise) noise->select(0, l).normal_(0.0, 1.0, gen);
  }
}

// Batches start/batch .. start/batch + count - 1 of every lane's epoch into x [count, L, b, n] and
// y [count, L, b, m]: lane l's row i of its epoch is task row base[l] + order[l][i] of `rows_x`
// and `rows_y` ([tasks x rows, width], float32), plus noise[l][i] (one float addition, as
// `torch.add`). The gather and addition `LaneData.batches` makes by `index_select` and `add`.
void gather_batches(const at::Tensor& order, const c10::optional<at::Tensor>& noise,
                    const at::Tensor& rows_x, const at::Tensor& rows_y, const at::Tensor& base,
                    long start, const at::Tensor& x, const at::Tensor& y) {
  const long count = x.size(0), lanes = x.size(1), batch = x.size(2);
  const long n = rows_x.size(1), m = rows_y.size(1), total = order.size(1);
  auto float_2d = [](const at::Tensor& t) {
    return t.dim() == 2 && t.is_contiguous() && t.scalar_type() == at::kFloat && t.is_cpu();
  };
  TORCH_CHECK(float_2d(rows_x) && float_2d(rows_y), "rows must be contiguous float32 [rows, width]");
  TORCH_CHECK(order.dim() == 2 && order.size(0) == lanes && order.is_contiguous() &&
                  order.scalar_type() == at::kLong && base.numel() == lanes &&
                  base.is_contiguous() && base.scalar_type() == at::kLong && base.is_cpu(),
              "order [lanes, rows] and base [lanes] must be contiguous CPU int64");
  TORCH_CHECK(x.dim() == 4 && x.size(3) == n && x.is_contiguous() &&
                  x.scalar_type() == at::kFloat && y.dim() == 4 && y.size(0) == count &&
                  y.size(1) == lanes && y.size(2) == batch && y.size(3) == m &&
                  y.is_contiguous() && y.scalar_type() == at::kFloat,
              "x and y must be contiguous float32 [count, lanes, batch, width]");
  TORCH_CHECK(start >= 0 && start + count * batch <= total, "batches past the epoch's rows");
  TORCH_CHECK(!noise || (noise->dim() == 3 && noise->size(0) == lanes &&
                         noise->size(1) == total && noise->size(2) == n &&
                         noise->is_contiguous() && noise->scalar_type() == at::kFloat),
              "noise must be contiguous float32 [lanes, rows, inputs]");
  const int64_t* o = order.data_ptr<int64_t>();
  const int64_t* b = base.data_ptr<int64_t>();
  const float* rx = rows_x.data_ptr<float>();
  const float* ry = rows_y.data_ptr<float>();
  const float* z = noise ? noise->data_ptr<float>() : nullptr;
  const long n_rows_x = rows_x.size(0);
  float* xo = x.data_ptr<float>();
  float* yo = y.data_ptr<float>();
  for (long j = 0; j < count; ++j)
    for (long l = 0; l < lanes; ++l)
      for (long r = 0; r < batch; ++r) {
        const long i = start + j * batch + r;
        const int64_t row = b[l] + o[l * total + i];
        TORCH_CHECK(row >= 0 && row < n_rows_x, "row ", row, " out of range");
        const long at = (j * lanes + l) * batch + r;
        const float* src = rx + row * n;
        float* dst = xo + at * n;
        if (z) {
          const float* add = z + (l * total + i) * n;
          for (long c = 0; c < n; ++c) dst[c] = src[c] + add[c];
        } else {
          std::copy(src, src + n, dst);
        }
        std::copy(ry + row * m, ry + row * m + m, yo + at * m);
      }
}

// Per lane, the output bits right at 0.5: the count of (logits > 0) == truth over its rows and
// outputs (as `((logits > 0) == truth).sum(dim=(1, 2))`, an exact integer either way).
at::Tensor bits_right(const at::Tensor& logits, const at::Tensor& truth) {
  TORCH_CHECK(logits.dim() == 3 && logits.is_contiguous() && logits.scalar_type() == at::kFloat &&
                  logits.is_cpu(),
              "logits must be a contiguous float32 CPU tensor [lanes, rows, outputs]");
  TORCH_CHECK(truth.sizes() == logits.sizes() && truth.is_contiguous() &&
                  truth.scalar_type() == at::kBool && truth.is_cpu(),
              "truth must be a contiguous bool CPU tensor shaped like the logits");
  const long lanes = logits.size(0), per = logits.size(1) * logits.size(2);
  at::Tensor out = at::empty({lanes}, at::kLong);
  const float* z = logits.data_ptr<float>();
  const bool* t = truth.data_ptr<bool>();
  int64_t* o = out.data_ptr<int64_t>();
  for (long l = 0; l < lanes; ++l) {
    int64_t right = 0;
    long j = l * per;
    const long end = (l + 1) * per;
#ifdef LANE_KERNELS_AVX2
    // Eight at a time: the sign test's bits against the truth bytes' bits, wrong ones counted.
    const __m256 zero = _mm256_setzero_ps();
    const __m128i none = _mm_setzero_si128();
    for (; j + 8 <= end; j += 8) {
      const int positive = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(z + j), zero, _CMP_GT_OQ));
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(t + j));
      const int truth = _mm_movemask_epi8(_mm_cmpgt_epi8(bytes, none)) & 0xff;
      right += 8 - __builtin_popcount(static_cast<unsigned>(positive ^ truth));
    }
#endif
    for (; j < end; ++j) right += (z[j] > 0.f) == t[j];
    o[l] = right;
  }
  return out;
}

// The authors' validation loss from per-row mean losses [L, V] in batches of `batch` (at least
// two batches): the ATen calls of `training.validation_batch_loss`, in its order.
at::Tensor batch_loss(const at::Tensor& row_losses, int64_t batch) {
  const long lanes = row_losses.size(0), n = row_losses.size(1);
  const long batches = (n + batch - 1) / batch, full = (n / batch) * batch;
  std::vector<at::Tensor> parts{
      row_losses.slice(1, 0, full).to(at::kDouble).view({lanes, -1, batch}).mean({2})};
  if (full < n) parts.push_back(row_losses.slice(1, full).to(at::kDouble).mean({1}, true));
  const at::Tensor means = parts.size() > 1 ? at::cat(parts, 1) : parts[0];
  return means.cumsum(1).select(1, -1).div(at::Scalar(static_cast<int64_t>(batches - 1)));
}

// Every lane on its whole validation table at once (x [L, V, n], `truth` y > 0.5 and
// `complement` 1 - y, both [L, V, m]): its share of output bits right in percent (float64), its
// mean BCE (float32) and, with a batch size, the best-epoch rule's loss (float64; inf for one
// batch). The ATen calls `training.evaluate` makes for a table of one chunk, issued from here:
// the logits sit at the start of a zeroed buffer of whole `vector_body`s, over which the
// log-sigmoid runs (so a lane's numbers do not depend on the lane count).
std::tuple<at::Tensor, at::Tensor, c10::optional<at::Tensor>> evaluate_table(
    const at::Tensor& x, const std::vector<at::Tensor>& weights,
    const std::vector<at::Tensor>& biases, const at::Tensor& truth, const at::Tensor& complement,
    c10::optional<int64_t> batch_size, int64_t vector_body) {
  at::AutoDispatchBelowADInplaceOrView below_autograd;
  const Shape s = shape_of(x, weights, biases);
  const long lanes = s.lanes, rows = s.rows, outs = s.widths.back(), n = lanes * rows * outs;
  TORCH_CHECK(complement.sizes() == truth.sizes() && complement.is_contiguous() &&
                  complement.scalar_type() == at::kFloat,
              "complement must be contiguous float32, shaped like the truth");
  TORCH_CHECK(!batch_size || *batch_size > 0, "the batch size must be positive");
  at::Tensor whole = at::empty({(n + vector_body - 1) / vector_body * vector_body}, at::kFloat);
  whole.slice(0, n).zero_();
  const at::Tensor logits = whole.slice(0, 0, n).view({lanes, rows, outs});
  forward(x, weights, biases, {}, logits);
  at::Tensor terms = at::mul(complement, logits);
  terms.sub_(at::log_sigmoid(whole).slice(0, 0, n).view({lanes, rows, outs}));
  at::Tensor loss = at::mean(terms, {1, 2});
  c10::optional<at::Tensor> selection;
  if (batch_size && rows > *batch_size)
    selection = batch_loss(at::mean(terms, {2}), *batch_size);
  else if (batch_size)  // one batch: `training.one_batch_loss`
    selection = at::full({lanes}, std::numeric_limits<double>::infinity(), at::kDouble);
  at::Tensor per_bit = bits_right(logits, truth)
                           .to(at::kDouble)
                           .mul(100.0)
                           .div(at::Scalar(static_cast<int64_t>(rows * outs)));
  return {per_bit, loss, selection};
}

// The best-epoch rule of a lane group (its `LaneProgram`'s flat buffer): `offer` takes an epoch's
// evaluation and, for every lane whose accuracy is higher than its kept one's, or as high with a
// selection loss at most as low, keeps the epoch's measures and copies the lane's parameters
// (each layer's block of `flat`, and its loose ones in the tail) into `kept`. Comparisons and
// copies only, so the numbers are those of `torch.where` over the same tensors.
class KeptEpochs {
 public:
  KeptEpochs(at::Tensor flat, at::Tensor kept, std::vector<int64_t> sizes, int64_t lanes,
             int64_t tail_at, c10::optional<at::Tensor> tail_lanes, at::Tensor accuracy,
             at::Tensor selection, at::Tensor loss, at::Tensor per_bit,
             c10::optional<at::Tensor> per_digit)
      : flat_(std::move(flat)), kept_(std::move(kept)), sizes_(std::move(sizes)), lanes_(lanes),
        tail_at_(tail_at), accuracy_(std::move(accuracy)), selection_(std::move(selection)),
        loss_(std::move(loss)), per_bit_(std::move(per_bit)), per_digit_(std::move(per_digit)) {
    TORCH_CHECK(flat_.is_contiguous() && kept_.sizes() == flat_.sizes() && kept_.is_contiguous() &&
                    flat_.scalar_type() == at::kFloat && kept_.scalar_type() == at::kFloat &&
                    flat_.is_cpu() && kept_.is_cpu(),
                "flat and kept must be contiguous float32 CPU buffers of one size");
    int64_t at = 0;
    for (int64_t size : sizes_) {
      TORCH_CHECK(size % lanes_ == 0, "a parameter block must hold the same count per lane");
      at += size;
    }
    TORCH_CHECK(at <= tail_at_ && tail_at_ <= flat_.numel(), "blocks past the buffer");
    if (tail_lanes && tail_lanes->numel()) {
      TORCH_CHECK(tail_lanes->dim() == 1 && tail_lanes->is_contiguous() && tail_lanes->is_cpu() &&
                      tail_lanes->scalar_type() == at::kLong &&
                      tail_at_ + tail_lanes->numel() <= flat_.numel(),
                  "tail_lanes must be contiguous CPU int64, one lane per loose parameter");
      const int64_t* t = tail_lanes->data_ptr<int64_t>();
      tail_lanes_.assign(t, t + tail_lanes->numel());
      for (int64_t lane : tail_lanes_) TORCH_CHECK(lane >= 0 && lane < lanes_, "tail lane out of range");
    }
    check_measure(accuracy_, at::kDouble, "accuracy");
    check_measure(selection_, at::kDouble, "selection");
    check_measure(loss_, at::kFloat, "loss");
    check_measure(per_bit_, at::kDouble, "per_bit");
    if (per_digit_) check_measure(*per_digit_, at::kDouble, "per_digit");
  }

  void offer(const at::Tensor& accuracy, const at::Tensor& selection, const at::Tensor& loss,
             const at::Tensor& per_bit, const c10::optional<at::Tensor>& per_digit) {
    check_measure(accuracy, at::kDouble, "accuracy");
    check_measure(selection, at::kDouble, "selection");
    check_measure(loss, at::kFloat, "loss");
    check_measure(per_bit, at::kDouble, "per_bit");
    TORCH_CHECK(per_digit.has_value() == per_digit_.has_value(), "per_digit given as kept");
    if (per_digit) check_measure(*per_digit, at::kDouble, "per_digit");
    const double* acc = accuracy.data_ptr<double>();
    const double* sel = selection.data_ptr<double>();
    double* best_acc = accuracy_.data_ptr<double>();
    double* best_sel = selection_.data_ptr<double>();
    std::vector<char> better(lanes_);
    bool any = false;
    for (long l = 0; l < lanes_; ++l) {
      better[l] = acc[l] > best_acc[l] || (acc[l] >= best_acc[l] && sel[l] <= best_sel[l]);
      if (!better[l]) continue;
      any = true;
      best_acc[l] = acc[l];
      best_sel[l] = sel[l];
      loss_.data_ptr<float>()[l] = loss.data_ptr<float>()[l];
      per_bit_.data_ptr<double>()[l] = per_bit.data_ptr<double>()[l];
      if (per_digit) per_digit_->data_ptr<double>()[l] = per_digit->data_ptr<double>()[l];
    }
    if (!any) return;
    const float* from = flat_.data_ptr<float>();
    float* to = kept_.data_ptr<float>();
    long at = 0;
    for (int64_t size : sizes_) {
      const long per = size / lanes_;
      for (long l = 0; l < lanes_; ++l)
        if (better[l]) std::copy(from + at + l * per, from + at + (l + 1) * per, to + at + l * per);
      at += size;
    }
    for (size_t i = 0; i < tail_lanes_.size(); ++i)
      if (better[tail_lanes_[i]]) to[tail_at_ + i] = from[tail_at_ + i];
  }

 private:
  void check_measure(const at::Tensor& t, at::ScalarType type, const char* what) const {
    TORCH_CHECK(t.dim() == 1 && t.size(0) == lanes_ && t.is_contiguous() && t.is_cpu() &&
                    t.scalar_type() == type,
                what, " must be a contiguous CPU tensor [lanes] of ", type);
  }

  at::Tensor flat_, kept_;
  std::vector<int64_t> sizes_;
  long lanes_, tail_at_;
  std::vector<int64_t> tail_lanes_;
  at::Tensor accuracy_, selection_, loss_, per_bit_;
  c10::optional<at::Tensor> per_digit_;
};

// A lane group's training step in one call: `forward`, the mean BCE's gradient
// (sigmoid(z) - y) / (rows x outputs), `backward`, torch's fused Adam over the flat buffer, then
// the masks. The elementwise operations are the ATen calls `step.py` made one by one from
// Python (the same kernels, so the same numbers), without Python and autograd around each.
class Trainer {
 public:
  Trainer(std::vector<at::Tensor> weights, std::vector<at::Tensor> biases,
          std::vector<at::Tensor> grad_w, std::vector<at::Tensor> grad_b, at::Tensor flat,
          at::Tensor grad, at::Tensor mask, at::Tensor exp_avg, at::Tensor exp_avg_sq,
          at::Tensor step_count, double lr, double beta1, double beta2, double weight_decay,
          double eps)
      : weights_(std::move(weights)), biases_(std::move(biases)), grad_w_(std::move(grad_w)),
        grad_b_(std::move(grad_b)), flat_(std::move(flat)), grad_(std::move(grad)),
        mask_(std::move(mask)), exp_avg_(std::move(exp_avg)),
        exp_avg_sq_(std::move(exp_avg_sq)), step_count_(std::move(step_count)), lr_(lr),
        beta1_(beta1), beta2_(beta2), weight_decay_(weight_decay), eps_(eps) {}

  // x [L, B, n_in], y [L, B, n_out]; `hidden` as `forward` keeps them; `logits` [L, B, n_out]
  // at the start of the zeroed buffer `whole` (whole vector bodies: the sigmoid runs over it all).
  void step(const at::Tensor& x_in, const at::Tensor& y, const std::vector<at::Tensor>& hidden,
            at::Tensor whole, at::Tensor logits) {
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    const at::Tensor x = x_in.contiguous();
    forward(x, weights_, biases_, hidden, logits);
    at::sigmoid_out(whole, whole);
    logits.sub_(y).mul_(1.0 / static_cast<double>(logits.size(1) * logits.size(2)));
    backward(logits, x, hidden, weights_, biases_, grad_w_, grad_b_);
    step_count_.add_(1);
    at::_fused_adam_({flat_}, {grad_}, {exp_avg_}, {exp_avg_sq_}, {}, {step_count_}, lr_, beta1_,
                     beta2_, weight_decay_, eps_, /*amsgrad=*/false, /*maximize=*/false);
    flat_.mul_(mask_);
  }

 private:
  std::vector<at::Tensor> weights_, biases_, grad_w_, grad_b_;
  at::Tensor flat_, grad_, mask_, exp_avg_, exp_avg_sq_, step_count_;
  double lr_, beta1_, beta2_, weight_decay_, eps_;
};

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("epoch_plan", &epoch_plan, "every lane's shuffle and noise from its seed");
  m.def("gather_batches", &gather_batches, "an epoch's batches of every lane");
  m.def("bits_right", &bits_right, "every lane's output bits right at 0.5");
  m.def("evaluate_table", &evaluate_table, "every lane on its whole validation table");
  py::class_<KeptEpochs>(m, "KeptEpochs", py::module_local())
      .def(py::init<at::Tensor, at::Tensor, std::vector<int64_t>, int64_t, int64_t,
                    c10::optional<at::Tensor>, at::Tensor, at::Tensor, at::Tensor, at::Tensor,
                    c10::optional<at::Tensor>>())
      .def("offer", &KeptEpochs::offer, "keep the lanes this epoch is better for");
  py::class_<Trainer>(m, "Trainer", py::module_local())  // each build its own type
      .def(py::init<std::vector<at::Tensor>, std::vector<at::Tensor>, std::vector<at::Tensor>,
                    std::vector<at::Tensor>, at::Tensor, at::Tensor, at::Tensor, at::Tensor,
                    at::Tensor, at::Tensor, double, double, double, double, double>())
      .def("step", &Trainer::step, "one training step of every lane");
  m.def("forward", &forward, "every lane's forward pass");
  m.def("backward", &backward, "every lane's gradients");
}
