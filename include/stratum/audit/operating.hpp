// Operating points: what a detector does at the score threshold it ships with, counted from COCO's own
// matching (coco/matcher.hpp: crowd and area ignores, maxDets per image and category), per category, pooled
// over categories and per slice. Definitions (docs/audit.md; ../shared/conformance/operating/README.md, whose
// references every count equals):
//
// Per category c, at IoU threshold t and score threshold s, over the kept detections (the top maxDets[-1] per
// image and category) at the area range "all" (the one labelled "all", else the first):
//   tp   detections with score >= s matched to a ground truth at t and not ignored;
//   fp   detections with score >= s unmatched and not ignored (a detection matched to a crowd region, or
//        unmatched and outside the area range, is ignored: neither);
//   n_gt non-ignored ground truths; fn = n_gt - tp;
//   n_images the images evaluated (a slice's images for a slice); negative_images those without a non-ignored
//   ground truth of c; false_alarm_images the negative images with an fp of c; positive_images the others;
//   miss_images the positive images whose tp of c is below their n_gt of c.
// Pooled ("all"): counts summed; an image is negative when it has no non-ignored ground truth of any
// category, a false alarm when negative with an fp of any category, a miss when some category's tp < n_gt in
// it.
//
// Thresholds chosen on the data scan the distinct scores of c's non-ignored detections at t (ascending):
//   best F1   the first (lowest) threshold reaching the largest F1 = 2 tp / (2 tp + fp + fn);
//   precision >= P   the lowest threshold whose precision tp / (tp + fp) is at least P;
//   recall >= R      the highest threshold whose recall tp / n_gt is at least R;
// none when c has no non-ignored detection, no ground truth, or no threshold satisfies the rule.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../coco/dataset.hpp"
#include "../coco/evaluator.hpp"
#include "../coco/iou.hpp"
#include "../coco/matcher.hpp"
#include "../coco/params.hpp"
#include "../core/error.hpp"
#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "../detail/parallel.hpp"

namespace stratum::audit {

/// The nine counts of an operating point (names as in the conformance references).
struct operating_counts {
  std::uint64_t tp = 0, fp = 0, fn = 0, n_gt = 0, n_images = 0, negative_images = 0, false_alarm_images = 0,
                positive_images = 0, miss_images = 0;
  friend bool operator==(const operating_counts&, const operating_counts&) = default;
};

/// The index of the area range "all" (the range labelled so, else the first one).
[[nodiscard]] inline std::size_t all_area_index(const coco::params& p) {
  for (std::size_t a = 0; a < p.area_rngs.size(); ++a)
    if (p.area_rngs[a].label == "all") return a;
  return 0;
}

/// The error codes of the TIDE decomposition (Bolya et al. 2020; docs/audit.md), one per false positive and
/// IoU threshold; `fixed` is or'ed onto a classification or localisation error that its correction turns into
/// a true positive (the highest-scored one aiming at a ground truth no true positive took).
enum class error_code : std::uint8_t {
  none = 0,  // not a false positive at this threshold
  classification = 1,
  localisation = 2,
  both = 3,
  duplicate = 4,
  background = 5,
};
inline constexpr std::uint8_t error_fixed = 8;
/// TIDE's background threshold: a false positive overlapping no ground truth by more than this is background.
inline constexpr double tide_background_iou = 0.1;

namespace detail {

/// The position of an image id among sorted, unique ids, for ids that mostly come in ascending runs (records
/// are grouped by image, in image order): each lookup searches forward from the last position found
/// (exponential, then binary search), a descending id searches from the start. npos when absent.
class position_cache {
 public:
  static constexpr std::size_t npos = coco::detail::id_index::npos;
  explicit position_cache(const std::vector<std::int64_t>& sorted_ids) : ids_(&sorted_ids) {}
  std::size_t operator()(std::int64_t id) {
    const auto& v = *ids_;
    if (valid_ && id == last_) return pos_;
    std::size_t lo = valid_ && id > last_ ? at_ : 0, step = 1, hi = lo;
    while (hi < v.size() && v[hi] < id) lo = hi, hi += step, step *= 2;
    hi = std::min(hi, v.size());
    const auto it = std::lower_bound(v.begin() + static_cast<std::ptrdiff_t>(lo),
                                     v.begin() + static_cast<std::ptrdiff_t>(hi), id);
    at_ = static_cast<std::size_t>(it - v.begin());
    last_ = id, valid_ = true;
    pos_ = at_ < v.size() && v[at_] == id ? at_ : npos;
    return pos_;
  }

 private:
  const std::vector<std::int64_t>* ids_;
  std::int64_t last_ = 0;
  std::size_t pos_ = 0, at_ = 0;
  bool valid_ = false;
};

}  // namespace detail

/// What operating points and the error analysis need of an evaluation, fed by the matcher (it is an
/// accumulator in the matcher's sense, with the begin_group, add_boxes and end_image hooks): per category
/// index, the kept detections with their true- and false-positive masks over the IoU thresholds at the area
/// range "all", the non-ignored ground-truth count of every (image, category) group that has one, and, from
/// each image's boxes across its categories, the TIDE error of every false positive at every threshold and
/// the ground truths TIDE counts as missed. Merging concatenates (nothing depends on record order).
///
/// Built with a calibration mask (bit t: IoU threshold t of the evaluation), every record also carries what
/// calibration needs (audit/calibration.hpp): its box normalised by its image's size (centre x, centre y,
/// width, height over the image's width and height; NaN when the size is unknown) and, for each threshold
/// of the mask in increasing order, the IoU with the ground truth it took there (0 where it is no true
/// positive). The mask is 0 (nothing of that kept) unless asked for.
///
/// A mergeable state (core/state.hpp, docs/concepts.md): operating_records{} is the identity; == compares the
/// lists of each category as multisets; serialize writes them in canonical order (kind 48):
/// header dims T, K, the "all" area index, and the calibration mask's low and high 32 bits; payload per
/// category:
///   u64 n, n x (f64 score, i64 image, u32 rank, u64 tp mask, u64 fp mask);
///   u64 g, g x (i64 image, i64 count);
///   u64 e, e x (f64 score, i64 image, u32 rank, u32 other, u64 overlap, 4 x u64 codes);
///   u64 m, m x (i64 image, u64 mask);
///   with a calibration mask of c bits: n x (4 f64 box, c f64 IoU), in the order of the records;
/// each list sorted (records with equal fields by their box and IoUs).
class operating_records {
 public:
  static constexpr state_kind kind = state_kind::audit_records;
  static constexpr std::uint16_t format_version = 1;
  static constexpr std::uint32_t no_category = 0xffffffffu;

