// Performance of a window against the baseline (docs/drift.md, "With labels" and "Without labels: expected
// precision"), at every frozen operating point (IoU threshold, per-class score thresholds), per set of
// frames ("all" and every slice of the baseline's slicing) and per class (and all classes pooled):
//
//   with labels (the window's frames carry ground truths): five rates against the baseline's,
//     miss rate            fn / n_gt                      objects, clustered in frames
//     false discovery rate fp / (tp + fp)                 detections at or above the threshold, clustered
//     false positives per frame  fp / frames              frames
//     image miss rate      frames missing an object of the class / frames with one     (frames independent)
//     image false alarm rate  frames without an object of the class but with a false positive / frames
//                          without an object of the class                              (frames independent)
//   as a difference window - baseline with its interval and a test of no change;
//   without labels: the expected precision of the window's detections at or above the threshold, each
//     detection's probability of being a true positive read off the baseline's isotonic calibration of its
//     class (the confidence-based performance estimation of NannyML's CBPE, adapted to detection); where the
//     window has labels, the measured precision of the same detections and the gap with its interval.
//
// Objects and detections of one frame are not independent (a crowded night frame misses several), so a rate
// r = Y / X = sum_i y_i / sum_i x_i over the frames i of a set is a ratio estimator: its variance is the
// linearised (cluster-robust) one,
//   v(r) = g / (g - 1) * sum_i (y_i - r x_i)^2 / X^2,  g the frames with x_i > 0,
// (Cochran 1977, Sampling Techniques, 6.9; the design-based variance of a ratio of cluster totals). The test
// of no change is the score-type t: under no change both sides share r0 = (Y_b + Y_w) / (X_b + X_w),
//   t = (r_w - r_b) / sqrt(v_b(r0) + v_w(r0)),  df = g_b + g_w - 2;
// the interval of the difference is Newcombe's hybrid score interval (method 10 of Newcombe 1998) from each
// side's Wilson interval at its effective size n_eff = X / deff, deff = v(r) / (r (1 - r) / X) (at least 1:
// the interval never claims more than independent objects would give; deff = 1 when r is 0 or 1), the
// effective-sample-size Wilson interval of Korn and Graubard (1998). False positives per frame: the same
// t test, the interval r_w - r_b +- z sqrt(v_b(r_b) + v_w(r_w)). The image rates count independent frames:
// Newcombe's interval of the counts and the pooled two-proportion z test.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "../audit/operating.hpp"
#include "../audit/stream.hpp"
#include "../coco/frame_matcher.hpp"
#include "../coco/slices.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../stats/isotonic.hpp"
#include "../stats/two_proportions.hpp"
#include "ap.hpp"
#include "drift.hpp"
#include "file.hpp"

