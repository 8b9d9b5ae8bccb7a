// Evaluation parameters, as pycocotools' `Params` (cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py,
// iouType='bbox'), with the same defaults and the same doubles: the IoU and recall thresholds are built the
// way numpy.linspace builds them (start + i * step, the last one set to stop), so that for example the
// ninth IoU threshold is 0.8999999999999999 and not 0.9.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../detail/binary.hpp"
#include "../detail/numpy.hpp"

namespace stratum::coco {

/// numpy.linspace to the bit (detail/numpy.hpp).
[[nodiscard]] inline std::vector<double> linspace(double start, double stop, std::size_t num) {
  return stratum::detail::numpy_linspace(start, stop, num);
}

struct area_range {
  double lo = 0, hi = 1e10;
  std::string label;
  friend bool operator==(const area_range&, const area_range&) = default;
};

struct params {
  /// IoU thresholds (T <= 64); default linspace(0.5, 0.95, 10).
  std::vector<double> iou_thrs = linspace(0.5, 0.95, 10);
  /// Recall thresholds; default linspace(0, 1, 101).
  std::vector<double> rec_thrs = linspace(0.0, 1.0, 101);
  /// Detections kept per image (and per category when use_cats), ascending; default 1, 10, 100.
  std::vector<int> max_dets = {1, 10, 100};
  /// Object area ranges (closed at both ends, on the ground truth's `area` field and the detection's w*h).
  std::vector<area_range> area_rngs = {
      {0, 1e10, "all"}, {0, 1024, "small"}, {1024, 9216, "medium"}, {9216, 1e10, "large"}};
  /// Match per category (true) or class-agnostically (false: every category pooled as one, id -1).
  bool use_cats = true;
  /// Images to evaluate; empty = every image of the ground truth.
  std::vector<std::int64_t> img_ids;
  /// Categories to evaluate; empty = every category of the ground truth.
  std::vector<std::int64_t> cat_ids;

  /// Throws usage_error when the parameters cannot be evaluated.
  void validate() const {
    if (iou_thrs.empty() || iou_thrs.size() > 64)
      throw usage_error("params.iou_thrs: need 1 to 64 thresholds");
    for (double t : iou_thrs)
      if (!(t >= 0 && t <= 1)) throw usage_error("params.iou_thrs: thresholds must be in [0, 1]");
    if (rec_thrs.empty()) throw usage_error("params.rec_thrs: need at least one recall threshold");
    for (std::size_t i = 0; i < rec_thrs.size(); ++i)
      if (!(rec_thrs[i] >= 0 && rec_thrs[i] <= 1) || (i && rec_thrs[i] < rec_thrs[i - 1]))
        throw usage_error("params.rec_thrs: thresholds must be ascending in [0, 1]");
    if (max_dets.empty()) throw usage_error("params.max_dets: need at least one value");
    for (std::size_t i = 0; i < max_dets.size(); ++i)
      if (max_dets[i] < 1 || (i && max_dets[i] < max_dets[i - 1]))
        throw usage_error("params.max_dets: values must be positive and ascending");
    if (area_rngs.empty()) throw usage_error("params.area_rngs: need at least one area range");
    for (const auto& a : area_rngs)
      if (!(a.lo <= a.hi)) throw usage_error("params.area_rngs: range '" + a.label + "' has lo > hi");
  }
};

/// Shape of an accumulated state: T IoU thresholds, K categories (1 when use_cats is false), A area ranges.
struct acc_dims {
  std::size_t T = 0, K = 0, A = 0;
  friend bool operator==(const acc_dims&, const acc_dims&) = default;
};

/// Parameters resolved against a dataset: validated, img_ids and cat_ids sorted and unique, the defaults
/// ("every image", "every category") filled in. It carries the shape of the states it accumulates and their
/// fingerprint, computed once here. Only resolution makes one (resolve_params for a ground truth, or the
/// streaming evaluator for its declared categories): the accumulators, the streaming evaluator and the
/// serialized states' checks take this type, so unresolved parameters (an empty category list) cannot reach
/// them. It reads as a `const params` (->, *, or where a `const params&` is expected).
///
/// The default constructor is explicit, so `accumulate(gt, dt, {})` does not compile; a default-constructed
/// value (a placeholder to assign to later) is not resolved, and every function that needs resolved
/// parameters throws usage_error on it.
class resolved_params {
 public:
  explicit resolved_params() = default;