  struct record {
    double score = 0;
    std::int64_t image = 0;
    std::uint64_t tp = 0, fp = 0;  // bit t: true / false positive at IoU threshold t
    std::uint32_t rank = 0;        // position in its (image, category) group, score order
  };
  /// A record's box over its image's size (calibration only).
  struct box_features {
    double cx = 0, cy = 0, w = 0, h = 0;
  };
  struct gt_group {
    std::int64_t image = 0;
    std::int64_t n = 0;  // non-ignored ground truths of the category in the image (> 0)
  };
  /// A kept detection that is a false positive at some IoU threshold, and where its error comes from.
  struct error_record {
    double score = 0;
    std::int64_t image = 0;
    std::uint32_t rank = 0;
    /// The category index of the ground truth of another category it overlaps most (no_category when it
    /// overlaps none).
    std::uint32_t other = no_category;
    std::uint64_t overlap = 0;  // bit t: that overlap reaches threshold t and it is a false positive there
    std::array<std::uint64_t, 4> codes{};  // nibble t: error_code | error_fixed at threshold t
    [[nodiscard]] std::uint8_t code(std::size_t t) const noexcept {
      return static_cast<std::uint8_t>((codes[t / 16] >> (4 * (t % 16))) & 15u);
    }
    void set_code(std::size_t t, std::uint8_t c) noexcept {
      codes[t / 16] |= static_cast<std::uint64_t>(c) << (4 * (t % 16));
    }
  };
  /// A non-ignored ground truth TIDE counts as missed: bit t when no true positive took it at t and no
  /// classification or localisation error aims at it.
  struct missed_gt {
    std::int64_t image = 0;
    std::uint64_t mask = 0;
  };
  struct category {
    std::vector<record> records;
    std::vector<gt_group> gts;
    std::vector<error_record> errors;
    std::vector<missed_gt> missed;
    /// With a calibration mask: per record (same index), its box and the IoUs of its matches (calibration
    /// width values per record: ious[i * width + j] for the mask's j-th threshold).
    std::vector<box_features> boxes;
    std::vector<double> ious;
  };

  operating_records() = default;
  /// Empty records for resolved parameters (K = cat_ids.size(), or 1 when use_cats is false), keeping what
  /// calibration needs at the IoU thresholds of `calibration_mask` (bit t: threshold t; usage_error on a bit
  /// beyond T).
  explicit operating_records(const coco::resolved_params& p, std::uint64_t calibration_mask = 0)
      : T_(p.dims().T), area_(all_area_index(p)), cal_mask_(calibration_mask), cats_(p.dims().K) {
    p.require("operating_records");
    if (calibration_mask & ~valid_mask(T_))
      throw usage_error("operating_records: the calibration mask names IoU thresholds beyond T");
  }

  [[nodiscard]] std::size_t categories() const noexcept { return cats_.size(); }
  [[nodiscard]] std::size_t iou_thresholds() const noexcept { return T_; }
  [[nodiscard]] const category& of(std::size_t k) const { return cats_.at(k); }
  /// Bit t: the records carry calibration data at IoU threshold t.
  [[nodiscard]] std::uint64_t calibration_mask() const noexcept { return cal_mask_; }
  /// The number of IoU values per record (the mask's bits).
  [[nodiscard]] std::size_t calibration_width() const noexcept {
    return static_cast<std::size_t>(std::popcount(cal_mask_));
  }
  /// The position of threshold t among the mask's (usage_error when it is not in the mask).
  [[nodiscard]] std::size_t calibration_slot(std::size_t t) const {
    if (t >= 64 || !((cal_mask_ >> t) & 1u))
      throw usage_error("operating_records: no calibration data at IoU threshold index " + std::to_string(t));
    return static_cast<std::size_t>(std::popcount(cal_mask_ & ((std::uint64_t{1} << t) - 1)));
  }

  /// Image sizes for the normalised boxes: sizes[i] = {width, height} of image sorted_ids[i] (both kept by
  /// pointer; an image absent or of size 0 gets NaN boxes). Not part of the state.
  void image_sizes(const std::vector<std::int64_t>* sorted_ids,
                   const std::vector<std::array<double, 2>>* sizes) {
    size_ids_ = sorted_ids, sizes_ = sizes;
    size_pos_.emplace(*sorted_ids);
  }
  /// The size of the image whose groups come next (a frame's; overrides image_sizes until it is called
  /// again).
  void image_size(double width, double height) noexcept {
    size_ids_ = nullptr, sizes_ = nullptr, size_pos_.reset();
    width_ = width, height_ = height;
  }