namespace stratum::baseline {

/// What one set of frames holds of one class (or all classes) at one operating point: sums over its frames,
/// integers where they count, so splitting the frames into chunks gives the same sums.
struct class_sums {
  std::uint64_t tp = 0, fp = 0, n_gt = 0;
  std::uint64_t frames_gt = 0, frames_det = 0;  // frames with a ground truth, with a detection kept
  double fn_sq = 0, n_sq = 0, fn_n = 0;         // sum_i fn_i^2, n_i^2, fn_i n_i
  double fp_sq = 0, d_sq = 0, fp_d = 0;         // d_i = tp_i + fp_i
  std::uint64_t positives = 0, misses = 0, false_alarms = 0;  // frames
  // the expected-precision estimate: detections of classes with a calibration
  std::uint64_t est_n = 0, est_tp = 0, est_frames = 0;
  double est_e = 0;                           // sum of the calibrated probabilities
  double est_uu = 0, est_un = 0, est_nn = 0;  // u_i = tp_i - e_i: sum u_i^2, u_i n_i, n_i^2
};

/// One set of frames at one operating point: class index 0 is every class pooled, 1 + k class k.
struct set_sums {
  std::uint64_t frames = 0;
  std::vector<class_sums> classes;
};

/// The operating-point sums of a run or window: per operating point, per set name.
struct performance_sums {
  std::vector<std::map<std::string, set_sums>> points;
  bool labelled = false;  // some evaluated frame had a ground truth
};

/// What the comparison needs of each frozen operating point: its IoU index, the thresholds per class index
/// (+infinity: none) and the baseline's isotonic calibration of each class at or above its threshold, fitted
/// per set of frames (the set's own detections of the class when the baseline has at least
/// `min_calibration` of them, else the class's over every frame; none when it has fewer than that overall).
struct point_setup {
  double iou = 0.5;
  std::size_t t = 0;
  std::vector<double> thresholds;
  /// per set name, per class index: the index into `fits` of its calibration (npos: none)
  std::map<std::string, std::vector<std::size_t>> calibration;
  std::vector<stats::isotonic_fit> fits;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  /// The calibration slots of set `name` (those of "all" for a set the baseline has none of; nullptr: none).
  [[nodiscard]] const std::vector<std::size_t>* slots(const std::string& name) const {
    auto it = calibration.find(name);
    if (it == calibration.end()) it = calibration.find(profile::all_name);
    return it == calibration.end() ? nullptr : &it->second;
  }
};

namespace performance_detail {

/// One frame's tally of one class (or all classes).
struct tally {
  std::uint64_t tp = 0, fp = 0, n = 0, est_n = 0, est_tp = 0;
  double e = 0;
  bool miss = false;
};

inline void add_tally(class_sums& c, const tally& f) {
  const double fn = static_cast<double>(f.n - std::min(f.tp, f.n)), n = static_cast<double>(f.n),
               fp = static_cast<double>(f.fp), d = static_cast<double>(f.tp + f.fp);
  c.tp += f.tp, c.fp += f.fp, c.n_gt += f.n;
  c.frames_gt += f.n > 0, c.frames_det += f.tp + f.fp > 0;
  c.fn_sq += fn * fn, c.n_sq += n * n, c.fn_n += fn * n;
  c.fp_sq += fp * fp, c.d_sq += d * d, c.fp_d += fp * d;
  if (f.n > 0) {
    ++c.positives;
    c.misses += f.miss;
  } else if (f.fp > 0) {
    ++c.false_alarms;
  }
  if (f.est_n > 0) {
    const double u = static_cast<double>(f.est_tp) - f.e, m = static_cast<double>(f.est_n);
    c.est_n += f.est_n, c.est_tp += f.est_tp, ++c.est_frames;
    c.est_e += f.e;
    c.est_uu += u * u, c.est_un += u * m, c.est_nn += m * m;
  }
}

}  // namespace performance_detail

/// Adds the frames `images` (metadata; any order, ids unique) with their operating records `rec` (matched
/// with the baseline's parameters) to `into`, at each operating point of `setup`, per set of `specs`.
inline void fold(const audit::operating_records& rec, std::vector<coco::image_info> images,
                 const std::vector<coco::slice_spec>& specs, const std::vector<point_setup>& setup,
                 performance_sums& into) {
  namespace pd = performance_detail;
  const auto ids = audit::sort_by_id(images);
  const std::size_t N = images.size(), K = rec.categories();
  if (into.points.size() != setup.size()) into.points.resize(setup.size());
  for (std::size_t k = 0; k < K && !into.labelled; ++k)
    for (const auto& g : rec.of(k).gts)
      if (std::binary_search(ids.begin(), ids.end(), g.image)) {
        into.labelled = true;
        break;
      }
  std::vector<std::string> names;
  for (std::size_t p = 0; p < setup.size(); ++p) {
    const auto& sp = setup[p];
    if (sp.thresholds.size() != K)
      throw usage_error("baseline::fold: the operating point does not match the records' categories");
    // the sets of each frame, as pointers into this point's map, with the set's calibrations
    std::vector<std::vector<std::pair<set_sums*, const std::vector<std::size_t>*>>> member(N);
    for (std::size_t i = 0; i < N; ++i) {
      sets_of(images[i], specs, names);
      for (const auto& nm : names) {
        const auto it = into.points[p].try_emplace(nm).first;
        auto& s = it->second;
        if (s.classes.empty()) s.classes.resize(1 + K);
        ++s.frames;
        member[i].push_back({&s, sp.slots(it->first)});
      }
    }
    const std::uint64_t bit = std::uint64_t{1} << sp.t;
    std::vector<pd::tally> cls(N);
    std::vector<std::vector<pd::tally>> all(N);  // per frame, per set of the frame: all classes
    for (std::size_t i = 0; i < N; ++i) all[i].resize(member[i].size());
    std::vector<std::vector<std::pair<double, bool>>> scored(N);  // per frame: (score, tp) kept at or above
    std::vector<std::size_t> touched;
    for (std::size_t k = 0; k < K; ++k) {
      const auto& c = rec.of(k);
      touched.clear();
      audit::detail::position_cache pos(ids);
      auto at = [&](std::int64_t image) -> pd::tally* {
        const auto i = pos(image);
        if (i == audit::detail::position_cache::npos) return nullptr;
        auto& f = cls[i];
        if (f.n == 0 && f.tp == 0 && f.fp == 0) touched.push_back(i);
        return &f;
      };
      for (const auto& g : c.gts)
        if (auto* f = at(g.image)) f->n += static_cast<std::uint64_t>(g.n);
      const double thr = sp.thresholds[k];
      for (const auto& r : c.records) {
        if (!(r.score >= thr)) continue;
        const bool tp = r.tp & bit, fp = r.fp & bit;
        if (!tp && !fp) continue;
        auto* f = at(r.image);
        if (!f) continue;
        ++(tp ? f->tp : f->fp);
        scored[static_cast<std::size_t>(f - cls.data())].push_back({r.score, tp});
      }
      std::sort(touched.begin(), touched.end());  // image order: the sums' order does not depend on records
      for (const auto i : touched) {
        auto& f = cls[i];
        f.miss = f.n > 0 && f.tp < f.n;
        auto& sc = scored[i];
        std::sort(sc.begin(), sc.end());  // the sum of probabilities in one order, however records came
        for (std::size_t j = 0; j < member[i].size(); ++j) {
          const auto [s, slots] = member[i][j];
          pd::tally g = f;
          if (slots != nullptr && (*slots)[k] != point_setup::npos) {
            const auto& cal = sp.fits[(*slots)[k]];
            for (const auto& [score, tp] : sc) g.e += cal(score);
            g.est_n = sc.size();
            for (const auto& [score, tp] : sc) g.est_tp += tp;
          }
          pd::add_tally(s->classes[1 + k], g);
          auto& a = all[i][j];
          a.tp += g.tp, a.fp += g.fp, a.n += g.n, a.est_n += g.est_n, a.est_tp += g.est_tp, a.e += g.e;
          a.miss = a.miss || g.miss;
        }
        f = pd::tally{};
        sc.clear();
      }
    }
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < member[i].size(); ++j) {
        const auto& a = all[i][j];
        if (a.n == 0 && a.tp == 0 && a.fp == 0) continue;
        pd::add_tally(member[i][j].first->classes[0], a);
      }
  }
}

