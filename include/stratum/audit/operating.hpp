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
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../coco/dataset.hpp"
#include "../coco/evaluator.hpp"
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

/// What operating points need of an evaluation, fed by the matcher (it is an accumulator in the matcher's
/// sense, with the begin_group hook that names each (image, category) group): per category index, the kept
/// detections with their true- and false-positive masks over the IoU thresholds at the area range "all", and
/// the non-ignored ground-truth count of every (image, category) group that has one. Merging concatenates
/// (the counts do not depend on record order).
///
/// A mergeable state (core/state.hpp, docs/concepts.md): operating_records{} is the identity; == compares the
/// records and groups of each category as multisets; serialize writes them in canonical order (kind 48):
/// header dims T, K, the "all" area index, 0, 0; payload per category: u64 n, n x (f64 score, i64 image,
/// u64 tp mask, u64 fp mask), then u64 g, g x (i64 image, i64 count), each list sorted.
class operating_records {
 public:
  static constexpr state_kind kind = state_kind::audit_records;
  static constexpr std::uint16_t format_version = 1;

  struct record {
    double score = 0;
    std::int64_t image = 0;
    std::uint64_t tp = 0, fp = 0;  // bit t: true / false positive at IoU threshold t
  };
  struct gt_group {
    std::int64_t image = 0;
    std::int64_t n = 0;  // non-ignored ground truths of the category in the image (> 0)
  };
  struct category {
    std::vector<record> records;
    std::vector<gt_group> gts;
  };

  operating_records() = default;
  /// Empty records for resolved parameters (K = cat_ids.size(), or 1 when use_cats is false).
  explicit operating_records(const coco::resolved_params& p)
      : T_(p.dims().T), area_(all_area_index(p)), cats_(p.dims().K) {
    p.require("operating_records");
  }

  [[nodiscard]] std::size_t categories() const noexcept { return cats_.size(); }
  [[nodiscard]] std::size_t iou_thresholds() const noexcept { return T_; }
  [[nodiscard]] const category& of(std::size_t k) const { return cats_.at(k); }

  // ---- fed by coco::matcher ----
  void begin_group(std::int64_t image, std::size_t) noexcept { image_ = image; }
  void add_ground_truths(std::size_t k, std::size_t a, std::int64_t non_ignored) {
    if (a == area_ && non_ignored > 0) cats_.at(k).gts.push_back({image_, non_ignored});
  }
  void add_detection(std::size_t k, double score, std::int64_t image, std::uint32_t, const std::uint64_t* tp,
                     const std::uint64_t* fp) {
    cats_.at(k).records.push_back({score, image, tp[area_], fp[area_]});
  }

  friend bool operator==(const operating_records& a, const operating_records& b) {
    if (a.T_ != b.T_ || a.area_ != b.area_ || a.cats_.size() != b.cats_.size()) return false;
    for (std::size_t k = 0; k < a.cats_.size(); ++k) {
      const auto x = canonical(a.cats_[k]), y = canonical(b.cats_[k]);
      if (!same(x, y)) return false;
    }
    return true;
  }