  // ---- fed by coco::matcher ----
  void begin_group(std::int64_t image, std::size_t) {
    image_ = image;
    if (cal_mask_ && size_ids_) {
      const auto i = (*size_pos_)(image);
      width_ = i == detail::position_cache::npos ? 0.0 : (*sizes_)[i][0];
      height_ = i == detail::position_cache::npos ? 0.0 : (*sizes_)[i][1];
    }
  }
  [[nodiscard]] bool wants_match_iou() const noexcept { return cal_mask_ != 0; }
  void add_ground_truths(std::size_t k, std::size_t a, std::int64_t non_ignored) {
    if (a == area_ && non_ignored > 0) cats_.at(k).gts.push_back({image_, non_ignored});
  }
  void add_detection(std::size_t k, double score, std::int64_t image, std::uint32_t rank,
                     const std::uint64_t* tp, const std::uint64_t* fp) {
    cats_.at(k).records.push_back({score, image, tp[area_], fp[area_], rank});
  }
  [[nodiscard]] std::size_t boxes_area() const noexcept { return area_; }
  /// Keeps the group's non-ignored ground truths and its false positives for the image's error analysis.
  void add_boxes(const coco::group_boxes& g) {
    thr_ = g.iou_thrs;
    if (!errors_) {
      if (cal_mask_) calibration_of_group(g);
      return;
    }
    const auto& gt = *g.gt;
    for (std::size_t i = 0; i < gt.n; ++i)
      if (!g.ignored[i]) img_gts_.push_back({g.k, gt.x[i], gt.y[i], gt.w[i], gt.h[i], g.used[i]});
    for (std::size_t d = 0; d < g.D; ++d) {
      const auto fp = g.fp[d * g.stride];
      if (!fp) continue;
      const auto j = g.order[d];
      img_dts_.push_back({g.k, g.dt->score[j], static_cast<std::uint32_t>(d), g.dt->x[j], g.dt->y[j],
                          g.dt->w[j], g.dt->h[j], fp});
    }
    if (cal_mask_) calibration_of_group(g);
  }
  /// Keeps no error analysis from now on (the errors and missed lists stay empty): for a caller that reads
  /// only the counts (baseline/performance.hpp). Not part of the state.
  void skip_error_analysis() noexcept { errors_ = false; }
  /// The error analysis of the image whose groups were fed since the last call (see errors_of_image).
  void end_image() {
    if (!img_gts_.empty() || !img_dts_.empty()) errors_of_image();
    img_gts_.clear();
    img_dts_.clear();
  }

  friend bool operator==(const operating_records& a, const operating_records& b) {
    if (a.T_ != b.T_ || a.area_ != b.area_ || a.cats_.size() != b.cats_.size()) return false;
    for (std::size_t k = 0; k < a.cats_.size(); ++k) {
      const auto x = canonical(a.cats_[k], a.calibration_width()),
                 y = canonical(b.cats_[k], b.calibration_width());
      if (!same(x, y)) return false;
    }
    return a.cal_mask_ == b.cal_mask_;
  }

  /// The common wire format (kind 48), with `fingerprint` in the header (0: none; an audit writes that of its
  /// resolved parameters).
  [[nodiscard]] std::vector<std::byte> serialize(std::uint64_t fingerprint = 0) const {
    if (cats_.size() > 0xffffffffu) throw usage_error("operating_records::serialize: too many categories");
    stratum::detail::byte_writer w;
    stratum::detail::begin_state(w, kind, format_version,
                                 {static_cast<std::uint32_t>(T_), static_cast<std::uint32_t>(cats_.size()),
                                  static_cast<std::uint32_t>(area_), static_cast<std::uint32_t>(cal_mask_),
                                  static_cast<std::uint32_t>(cal_mask_ >> 32)},
                                 fingerprint);
    const std::size_t width = calibration_width();
    for (const auto& c0 : cats_) {
      const auto c = canonical(c0, width);
      w.u64(c.records.size());
      for (const auto& r : c.records) {
        w.f64(r.score);
        w.i64(r.image);
        w.u32(r.rank);
        w.u64(r.tp);
        w.u64(r.fp);
      }
      w.u64(c.gts.size());
      for (const auto& g : c.gts) {
        w.i64(g.image);
        w.i64(g.n);
      }
      w.u64(c.errors.size());
      for (const auto& e : c.errors) {
        w.f64(e.score);
        w.i64(e.image);
        w.u32(e.rank);
        w.u32(e.other);
        w.u64(e.overlap);
        for (const auto v : e.codes) w.u64(v);
      }
      w.u64(c.missed.size());
      for (const auto& m : c.missed) {
        w.i64(m.image);
        w.u64(m.mask);
      }
      if (!width) continue;
      for (std::size_t i = 0; i < c.records.size(); ++i) {
        for (const double v : {c.boxes[i].cx, c.boxes[i].cy, c.boxes[i].w, c.boxes[i].h}) w.f64(v);
        for (std::size_t j = 0; j < width; ++j) w.f64(c.ious[i * width + j]);
      }
    }
    return stratum::detail::finish_state(w);
  }