/// The operating points of a baseline with the calibrations of each class fitted on its frozen run (see
/// point_setup): per set, on the set's non-ignored detections at or above the class's threshold.
[[nodiscard]] inline std::vector<point_setup> setup_of(const baseline_file& b,
                                                       std::size_t min_calibration = 30) {
  audit::audit_stream au(b.categories, b.params);
  const auto& rp = au.parameters();
  const auto& rec = b.audit.records;
  const std::size_t K = rec.categories();
  // the sets of each frozen frame, by id
  std::vector<std::pair<std::int64_t, std::vector<std::string>>> frame_sets;
  for (const auto& im : b.audit.frames) {
    frame_sets.push_back({im.id, {}});
    sets_of(im, b.slicing, frame_sets.back().second);
  }
  std::sort(frame_sets.begin(), frame_sets.end(),
            [](const auto& a, const auto& c) { return a.first < c.first; });
  std::vector<point_setup> out;
  for (const auto& op : b.points) {
    point_setup sp;
    sp.iou = op.iou;
    sp.t = audit::iou_index(*rp, op.iou);
    const std::uint64_t bit = std::uint64_t{1} << sp.t;
    for (std::size_t k = 0; k < op.thresholds.size(); ++k)
      sp.thresholds.push_back(op.thresholds[k].value_or(std::numeric_limits<double>::infinity()));
    for (std::size_t k = 0; k < K; ++k) {
      std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> xy;  // per set
      for (const auto& r : rec.of(k).records) {
        if (!(r.score >= sp.thresholds[k]) || !((r.tp | r.fp) & bit)) continue;
        const auto it = std::lower_bound(frame_sets.begin(), frame_sets.end(), r.image,
                                         [](const auto& a, std::int64_t id) { return a.first < id; });
        if (it == frame_sets.end() || it->first != r.image) continue;
        for (const auto& name : it->second) {
          auto& [x, y] = xy[name];
          x.push_back(r.score);
          y.push_back((r.tp & bit) ? 1.0 : 0.0);
        }
      }
      for (auto& [name, v] : xy) {
        auto& slot = sp.calibration[name];
        if (slot.empty()) slot.assign(K, point_setup::npos);
        if (v.first.size() < std::max<std::size_t>(min_calibration, 1)) continue;
        slot[k] = sp.fits.size();
        sp.fits.emplace_back(v.first, v.second);
      }
    }
    // a set without its own calibration of a class uses the class's over every frame
    if (const auto all = sp.calibration.find(profile::all_name); all != sp.calibration.end())
      for (auto& [name, slot] : sp.calibration)
        for (std::size_t k = 0; k < K; ++k)
          if (slot[k] == point_setup::npos) slot[k] = all->second[k];
    out.push_back(std::move(sp));
  }
  return out;
}