  /// Validates `p` and fills the empty id lists: img_ids from `images`, cat_ids from `categories` (when
  /// `images` is empty as well, img_ids stays empty: a stream evaluates the frames it is given). Throws
  /// usage_error on invalid parameters.
  [[nodiscard]] static resolved_params resolve(params p, std::span<const std::int64_t> images,
                                               std::span<const std::int64_t> categories) {
    p.validate();
    if (p.img_ids.empty()) p.img_ids.assign(images.begin(), images.end());
    if (p.cat_ids.empty()) p.cat_ids.assign(categories.begin(), categories.end());
    return resolved_params(std::move(p));
  }

  /// False only for a default-constructed value.
  [[nodiscard]] bool resolved() const noexcept { return resolved_; }
  /// Throws usage_error naming `fn` when the parameters were not resolved.
  void require(const char* fn) const {
    if (!resolved_)
      throw usage_error(std::string(fn) +
                        ": the parameters are not resolved (default-constructed); resolve them with "
                        "resolve_params(ground_truth, params)");
  }

  [[nodiscard]] const params& get() const noexcept { return p_; }
  [[nodiscard]] const params& operator*() const noexcept { return p_; }
  [[nodiscard]] const params* operator->() const noexcept { return &p_; }
  operator const params&() const noexcept { return p_; }  // NOLINT: reads as the parameters it holds

  /// T, K (cat_ids.size(), or 1 when use_cats is false) and A.
  [[nodiscard]] const acc_dims& dims() const noexcept { return dims_; }
  /// FNV-1a 64 of the little-endian encoding of
  ///   u64 T, T x f64 iou_thrs; u64 A, A x (f64 lo, f64 hi, u64 label length, label bytes); u64 M, M x i64
  ///   max_dets; u8 use_cats; u64 C, C x i64 cat_ids
  /// (0 is replaced by 1, since 0 means "no fingerprint"). rec_thrs and img_ids are left out: the first only
  /// matters at finalize, and shards of one evaluation see different images.
  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return fingerprint_; }

  /// The same parameters restricted to the images `img_ids` (sorted and made unique here); shape and
  /// fingerprint are unchanged, as img_ids are part of neither. An empty list stays empty (no image).
  [[nodiscard]] resolved_params with_images(std::vector<std::int64_t> img_ids) const {
    resolved_params r = *this;
    r.p_.img_ids = std::move(img_ids);
    sort_unique(r.p_.img_ids);
    return r;
  }

 private:
  explicit resolved_params(params p) : p_(std::move(p)), resolved_(true) {
    sort_unique(p_.img_ids);
    sort_unique(p_.cat_ids);
    dims_ = {p_.iou_thrs.size(), p_.use_cats ? p_.cat_ids.size() : 1, p_.area_rngs.size()};
    stratum::detail::byte_writer w;
    w.u64(p_.iou_thrs.size());
    for (double t : p_.iou_thrs) w.f64(t);
    w.u64(p_.area_rngs.size());
    for (const auto& a : p_.area_rngs) {
      w.f64(a.lo);
      w.f64(a.hi);
      w.u64(a.label.size());
      w.bytes(a.label.data(), a.label.size());
    }
    w.u64(p_.max_dets.size());
    for (int m : p_.max_dets) w.i64(m);
    w.u8(p_.use_cats ? 1 : 0);
    w.u64(p_.cat_ids.size());
    for (auto c : p_.cat_ids) w.i64(c);
    const auto h = stratum::detail::fnv1a64(w.data(), w.size());
    fingerprint_ = h == 0 ? 1 : h;
  }
  static void sort_unique(std::vector<std::int64_t>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }

  params p_;
  bool resolved_ = false;
  acc_dims dims_;
  std::uint64_t fingerprint_ = 0;
};

/// Resolves parameters whose ids are stated in full (cat_ids: the categories of the state, K of them; img_ids
/// as the evaluation needs them), without a dataset to fill them from: for states built directly, as the
/// streaming evaluator or a test does. Throws usage_error on invalid parameters.
[[nodiscard]] inline resolved_params resolve_params(params p) {
  return resolved_params::resolve(std::move(p), {}, {});
}

/// The fingerprint of resolved parameters (resolved_params::fingerprint).
[[nodiscard]] inline std::uint64_t params_fingerprint(const resolved_params& p) noexcept {
  return p.fingerprint();
}

}  // namespace stratum::coco