  /// The state back; input_error naming the offset on truncated, corrupt or inconsistent bytes.
  [[nodiscard]] static operating_records deserialize(std::span<const std::byte> bytes) {
    const auto h = stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    auto r = stratum::detail::payload_reader(bytes.data(), h);
    operating_records s;
    s.T_ = h.dims[0];
    const std::size_t K = h.dims[1];
    s.area_ = h.dims[2];
    s.cal_mask_ = h.dims[3] | (std::uint64_t{h.dims[4]} << 32);
    if (s.T_ > 64) r.fail("more than 64 IoU thresholds");
    if (K == 0 && (s.T_ != 0 || s.area_ != 0 || s.cal_mask_ != 0))
      r.fail("a state without categories has a shape");
    if (K > 0 && s.T_ == 0) r.fail("no IoU threshold");
    const std::uint64_t valid = valid_mask(s.T_);
    if (s.cal_mask_ & ~valid) r.fail("the calibration mask names IoU thresholds beyond T");
    const std::size_t width = s.calibration_width();
    r.need_array(K, 32, "the categories");
    s.cats_.resize(K);
    for (auto& c : s.cats_) {
      const auto n = r.u64();
      r.need_array(n, 36, "records");
      c.records.resize(static_cast<std::size_t>(n));
      for (auto& rec : c.records) {
        rec.score = r.f64();
        rec.image = r.i64();
        rec.rank = r.u32();
        rec.tp = r.u64();
        rec.fp = r.u64();
        if (!std::isfinite(rec.score)) r.fail("a record's score is not finite");
        if ((rec.tp | rec.fp) & ~valid) r.fail("a record's masks name IoU thresholds beyond T");
        if (rec.tp & rec.fp) r.fail("a record is both a true and a false positive at one threshold");
      }
      const auto g = r.u64();
      r.need_array(g, 16, "ground-truth groups");
      c.gts.resize(static_cast<std::size_t>(g));
      for (auto& gt : c.gts) {
        gt.image = r.i64();
        gt.n = r.i64();
        if (gt.n <= 0) r.fail("a ground-truth group's count is not positive");
      }
      const auto e = r.u64();
      r.need_array(e, 64, "error records");
      c.errors.resize(static_cast<std::size_t>(e));
      for (auto& er : c.errors) {
        er.score = r.f64();
        er.image = r.i64();
        er.rank = r.u32();
        er.other = r.u32();
        er.overlap = r.u64();
        for (auto& v : er.codes) v = r.u64();
        if (er.other != no_category && er.other >= K) r.fail("an error record names an unknown category");
        if (er.overlap & ~fp_mask(er)) r.fail("an error record overlaps at a threshold where it is no error");
        if (er.overlap && er.other == no_category) r.fail("an error record overlaps no category");
        for (std::size_t t = 0; t < 64; ++t) {
          const auto code = er.code(t), base = static_cast<std::uint8_t>(code & 7u);
          if (t >= s.T_ && code) r.fail("an error record has a code beyond T");
          if (base > 5 || ((code & error_fixed) && base != 1 && base != 2) || (code && !base))
            r.fail("an error record has an invalid code");
          if (base == 1 && er.other == no_category) r.fail("a classification error without another category");
        }
      }
      const auto m = r.u64();
      r.need_array(m, 16, "missed ground truths");
      c.missed.resize(static_cast<std::size_t>(m));
      for (auto& mg : c.missed) {
        mg.image = r.i64();
        mg.mask = r.u64();
        if (!mg.mask || (mg.mask & ~valid)) r.fail("a missed ground truth's mask is empty or beyond T");
      }
      if (width) {
        r.need_array(c.records.size(), 8 * (4 + width), "calibration data");
        c.boxes.resize(c.records.size());
        c.ious.resize(c.records.size() * width);
        for (std::size_t i = 0; i < c.records.size(); ++i) {
          auto& b = c.boxes[i];
          for (double* v : {&b.cx, &b.cy, &b.w, &b.h}) *v = r.f64();
          const bool known = std::isfinite(b.cx) && std::isfinite(b.cy) && std::isfinite(b.w) &&
                             std::isfinite(b.h) && b.w >= 0 && b.h >= 0;
          if (!known && !(std::isnan(b.cx) && std::isnan(b.cy) && std::isnan(b.w) && std::isnan(b.h)))
            r.fail("a record's box is neither a finite box of non-negative size nor unknown (all NaN)");
          std::size_t j = 0;
          for (std::uint64_t left = s.cal_mask_; left; left &= left - 1, ++j) {
            const double v = r.f64();
            c.ious[i * width + j] = v;
            const bool tp = (c.records[i].tp & (left & (~left + 1))) != 0;
            if (!(v >= 0 && v <= 1) || (!tp && v != 0))
              r.fail("a record's match IoU is not in [0, 1], or not 0 where it is no true positive");
          }
        }
        if (!canonical_order(c, width)) r.fail("records or groups are not in canonical order");
      }
      if (!std::is_sorted(c.records.begin(), c.records.end(), less_record) ||
          !std::is_sorted(c.gts.begin(), c.gts.end(), less_gt) ||
          !std::is_sorted(c.errors.begin(), c.errors.end(), less_error) ||
          !std::is_sorted(c.missed.begin(), c.missed.end(), less_missed))
        r.fail("records or groups are not in canonical order");
      if (!errors_match(c)) r.fail("the error records are not the records' false positives");
    }
    r.finish();
    return s;
  }

  /// Appends another state's records (same shape; usage_error otherwise).
  operating_records& operator+=(const operating_records& o) {
    if (&o == this) return *this += operating_records(o);
    if (o.cats_.empty()) return *this;
    if (cats_.empty()) return *this = o;
    if (o.cats_.size() != cats_.size() || o.T_ != T_ || o.area_ != area_ || o.cal_mask_ != cal_mask_)
      throw usage_error("operating_records: merging states of different shapes");
    for (std::size_t k = 0; k < cats_.size(); ++k) {
      auto& c = cats_[k];
      const auto& oc = o.cats_[k];
      c.records.insert(c.records.end(), oc.records.begin(), oc.records.end());
      c.gts.insert(c.gts.end(), oc.gts.begin(), oc.gts.end());
      c.errors.insert(c.errors.end(), oc.errors.begin(), oc.errors.end());
      c.missed.insert(c.missed.end(), oc.missed.begin(), oc.missed.end());
      c.boxes.insert(c.boxes.end(), oc.boxes.begin(), oc.boxes.end());
      c.ious.insert(c.ious.end(), oc.ious.begin(), oc.ious.end());
    }
    return *this;
  }