/// The baseline's own sums (its frozen frames and records).
[[nodiscard]] inline performance_sums sums_of(const baseline_file& b, const std::vector<point_setup>& setup) {
  performance_sums out;
  out.points.resize(setup.size());
  if (b.audit.records.categories() == 0) return out;
  fold(b.audit.records, b.audit.frames, b.slicing, setup, out);
  return out;
}

/// A window's sums, fed frame by frame with bounded memory: the frames are matched with the baseline's
/// parameters (coco::frame_matcher, as the audit matches; every frame evaluated) and folded every `chunk`
/// frames. With `ap_max_detections` > 0 it also keeps what the window's AP needs (ap.hpp), up to that many
/// kept detections.
class performance_window {
 public:
  performance_window(const baseline_file& b, const std::vector<point_setup>& setup, std::size_t chunk = 1024,
                     std::uint64_t ap_max_detections = 0)
      : fm_(b.categories, coco::resolve_declared(b.categories, window_params(b.params))),
        specs_(b.slicing),
        setup_(&setup),
        chunk_(std::max<std::size_t>(chunk, 1)),
        keep_ap_(ap_max_detections > 0),
        ap_(b.slicing, ap_max_detections) {
    sums_.points.resize(setup.size());
    reset();
  }
  /// Validates and matches a frame (input_error naming the frame and field; the window unchanged then).
  void add(const frame& f) {
    fm_.validate(f);
    frames_.push_back({f.id, 0, 0, f.attrs, f.provenance});
    fm_.match(f, rec_);
    if (frames_.size() >= chunk_) flush();
  }
  /// The sums of every frame added.
  [[nodiscard]] const performance_sums& sums() {
    flush();
    return sums_;
  }
  /// What the window's AP needs (nullptr: not kept).
  [[nodiscard]] const ap_records* ap() {
    flush();
    return keep_ap_ ? &ap_ : nullptr;
  }