  /// The common wire format (kind 48), with `fingerprint` in the header (0: none; an audit writes that of its
  /// resolved parameters).
  [[nodiscard]] std::vector<std::byte> serialize(std::uint64_t fingerprint = 0) const {
    if (cats_.size() > 0xffffffffu) throw usage_error("operating_records::serialize: too many categories");
    stratum::detail::byte_writer w;
    stratum::detail::begin_state(w, kind, format_version,
                                 {static_cast<std::uint32_t>(T_), static_cast<std::uint32_t>(cats_.size()),
                                  static_cast<std::uint32_t>(area_), 0, 0},
                                 fingerprint);
    for (const auto& c0 : cats_) {
      const auto c = canonical(c0);
      w.u64(c.records.size());
      for (const auto& r : c.records) {
        w.f64(r.score);
        w.i64(r.image);
        w.u64(r.tp);
        w.u64(r.fp);
      }
      w.u64(c.gts.size());
      for (const auto& g : c.gts) {
        w.i64(g.image);
        w.i64(g.n);
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
    if (h.dims[3] != 0 || h.dims[4] != 0) r.fail("dimensions 4 and 5 of operating records must be 0");
    if (s.T_ > 64) r.fail("more than 64 IoU thresholds");
    if (K == 0 && (s.T_ != 0 || s.area_ != 0)) r.fail("a state without categories has a shape");
    if (K > 0 && s.T_ == 0) r.fail("no IoU threshold");
    r.need_array(K, 16, "the categories");
    s.cats_.resize(K);
    const std::uint64_t valid = s.T_ >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << s.T_) - 1;
    for (auto& c : s.cats_) {
      const auto n = r.u64();
      r.need_array(n, 32, "records");
      c.records.resize(static_cast<std::size_t>(n));
      for (auto& rec : c.records) {
        rec.score = r.f64();
        rec.image = r.i64();
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
      if (!std::is_sorted(c.records.begin(), c.records.end(), less_record) ||
          !std::is_sorted(c.gts.begin(), c.gts.end(), less_gt))
        r.fail("records or groups are not in canonical order");
    }
    r.finish();
    return s;
  }

  /// Appends another state's records (same shape; usage_error otherwise).
  operating_records& operator+=(const operating_records& o) {
    if (&o == this) return *this += operating_records(o);
    if (o.cats_.empty()) return *this;
    if (cats_.empty()) return *this = o;
    if (o.cats_.size() != cats_.size() || o.T_ != T_ || o.area_ != area_)
      throw usage_error("operating_records: merging states of different shapes");
    for (std::size_t k = 0; k < cats_.size(); ++k) {
      auto& c = cats_[k];
      const auto& oc = o.cats_[k];
      c.records.insert(c.records.end(), oc.records.begin(), oc.records.end());
      c.gts.insert(c.gts.end(), oc.gts.begin(), oc.gts.end());
    }
    return *this;
  }

 private:
  static bool less_record(const record& a, const record& b) {
    if (a.image != b.image) return a.image < b.image;
    if (a.score != b.score) return a.score > b.score;
    const auto sa = std::bit_cast<std::uint64_t>(a.score), sb = std::bit_cast<std::uint64_t>(b.score);
    if (sa != sb) return sa < sb;  // 0.0 and -0.0: ordered by their bits, so the order is canonical
    if (a.tp != b.tp) return a.tp < b.tp;
    return a.fp < b.fp;
  }
  static bool less_gt(const gt_group& a, const gt_group& b) {
    return a.image != b.image ? a.image < b.image : a.n < b.n;
  }
  static category canonical(const category& c) {
    category out = c;
    std::sort(out.records.begin(), out.records.end(), less_record);
    std::sort(out.gts.begin(), out.gts.end(), less_gt);
    return out;
  }
  static bool same(const category& a, const category& b) {
    if (a.records.size() != b.records.size() || a.gts.size() != b.gts.size()) return false;
    for (std::size_t i = 0; i < a.records.size(); ++i) {
      const auto &x = a.records[i], &y = b.records[i];
      if (std::bit_cast<std::uint64_t>(x.score) != std::bit_cast<std::uint64_t>(y.score) ||
          x.image != y.image || x.tp != y.tp || x.fp != y.fp)
        return false;
    }
    for (std::size_t i = 0; i < a.gts.size(); ++i)
      if (a.gts[i].image != b.gts[i].image || a.gts[i].n != b.gts[i].n) return false;
    return true;
  }

  std::size_t T_ = 0, area_ = 0;
  std::int64_t image_ = 0;  // the group being fed (not part of the state)
  std::vector<category> cats_;
};

/// Matches a batch data set into operating records, images split over `threads` workers (the counts do not
/// depend on it).
[[nodiscard]] inline operating_records collect(const coco::ground_truth& gt, const coco::detection_set& dt,
                                               const coco::resolved_params& p, unsigned threads = 1) {
  const coco::grouped_data data(gt, dt, p);
  const std::size_t n = data.images();
  threads =
      std::min<unsigned>(coco::resolve_threads(threads), static_cast<unsigned>(std::max<std::size_t>(1, n)));
  std::vector<operating_records> parts(threads, operating_records(p));
  stratum::detail::run_workers(threads, [&](unsigned t) {
    coco::match_images(data, p, n * t / threads, n * (t + 1) / threads, parts[t]);
  });
  for (unsigned t = 1; t < threads; ++t) parts[0] += parts[t];
  return std::move(parts[0]);
}

/// The counts at IoU threshold index t with score threshold thresholds[k] for category k (+infinity keeps no
/// detection), over the images `images` (sorted, unique ids: all evaluated images, or a slice's).
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

[[nodiscard]] inline operating_point_counts count(const operating_records& r, std::size_t t,
                                                  std::span<const double> thresholds,
                                                  const std::vector<std::int64_t>& images) {
  const std::size_t K = r.categories();
  if (t >= r.iou_thresholds()) throw usage_error("audit::count: IoU threshold index out of range");
  if (thresholds.size() != K)
    throw usage_error("audit::count: " + std::to_string(thresholds.size()) + " thresholds for " +
                      std::to_string(K) + " categories");
  const coco::detail::id_index pos(images);
  constexpr auto npos = coco::detail::id_index::npos;
  const std::size_t N = images.size();
  const std::uint64_t bit = std::uint64_t{1} << t;
  operating_point_counts out;
  out.per_category.resize(K);
  std::vector<std::int64_t> n_i(N, 0), n_all(N, 0);
  std::vector<std::uint64_t> tp_i(N, 0), fp_i(N, 0), fp_all(N, 0);
  std::vector<char> miss_all(N, 0);
  std::vector<std::size_t> touched;
  for (std::size_t k = 0; k < K; ++k) {
    const auto& c = r.of(k);
    auto& o = out.per_category[k];
    touched.clear();
    auto touch = [&](std::size_t i) {
      if (n_i[i] == 0 && tp_i[i] == 0 && fp_i[i] == 0) touched.push_back(i);
    };
    for (const auto& g : c.gts) {
      const auto i = pos.find(g.image);
      if (i == npos) continue;
      touch(i);
      n_i[i] += g.n;
      o.n_gt += static_cast<std::uint64_t>(g.n);
    }
    const double s = thresholds[k];
    for (const auto& rec : c.records) {
      if (!(rec.score >= s)) continue;
      const bool tp = rec.tp & bit, fp = rec.fp & bit;
      if (!tp && !fp) continue;
      const auto i = pos.find(rec.image);
      if (i == npos) continue;
      touch(i);
      if (tp) {
        ++tp_i[i];
        ++o.tp;
      } else {
        ++fp_i[i];
        ++o.fp;
      }
    }
    o.fn = o.n_gt - o.tp;
    o.n_images = N;
    for (const auto i : touched) {
      if (n_i[i] > 0) {
        ++o.positive_images;
        if (tp_i[i] < static_cast<std::uint64_t>(n_i[i])) ++o.miss_images, miss_all[i] = 1;
      } else if (fp_i[i] > 0) {
        ++o.false_alarm_images;
      }
      n_all[i] += n_i[i];
      fp_all[i] += fp_i[i];
      n_i[i] = 0, tp_i[i] = 0, fp_i[i] = 0;
    }
    o.negative_images = N - o.positive_images;
    out.all.tp += o.tp, out.all.fp += o.fp, out.all.fn += o.fn, out.all.n_gt += o.n_gt;
  }
  out.all.n_images = N;
  for (std::size_t i = 0; i < N; ++i) {
    if (n_all[i] > 0) {
      ++out.all.positive_images;
      out.all.miss_images += miss_all[i] ? 1u : 0u;
    } else if (fp_all[i] > 0) {
      ++out.all.false_alarm_images;
    }
  }
  out.all.negative_images = N - out.all.positive_images;
  return out;
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