  /// The false-positive mask of an error record: the thresholds where it has a code.
  [[nodiscard]] static std::uint64_t fp_mask(const error_record& e) noexcept {
    std::uint64_t m = 0;
    for (std::size_t t = 0; t < 64; ++t)
      if (e.code(t)) m |= std::uint64_t{1} << t;
    return m;
  }

 private:
  struct image_gt {
    std::size_t k;
    double x, y, w, h;
    std::uint64_t used;
  };
  struct image_dt {
    std::size_t k;
    double score;
    std::uint32_t rank;
    double x, y, w, h;
    std::uint64_t fp;
  };

  /// TIDE's rules (tidecv's quantify.py) applied to COCO's false positives of one image, every category at
  /// once. For a false positive d of category c at threshold t (thr its value, bg = 0.1), with a the largest
  /// IoU with a ground truth of c, b with one of another category, u_t with one of c that a true positive
  /// took at t, tested in this order:
  ///   no ground truth in the image: background;  bg <= a <= thr: localisation (aiming at that ground truth);
  ///   b >= thr: classification (aiming at it);  u_t >= thr: duplicate;  max(a, b) <= bg: background;
  ///   otherwise both.
  /// False positives are visited by score, descending (ties: category index, then rank): the first
  /// classification or localisation error aiming at a ground truth no true positive took is `fixed`, and
  /// every such ground truth is not missed. Ground truths and ties of IoU: the first one in category and
  /// input order.
  void errors_of_image() {
    const std::size_t G = img_gts_.size(), T = T_;
    gx_.resize(G), gy_.resize(G), gw_.resize(G), gh_.resize(G);
    zero_.assign(G, 0);
    for (std::size_t g = 0; g < G; ++g)
      gx_[g] = img_gts_[g].x, gy_[g] = img_gts_[g].y, gw_[g] = img_gts_[g].w, gh_[g] = img_gts_[g].h;
    boxes_.assign(G, gx_.data(), gy_.data(), gw_.data(), gh_.data(), zero_.data());
    std::sort(img_dts_.begin(), img_dts_.end(), [](const image_dt& a, const image_dt& b) {
      if (a.score != b.score) return a.score > b.score;
      return a.k != b.k ? a.k < b.k : a.rank < b.rank;
    });
    claimed_.assign(G, 0);
    usable_.assign(G, 0);
    row_.resize(G);
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    for (const auto& d : img_dts_) {
      boxes_.iou_row(d.x, d.y, d.w, d.h, row_.data());
      double a = 0, b = 0;
      std::size_t ga = none, gb = none;
      std::array<double, 64> u;  // u[t] for t < T
      std::fill_n(u.begin(), T, 0.0);
      for (std::size_t g = 0; g < G; ++g) {
        const double v = row_[g];
        if (img_gts_[g].k == d.k) {
          if (ga == none || v > a) a = v, ga = g;
          for (std::uint64_t w = img_gts_[g].used; w; w &= w - 1) {
            auto& ut = u[static_cast<std::size_t>(std::countr_zero(w))];
            ut = v > ut ? v : ut;
          }
        } else if (gb == none || v > b) {
          b = v, gb = g;
        }
      }
      error_record e{d.score, image_,
                     d.rank,  gb == none ? no_category : static_cast<std::uint32_t>(img_gts_[gb].k),
                     0,       {}};
      const double m = std::max(a, b);
      for (std::uint64_t w = d.fp; w; w &= w - 1) {
        const auto t = static_cast<std::size_t>(std::countr_zero(w));
        if (t >= T) break;
        const std::uint64_t bit = std::uint64_t{1} << t;
        const double thr = thr_[t];
        std::uint8_t code;
        std::size_t target = none;
        if (G == 0) {
          code = static_cast<std::uint8_t>(error_code::background);
        } else if (ga != none && tide_background_iou <= a && a <= thr) {
          code = static_cast<std::uint8_t>(error_code::localisation), target = ga;
        } else if (gb != none && b >= thr) {
          code = static_cast<std::uint8_t>(error_code::classification), target = gb;
        } else if (u[t] >= thr) {
          code = static_cast<std::uint8_t>(error_code::duplicate);
        } else if (m <= tide_background_iou) {
          code = static_cast<std::uint8_t>(error_code::background);
        } else {
          code = static_cast<std::uint8_t>(error_code::both);
        }
        if (target != none && !(img_gts_[target].used & bit)) {
          usable_[target] |= bit;
          if (!(claimed_[target] & bit)) claimed_[target] |= bit, code |= error_fixed;
        }
        if (gb != none && b >= thr) e.overlap |= bit;
        e.set_code(t, code);
      }
      cats_.at(d.k).errors.push_back(e);
    }
    const std::uint64_t valid = T >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << T) - 1;
    for (std::size_t g = 0; g < G; ++g)
      if (const auto mask = valid & ~img_gts_[g].used & ~usable_[g])
        cats_.at(img_gts_[g].k).missed.push_back({image_, mask});
  }