 private:
  static coco::params window_params(coco::params p) {
    p.img_ids.clear();  // every frame of the window is evaluated
    return p;
  }
  void reset() {
    rec_ = audit::operating_records(fm_.parameters());
    rec_.skip_error_analysis();
    frames_.clear();
  }
  void flush() {
    if (frames_.empty()) return;
    fold(rec_, frames_, specs_, *setup_, sums_);
    if (keep_ap_) ap_.add(rec_, frames_);
    reset();
  }
  coco::frame_matcher fm_;
  std::vector<coco::slice_spec> specs_;
  const std::vector<point_setup>* setup_;
  std::size_t chunk_;
  bool keep_ap_;
  ap_records ap_;
  audit::operating_records rec_;
  std::vector<coco::image_info> frames_;
  performance_sums sums_;
};

namespace performance_detail {

/// The events (and non-events) a clustered test needs in the window, expected under no change: below, the
/// normal approximation of a sum of a few skewed frame totals fails in the tails a family reaches.
inline constexpr double min_expected = 5;

/// A ratio's clustered pieces: Y, X, the frames g with x_i > 0 and sum y^2, x^2, x y.
struct ratio {
  double y = 0, x = 0, g = 0, yy = 0, xx = 0, xy = 0;
  [[nodiscard]] double value() const { return x > 0 ? y / x : std::numeric_limits<double>::quiet_NaN(); }
  /// sum_i (y_i - r x_i)^2.
  [[nodiscard]] double residual(double r) const { return std::max(0.0, yy - 2 * r * xy + r * r * xx); }
  /// The linearised variance of y / x with the residuals taken about r.
  [[nodiscard]] double variance(double r) const {
    if (!(x > 0) || g < 2) return 0;
    return residual(r) * g / (g - 1) / (x * x);
  }
};

inline ratio miss_ratio(const class_sums& c) {
  return {static_cast<double>(c.n_gt - c.tp),
          static_cast<double>(c.n_gt),
          static_cast<double>(c.frames_gt),
          c.fn_sq,
          c.n_sq,
          c.fn_n};
}
inline ratio false_discovery_ratio(const class_sums& c) {
  return {static_cast<double>(c.fp),
          static_cast<double>(c.tp + c.fp),
          static_cast<double>(c.frames_det),
          c.fp_sq,
          c.d_sq,
          c.fp_d};
}
inline ratio per_frame_ratio(const class_sums& c, std::uint64_t frames) {
  const double f = static_cast<double>(frames);
  return {static_cast<double>(c.fp), f, f, c.fp_sq, f, static_cast<double>(c.fp)};
}

/// Wilson's interval of a proportion p at a (possibly fractional) size n.
inline void wilson(double p, double n, double z, double& lo, double& hi) {
  const double z2 = z * z, den = 1 + z2 / n;
  const double centre = (p + z2 / (2 * n)) / den;
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den;
  lo = centre - half, hi = centre + half;
}

/// The effective size of a clustered proportion (X / deff, deff at least 1; X when r is 0 or 1).
inline double effective_size(const ratio& q) {
  const double r = q.value(), v = q.variance(r);
  if (!(r > 0 && r < 1) || !(v > 0)) return q.x;
  return std::min(q.x, r * (1 - r) / v);
}

/// The exact (Garwood) interval of a clustered count rate y / x at its effective count: y / deff events in
/// x / deff frames, deff = v(r) / (r / x) at least 1 (1 when no event).
inline void garwood(const ratio& q, double alpha, double& lo, double& hi) {
  const double r = q.value(), v = q.variance(r);
  const double deff = r > 0 && v > 0 ? std::max(1.0, v * q.x / r) : 1.0;
  const double y = q.y / deff, x = q.x / deff;
  lo = y > 0 ? boost::math::gamma_p_inv(y, alpha / 2) / x : 0.0;
  hi = boost::math::gamma_p_inv(y + 1, 1 - alpha / 2) / x;
}

inline double two_sided_t(double t, double df) {
  return 2 * boost::math::cdf(
                 boost::math::complement(boost::math::students_t_distribution<double>(df), std::fabs(t)));
}

}  // namespace performance_detail