  [[nodiscard]] static constexpr std::uint64_t valid_mask(std::size_t T) noexcept {
    return T >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << T) - 1;
  }

  /// The calibration data of a group's kept detections, in the order add_detection receives them.
  void calibration_of_group(const coco::group_boxes& g) {
    auto& c = cats_.at(g.k);
    const bool known = width_ > 0 && height_ > 0 && std::isfinite(width_) && std::isfinite(height_);
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t d = 0; d < g.D; ++d) {
      const auto j = g.order[d];
      const double x = g.dt->x[j], y = g.dt->y[j], w = g.dt->w[j], h = g.dt->h[j];
      c.boxes.push_back(
          known ? box_features{(x + w / 2) / width_, (y + h / 2) / height_, w / width_, h / height_}
                : box_features{nan, nan, nan, nan});
      const auto tp = g.tp[d * g.stride];
      for (std::uint64_t m = cal_mask_; m; m &= m - 1) {
        const auto t = static_cast<std::size_t>(std::countr_zero(m));
        c.ious.push_back(g.match_iou && ((tp >> t) & 1u) ? g.match_iou[d * T_ + t] : 0.0);
      }
    }
  }

  /// The comparison of canonical order for calibrated records: the record, then its box and IoUs' bits.
  static bool less_calibrated(const category& c, std::size_t width, std::size_t i, std::size_t j) {
    if (less_record(c.records[i], c.records[j])) return true;
    if (less_record(c.records[j], c.records[i])) return false;
    auto bits = [&](std::size_t r, std::size_t v) {
      const auto& b = c.boxes[r];
      const double x = v == 0   ? b.cx
                       : v == 1 ? b.cy
                       : v == 2 ? b.w
                       : v == 3 ? b.h
                                : c.ious[r * width + v - 4];
      return std::bit_cast<std::uint64_t>(x);
    };
    for (std::size_t v = 0; v < 4 + width; ++v)
      if (bits(i, v) != bits(j, v)) return bits(i, v) < bits(j, v);
    return false;
  }
  static bool canonical_order(const category& c, std::size_t width) {
    for (std::size_t i = 1; i < c.records.size(); ++i)
      if (less_calibrated(c, width, i, i - 1)) return false;
    return true;
  }

  static bool less_record(const record& a, const record& b) {
    if (a.image != b.image) return a.image < b.image;
    if (a.rank != b.rank) return a.rank < b.rank;
    const auto sa = std::bit_cast<std::uint64_t>(a.score), sb = std::bit_cast<std::uint64_t>(b.score);
    if (sa != sb) return sa < sb;
    if (a.tp != b.tp) return a.tp < b.tp;
    return a.fp < b.fp;
  }
  static bool less_gt(const gt_group& a, const gt_group& b) {
    return a.image != b.image ? a.image < b.image : a.n < b.n;
  }
  static auto error_key(const error_record& e) {
    return std::tuple(e.image, e.rank, std::bit_cast<std::uint64_t>(e.score), e.codes, e.other, e.overlap);
  }
  static bool less_error(const error_record& a, const error_record& b) { return error_key(a) < error_key(b); }
  static bool less_missed(const missed_gt& a, const missed_gt& b) {
    return a.image != b.image ? a.image < b.image : a.mask < b.mask;
  }
  /// Every record with a false positive has one error record of the same image, rank, score and mask.
  static bool errors_match(const category& c) {
    using key = std::tuple<std::int64_t, std::uint32_t, std::uint64_t, std::uint64_t>;
    std::vector<key> x, y;
    for (const auto& r : c.records)
      if (r.fp) x.emplace_back(r.image, r.rank, std::bit_cast<std::uint64_t>(r.score), r.fp);
    for (const auto& e : c.errors)
      y.emplace_back(e.image, e.rank, std::bit_cast<std::uint64_t>(e.score), fp_mask(e));
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
  }
  static category canonical(const category& c, std::size_t width) {
    category out = c;
    if (width) {  // the records and their calibration data in one order
      std::vector<std::size_t> order(c.records.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::sort(order.begin(), order.end(),
                [&](std::size_t i, std::size_t j) { return less_calibrated(c, width, i, j); });
      for (std::size_t i = 0; i < order.size(); ++i) {
        out.records[i] = c.records[order[i]];
        out.boxes[i] = c.boxes[order[i]];
        for (std::size_t v = 0; v < width; ++v) out.ious[i * width + v] = c.ious[order[i] * width + v];
      }
    } else {
      std::sort(out.records.begin(), out.records.end(), less_record);
    }
    std::sort(out.gts.begin(), out.gts.end(), less_gt);
    std::sort(out.errors.begin(), out.errors.end(), less_error);
    std::sort(out.missed.begin(), out.missed.end(), less_missed);
    return out;
  }
  static bool same(const category& a, const category& b) {
    if (a.records.size() != b.records.size() || a.gts.size() != b.gts.size() ||
        a.errors.size() != b.errors.size() || a.missed.size() != b.missed.size())
      return false;
    for (std::size_t i = 0; i < a.records.size(); ++i) {
      const auto &x = a.records[i], &y = b.records[i];
      if (std::bit_cast<std::uint64_t>(x.score) != std::bit_cast<std::uint64_t>(y.score) ||
          x.image != y.image || x.rank != y.rank || x.tp != y.tp || x.fp != y.fp)
        return false;
    }
    for (std::size_t i = 0; i < a.gts.size(); ++i)
      if (a.gts[i].image != b.gts[i].image || a.gts[i].n != b.gts[i].n) return false;
    for (std::size_t i = 0; i < a.errors.size(); ++i)
      if (error_key(a.errors[i]) != error_key(b.errors[i])) return false;
    for (std::size_t i = 0; i < a.missed.size(); ++i)
      if (a.missed[i].image != b.missed[i].image || a.missed[i].mask != b.missed[i].mask) return false;
    auto bits_equal = [](const auto& x, const auto& y) {
      return x.size() == y.size() &&
             (x.empty() || std::memcmp(x.data(), y.data(), sizeof(x[0]) * x.size()) == 0);
    };
    return bits_equal(a.boxes, b.boxes) && bits_equal(a.ious, b.ious);
  }

  std::size_t T_ = 0, area_ = 0;
  std::uint64_t cal_mask_ = 0;
  std::int64_t image_ = 0;  // the group being fed (not part of the state)
  // the image sizes for the normalised boxes (not part of the state)
  const std::vector<std::int64_t>* size_ids_ = nullptr;
  const std::vector<std::array<double, 2>>* sizes_ = nullptr;
  std::optional<detail::position_cache> size_pos_;
  double width_ = 0, height_ = 0;
  std::vector<category> cats_;
  // the image being fed, for its error analysis (not part of the state)
  const double* thr_ = nullptr;
  std::vector<image_gt> img_gts_;
  std::vector<image_dt> img_dts_;
  bool errors_ = true;  // keep the error analysis (not part of the state)
  std::vector<double> gx_, gy_, gw_, gh_, row_;
  std::vector<unsigned char> zero_;
  std::vector<std::uint64_t> claimed_, usable_;
  coco::gt_boxes boxes_;
};

/// Matches a batch data set into operating records, images split over `threads` workers (the records do not
/// depend on it), with calibration data at the IoU thresholds of `calibration_mask` (boxes normalised by the
/// ground truth's image sizes).
[[nodiscard]] inline operating_records collect(const coco::ground_truth& gt, const coco::detection_set& dt,
                                               const coco::resolved_params& p, unsigned threads = 1,
                                               std::uint64_t calibration_mask = 0) {
  const coco::grouped_data data(gt, dt, p);
  const std::size_t n = data.images();
  threads =
      std::min<unsigned>(coco::resolve_threads(threads), static_cast<unsigned>(std::max<std::size_t>(1, n)));
  std::vector<std::array<double, 2>> sizes;
  if (calibration_mask) {
    std::vector<std::int64_t> ids;
    for (const auto& im : gt.images) ids.push_back(im.id);
    const coco::detail::id_index by_id(ids);
    for (const auto id : p->img_ids) {
      const auto at = by_id.find(id);
      sizes.push_back(at == coco::detail::id_index::npos
                          ? std::array<double, 2>{0, 0}
                          : std::array<double, 2>{gt.images[at].width, gt.images[at].height});
    }
  }
  std::vector<operating_records> parts(threads, operating_records(p, calibration_mask));
  if (calibration_mask)
    for (auto& part : parts) part.image_sizes(&p->img_ids, &sizes);
  stratum::detail::run_workers(threads, [&](unsigned t) {
    coco::match_images(data, p, n * t / threads, n * (t + 1) / threads, parts[t]);
  });
  for (unsigned t = 1; t < threads; ++t) parts[0] += parts[t];
  parts[0].image_size(0, 0);  // the size table is local: records fed later get no box
  return std::move(parts[0]);
}

/// A value pooled over categories and one per category index (counts, bootstrap results, curves).
template <class T>
struct by_category {
  T all;
  std::vector<T> per_category;
};

/// A value over all evaluated images and one per slice, in the order of the operating point's slices.
template <class T>
struct by_slice {
  T all;
  std::vector<T> slices;
};

using operating_point_counts = by_category<operating_counts>;

/// The counts (as count below gives them) of several image sets at once, in one pass over the records:
/// `images` all evaluated ids (sorted, unique), sets[s] the indices into `images` of set s (each index once).
[[nodiscard]] inline std::vector<operating_point_counts> count_sets(
    const operating_records& r, std::size_t t, std::span<const double> thresholds,
    const std::vector<std::int64_t>& images, const std::vector<std::vector<std::size_t>>& sets) {
  const std::size_t K = r.categories(), N = images.size(), S = sets.size();
  if (t >= r.iou_thresholds()) throw usage_error("audit::count_sets: IoU threshold index out of range");
  if (thresholds.size() != K) throw usage_error("audit::count_sets: thresholds do not match the categories");
  if (!std::is_sorted(images.begin(), images.end()))
    throw usage_error("audit::count_sets: the image ids are not sorted");
  // the sets each image belongs to, as offsets into one list
  std::vector<std::uint32_t> begin(N + 1, 0), list;
  {
    std::vector<std::uint32_t> n(N, 0);
    for (const auto& set : sets)
      for (const auto i : set) ++n.at(i);
    for (std::size_t i = 0; i < N; ++i) begin[i + 1] = begin[i] + n[i];
    list.resize(begin[N]);
    std::vector<std::uint32_t> fill(begin.begin(), begin.end() - 1);
    for (std::size_t s = 0; s < S; ++s)
      for (const auto i : sets[s]) list[fill[i]++] = static_cast<std::uint32_t>(s);
  }
  std::vector<operating_point_counts> out(S);
  for (std::size_t s = 0; s < S; ++s) {
    out[s].per_category.resize(K);
    out[s].all.n_images = sets[s].size();
    for (auto& o : out[s].per_category) o.n_images = sets[s].size();
  }
  constexpr auto npos = coco::detail::id_index::npos;
  const std::uint64_t bit = std::uint64_t{1} << t;
  std::vector<std::int64_t> n_i(N, 0), n_all(N, 0);
  std::vector<std::uint64_t> tp_i(N, 0), fp_i(N, 0), fp_all(N, 0);
  std::vector<char> miss_all(N, 0);
  std::vector<std::size_t> touched;
  for (std::size_t k = 0; k < K; ++k) {
    const auto& c = r.of(k);
    touched.clear();
    auto touch = [&](std::size_t i) {
      if (n_i[i] == 0 && tp_i[i] == 0 && fp_i[i] == 0) touched.push_back(i);
    };
    detail::position_cache pos(images);
    for (const auto& g : c.gts) {
      const auto i = pos(g.image);
      if (i == npos) continue;
      touch(i);
      n_i[i] += g.n;
    }
    const double thr = thresholds[k];
    for (const auto& rec : c.records) {
      if (!(rec.score >= thr)) continue;
      const bool tp = rec.tp & bit, fp = rec.fp & bit;
      if (!tp && !fp) continue;
      const auto i = pos(rec.image);
      if (i == npos) continue;
      touch(i);
      ++(tp ? tp_i : fp_i)[i];
    }
    for (const auto i : touched) {
      const auto n = static_cast<std::uint64_t>(n_i[i]);
      const bool miss = n > 0 && tp_i[i] < n;
      for (std::uint32_t j = begin[i]; j < begin[i + 1]; ++j) {
        auto& o = out[list[j]].per_category[k];
        o.n_gt += n, o.tp += tp_i[i], o.fp += fp_i[i];
        if (n > 0) {
          ++o.positive_images;
          o.miss_images += miss ? 1u : 0u;
        } else if (fp_i[i] > 0) {
          ++o.false_alarm_images;
        }
      }
      if (miss) miss_all[i] = 1;
      n_all[i] += n_i[i];
      fp_all[i] += fp_i[i];
      n_i[i] = 0, tp_i[i] = 0, fp_i[i] = 0;
    }
  }
  for (std::size_t s = 0; s < S; ++s) {
    auto& a = out[s].all;
    for (auto& o : out[s].per_category) {
      o.fn = o.n_gt - o.tp;
      o.negative_images = o.n_images - o.positive_images;
      a.tp += o.tp, a.fp += o.fp, a.fn += o.fn, a.n_gt += o.n_gt;
    }
  }
  for (std::size_t i = 0; i < N; ++i)
    for (std::uint32_t j = begin[i]; j < begin[i + 1]; ++j) {
      auto& a = out[list[j]].all;
      if (n_all[i] > 0) {
        ++a.positive_images;
        a.miss_images += miss_all[i] ? 1u : 0u;
      } else if (fp_all[i] > 0) {
        ++a.false_alarm_images;
      }
    }
  for (auto& o : out) o.all.negative_images = o.all.n_images - o.all.positive_images;
  return out;
}