/// The names of the five rates in the order compare_performance reports them.
inline constexpr std::array<const char*, 5> rate_features = {"miss rate", "false discovery rate",
                                                             "false positives per frame", "image miss rate",
                                                             "image false alarm rate"};

/// The rate tests (with labels: when `window.labelled`) and the expected-precision estimates of a window
/// against the baseline, appended to `res` (p-values unadjusted: call adjust after). `names[k]` names class
/// index k.
inline void compare_performance(const performance_sums& base, const performance_sums& window,
                                const std::vector<point_setup>& setup, const std::vector<std::string>& names,
                                drift_result& res) {
  namespace pd = performance_detail;
  const auto& o = res.options;
  const double z = boost::math::quantile(boost::math::normal_distribution<double>(), 1 - o.conf.alpha() / 2);
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  res.labelled = window.labelled;
  for (std::size_t p = 0; p < setup.size() && p < base.points.size() && p < window.points.size(); ++p) {
    const auto& bp = base.points[p];
    const auto& wp = window.points[p];
    for (const auto& name : sets_in_both(bp, wp)) {
      const auto& bs = bp.at(name);
      const auto& ws = wp.at(name);
      // one class (or use_cats = 0): its rows would repeat the pooled ones, and the repeats would only thin
      // the family
      const std::size_t classes = bs.classes.size() == 2 ? 1 : bs.classes.size();
      for (std::size_t c = 0; c < classes; ++c) {
        const auto& bc = bs.classes[c];
        const auto& wc = ws.classes[c];
        const std::string cls = c == 0 ? "" : names.at(c - 1);
        // the expected precision
        if (bc.est_n > 0 || wc.est_n > 0) {
          precision_estimate e;
          e.set = name, e.cls = cls, e.iou = setup[p].iou;
          e.base_detections = bc.est_n, e.window_detections = wc.est_n;
          e.window_uncovered = wc.tp + wc.fp - wc.est_n;
          e.window_frames = wc.est_frames;
          if (bc.est_n) e.base_precision = static_cast<double>(bc.est_tp) / static_cast<double>(bc.est_n);
          if (wc.est_n) {
            const double n = static_cast<double>(wc.est_n);
            e.expected = wc.est_e / n;
            if (window.labelled) {
              e.measured = static_cast<double>(wc.est_tp) / n;
              e.gap = e.measured - e.expected;
              const double g = static_cast<double>(wc.est_frames);
              const double ss = std::max(0.0, wc.est_uu - 2 * e.gap * wc.est_un + e.gap * e.gap * wc.est_nn);
              // the normal interval wants frames: none below min_frames (as a test would be "too little
              // data")
              const double se = g >= static_cast<double>(std::max<std::uint64_t>(o.min_frames, 2))
                                    ? std::sqrt(ss * g / (g - 1)) / n
                                    : nan;
              e.gap_lower = e.gap - z * se, e.gap_upper = e.gap + z * se;
            }
          }
          res.estimates.push_back(std::move(e));
        }
        if (!window.labelled) continue;
        for (std::size_t r = 0; r < rate_features.size(); ++r) {
          drift_test t;
          t.set = name, t.feature = rate_features[r], t.cls = cls, t.iou = setup[p].iou;
          t.df1 = nan;  // until a t test sets it
          if (r < 3) {  // clustered ratios
            const pd::ratio qb = r == 0   ? pd::miss_ratio(bc)
                                 : r == 1 ? pd::false_discovery_ratio(bc)
                                          : pd::per_frame_ratio(bc, bs.frames);
            const pd::ratio qw = r == 0   ? pd::miss_ratio(wc)
                                 : r == 1 ? pd::false_discovery_ratio(wc)
                                          : pd::per_frame_ratio(wc, ws.frames);
            if (qb.x == 0 && qw.x == 0) continue;
            t.base_n = static_cast<std::uint64_t>(qb.x), t.window_n = static_cast<std::uint64_t>(qw.x);
            t.base_frames = static_cast<std::uint64_t>(qb.g),
            t.window_frames = static_cast<std::uint64_t>(qw.g);
            t.base_value = qb.value(), t.window_value = qw.value();
            t.shift = t.window_value - t.base_value;
            t.shift_name = r == 2 ? "mean" : "difference";
            if (r == 2) {
              t.second_name = "relative change";
              t.second = t.base_value > 0 ? t.window_value / t.base_value - 1 : nan;
            }
            if (qb.g < static_cast<double>(o.min_frames) || qw.g < static_cast<double>(o.min_frames)) {
              t.status = "too little data";
              res.tests.push_back(std::move(t));
              continue;
            }
            if (r == 2) {
              double lb = 0, ub = 0, lw = 0, uw = 0;
              pd::garwood(qb, o.conf.alpha(), lb, ub);
              pd::garwood(qw, o.conf.alpha(), lw, uw);
              const double rb = t.base_value, rw = t.window_value;
              t.shift_lower = t.shift - std::sqrt((rw - lw) * (rw - lw) + (ub - rb) * (ub - rb));
              t.shift_upper = t.shift + std::sqrt((uw - rw) * (uw - rw) + (rb - lb) * (rb - lb));
            } else {
              const double nb = pd::effective_size(qb), nw = pd::effective_size(qw);
              double lb = 0, ub = 0, lw = 0, uw = 0;
              pd::wilson(t.base_value, nb, z, lb, ub);
              pd::wilson(t.window_value, nw, z, lw, uw);
              const double rb = t.base_value, rw = t.window_value;
              t.shift_lower = t.shift - std::sqrt((rw - lw) * (rw - lw) + (ub - rb) * (ub - rb));
              t.shift_upper = t.shift + std::sqrt((uw - rw) * (uw - rw) + (rb - lb) * (rb - lb));
            }
            // the test: under no change both sides share r0 and the per-frame variance of the residuals
            // y_i - r0 x_i, estimated from the frames of both (mostly the baseline's: a window with no event
            // would otherwise estimate it as nearly 0)
            const double r0 = (qb.y + qw.y) / (qb.x + qw.x);
            if (r0 * qw.x < pd::min_expected || (r != 2 && (1 - r0) * qw.x < pd::min_expected)) {
              t.status = "too little data";
              t.note = "fewer than 5 expected events in the window";
              res.tests.push_back(std::move(t));
              continue;
            }
            const double per_frame = (qb.residual(r0) + qw.residual(r0)) / (qb.g + qw.g - 1);
            const double v0 = per_frame * (qb.g / (qb.x * qb.x) + qw.g / (qw.x * qw.x));
            t.test = "clustered t";
            t.df1 = qw.g - 1;
            if (v0 > 0) {
              t.statistic = t.shift / std::sqrt(v0);
              t.p_value = pd::two_sided_t(t.statistic, t.df1);
            } else {
              t.statistic = 0;
              t.p_value = t.shift == 0 ? 1.0 : 0.0;
            }
          } else {  // frames: independent
            const std::uint64_t xb = r == 3 ? bc.misses : bc.false_alarms,
                                nb = r == 3 ? bc.positives : bs.frames - bc.positives,
                                xw = r == 3 ? wc.misses : wc.false_alarms,
                                nw = r == 3 ? wc.positives : ws.frames - wc.positives;
            if (nb == 0 && nw == 0) continue;
            t.base_n = t.base_frames = nb, t.window_n = t.window_frames = nw;
            t.shift_name = "difference";
            if (nb) t.base_value = static_cast<double>(xb) / static_cast<double>(nb);
            if (nw) t.window_value = static_cast<double>(xw) / static_cast<double>(nw);
            t.shift = t.window_value - t.base_value;
            if (nb < o.min_frames || nw < o.min_frames) {
              t.status = "too little data";
              res.tests.push_back(std::move(t));
              continue;
            }
            const auto ci = stats::newcombe_interval(
                static_cast<std::int64_t>(xw), static_cast<std::int64_t>(nw), static_cast<std::int64_t>(xb),
                static_cast<std::int64_t>(nb), o.conf);
            t.shift_lower = ci.lower, t.shift_upper = ci.upper;
            // Fisher's exact test: the far tails a family of hundreds of tests reaches are where the normal
            // approximation of a rare event's count fails
            t.test = "Fisher exact";
            const auto fe =
                stats::fisher_exact(static_cast<std::int64_t>(xw), static_cast<std::int64_t>(nw - xw),
                                    static_cast<std::int64_t>(xb), static_cast<std::int64_t>(nb - xb));
            t.statistic = fe.odds_ratio;
            t.p_value = fe.p_value;
          }
          res.tests.push_back(std::move(t));
        }
      }
    }
  }
}