/// The counts at IoU threshold index t with score threshold thresholds[k] for category k (+infinity keeps no
/// detection), over the images `images` (sorted, unique ids: all evaluated images, or a slice's).
[[nodiscard]] inline operating_point_counts count(const operating_records& r, std::size_t t,
                                                  std::span<const double> thresholds,
                                                  const std::vector<std::int64_t>& images) {
  std::vector<std::vector<std::size_t>> all(1, std::vector<std::size_t>(images.size()));
  std::iota(all[0].begin(), all[0].end(), std::size_t{0});
  return std::move(count_sets(r, t, thresholds, images, all)[0]);
}

/// A threshold chosen on the data, with its counts over all evaluated images.
struct chosen_threshold {
  double threshold = 0;
  double f1 = 0;
  std::uint64_t tp = 0, fp = 0, fn = 0;
};

/// A rule for choosing a category's threshold on the data.
struct choice_rule {
  enum class kind { best_f1, min_precision, min_recall } what = kind::best_f1;
  double target = 0;  // P or R

  /// Parses "f1", "precision>=P" or "recall>=R" (P, R in [0, 1]); usage_error otherwise.
  [[nodiscard]] static choice_rule parse(const std::string& s) {
    auto number = [&](std::size_t at) {
      const std::string v = s.substr(at);
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(x >= 0 && x <= 1))
        throw usage_error("--choose " + s + ": expected a number in [0, 1] after '>='");
      return x;
    };
    if (s == "f1") return {};
    if (s.rfind("precision>=", 0) == 0) return {kind::min_precision, number(11)};
    if (s.rfind("recall>=", 0) == 0) return {kind::min_recall, number(8)};
    throw usage_error("--choose: expected f1, precision>=P or recall>=R, got '" + s + "'");
  }
  [[nodiscard]] std::string str() const {
    char buf[48];
    if (what == kind::best_f1) return "f1";
    std::snprintf(buf, sizeof buf, "%s>=%.10g", what == kind::min_precision ? "precision" : "recall", target);
    return buf;
  }
};

/// The threshold `rule` picks for category k at IoU index t over all records (see the header comment); empty
/// when none.
[[nodiscard]] inline std::optional<chosen_threshold> choose(const operating_records& r, std::size_t k,
                                                            std::size_t t, const choice_rule& rule) {
  const auto& c = r.of(k);
  const std::uint64_t bit = std::uint64_t{1} << t;
  std::uint64_t n_gt = 0;
  for (const auto& g : c.gts) n_gt += static_cast<std::uint64_t>(g.n);
  std::vector<std::pair<double, bool>> cand;  // (score, true positive), non-ignored at t
  for (const auto& rec : c.records)
    if ((rec.tp | rec.fp) & bit) cand.emplace_back(rec.score, (rec.tp & bit) != 0);
  if (cand.empty() || n_gt == 0) return std::nullopt;
  std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::optional<chosen_threshold> best;
  std::uint64_t tp = 0, fp = 0;
  for (std::size_t i = 0; i < cand.size();) {
    const double s = cand[i].first;
    for (; i < cand.size() && cand[i].first == s; ++i) (cand[i].second ? tp : fp) += 1;
    const std::uint64_t fn = n_gt - tp;
    const double f1 = static_cast<double>(2 * tp) / static_cast<double>(2 * tp + fp + fn);
    const chosen_threshold here{s, f1, tp, fp, fn};
    switch (rule.what) {
      case choice_rule::kind::best_f1:  // descending: on a tie the lower threshold wins
        if (!best || f1 >= best->f1) best = here;
        break;
      case choice_rule::kind::min_precision:  // the lowest satisfying threshold: the last one seen
        if (static_cast<double>(tp) / static_cast<double>(tp + fp) >= rule.target) best = here;
        break;
      case choice_rule::kind::min_recall:  // the highest satisfying threshold: the first one seen
        if (static_cast<double>(tp) / static_cast<double>(n_gt) >= rule.target) return here;
        break;
    }
  }
  return best;
}

}  // namespace stratum::audit