/// The name of each class index of a baseline (its category's name, else "class <id>").
[[nodiscard]] inline std::vector<std::string> class_names(const baseline_file& b) {
  const audit::audit_stream au(b.categories, b.params);
  const auto& rp = au.parameters();
  auto names = audit::category_names(b.categories, rp);
  for (std::size_t k = 0; k < names.size(); ++k)
    if (names[k].empty()) names[k] = rp->use_cats ? "class " + std::to_string(rp->cat_ids[k]) : "all classes";
  return names;
}

/// The whole comparison of a window with a baseline as one family: the window's profile against the
/// baseline's (drift.hpp), its operating-point sums against the baseline's (`base` = sums_of(b, setup)) and,
/// with labels, its AP against the baseline's (`base_ap` = ap_of(b, o.ap_replicates, o.ap_seed), the
/// window's records `window_ap` resampled with o.ap_seed + 1; either nullptr: AP not compared), adjusted
/// together.
[[nodiscard]] inline drift_result compare(const baseline_file& b, const profile& window_profile,
                                          const performance_sums& base, const performance_sums& window,
                                          const std::vector<point_setup>& setup, const drift_options& o = {},
                                          const ap_side* base_ap = nullptr,
                                          const ap_records* window_ap = nullptr) {
  auto r = compare_unadjusted(b.drift, window_profile, b.categories, o);
  const auto names = class_names(b);
  compare_performance(base, window, setup, names, r);
  if (r.labelled) {
    if (base_ap == nullptr || window_ap == nullptr || o.ap_replicates == 0) {
      r.ap_note = o.ap_replicates == 0
                      ? "AP not compared (no replicates asked for)"
                      : "AP not compared (no AP records of the window or the baseline given)";
    } else if (window_ap->overflowed()) {
      r.ap_note = "AP not compared: the window has more than " + std::to_string(window_ap->max_detections()) +
                  " kept detections (its records are bounded; shorter windows, or a larger bound)";
    } else {
      const audit::audit_stream au(b.categories, b.params);
      const auto w = window_ap->compute(*au.parameters(), o.ap_replicates, o.ap_seed + 1, o.threads, false);
      compare_ap(*base_ap, w, *au.parameters(), names, r);
      r.ap_compared = true;
    }
  }
  adjust(r);
  return r;
}

}  // namespace stratum::baseline
