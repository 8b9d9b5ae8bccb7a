// Drift of a window against a baseline, without labels (docs/drift.md): the window's drift profile
// (profile.hpp, built with the baseline's binning) compared with the baseline's, per set of frames ("all" and
// every slice), per feature and class:
//
//   score per class (and all classes), box size, aspect ratio: PSI on the baseline's decile bins, KS D
//   (window
//     of at most `ks_max_values` values) or the Wasserstein-1 distance over the baseline's standard deviation
//     (larger windows), as Evidently chooses by sample size; the mean's shift with a frame-clustered
//     interval; the p-value of a frame-clustered Wald test of equal bin shares (Hotelling's F approximation);
//   class mix: PSI over the classes, the largest change of a class's share with its clustered interval, the
//     same Wald test;
//   detections per frame: the change of the mean with Welch's interval and z-test (frames are independent);
//   scenario mix (pool only, per attribute key): frames per value, chi-square test of homogeneity, PSI, the
//     largest change of a value's share with Newcombe's interval, values the baseline never saw;
//   embeddings (when the baseline's profile has an embedding shape; embedding.hpp): the centroid (Mahalanobis
//     distance in baseline standard deviations, the largest per-dimension shift with its interval,
//     Hotelling's two-sample T^2) and the distribution (the same test on random Fourier features, MMD^2),
//     graded by the Mahalanobis distance against embedding_warn and embedding_alarm.
//
// Detections of one frame are not independent draws (a foggy frame lowers every score in it), so tests that
// treat detections as independent (KS, chi-square on detection counts) reject far more often than their level
// on windows with no shift. The Wald test here takes frames as the independent units: the covariance of the
// window's bin shares is the ratio estimator's cluster-robust (linearised) covariance,
//   V = G / (G - 1) * sum_i (x_i - m_i p)(x_i - m_i p)^T / M^2,
// x_i the frame's bin counts, m_i their sum, M = sum m_i, p the shares, G the frames; the same for the
// baseline; T^2 = d^T (V_b + V_w)^+ d over the rank q of V_b + V_w, and
//   F = T^2 (n - q) / (q (n - 1)) ~ F(q, n - q), n the smaller number of frames with a value.
// Every p-value enters one family, adjusted by Holm (or Benjamini-Hochberg). A test is flagged when its
// adjusted p-value is below alpha; its severity is then read off the effect: PSI >= psi_alarm "alarm",
// >= psi_warn "warn", else "shift" (detections per frame: relative change of the mean against the same
// limits).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "../coco/dataset.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../stats/chi_square.hpp"
#include "../stats/multiple_testing.hpp"
#include "../stats/two_proportions.hpp"
#include "profile.hpp"

namespace stratum::baseline {

struct drift_options {
  double alpha = 0.05;  // family-wise (Holm) or false-discovery (Benjamini-Hochberg) level
  stats::p_value_adjustment adjustment = stats::p_value_adjustment::holm;
  double psi_warn = 0.1, psi_alarm = 0.25;
  std::uint64_t min_frames = 30;       // frames with a value, on each side, for a test
  std::uint64_t ks_max_values = 1000;  // KS D up to this many window values, Wasserstein above
  confidence conf{};                   // the effect intervals' level (95%)
  /// With labels (performance.hpp): a flagged rate that got worse is "warn" from an absolute change of
  /// rate_warn, "alarm" from rate_alarm (false positives per frame: a relative change against psi_warn and
  /// psi_alarm, as detections per frame).
  double rate_warn = 0.02, rate_alarm = 0.05;
  /// The expected precision: a class is calibrated when the baseline has at least this many of its
  /// detections at or above its threshold.
  std::uint64_t min_calibration = 30;
  /// Embeddings (embedding.hpp): a flagged centroid or distribution is "warn" from a Mahalanobis distance of
  /// embedding_warn baseline standard deviations, "alarm" from embedding_alarm.
  double embedding_warn = 1.0, embedding_alarm = 2.0;
  /// With labels, AP per set and class (ap.hpp): `ap_replicates` image-level bootstrap replicates per side
  /// (0: AP not compared) drawn with `ap_seed` (the window's with ap_seed + 1), over `threads` workers; a
  /// window of more than `ap_max_detections` kept detections is not compared (its records would not fit the
  /// bounded memory); a flagged AP that fell is "warn" from a drop of ap_warn, "alarm" from ap_alarm.
  std::size_t ap_replicates = 200;
  std::uint64_t ap_seed = 0;
  std::uint64_t ap_max_detections = 5'000'000;
  double ap_warn = 0.02, ap_alarm = 0.05;
  unsigned threads = 1;
};

/// One comparison of a window with the baseline.
struct drift_test {
  std::string set;      // "all", "weather=rain", or the attribute key for the scenario mix
  std::string feature;  // "score", "box size", "aspect", "class mix", "detections per frame", "scenario mix"
  std::string cls;      // the class name ("" for all classes)
  std::uint64_t base_n = 0, window_n = 0;            // values (detections, or frames)
  std::uint64_t base_frames = 0, window_frames = 0;  // frames with a value
  double psi = std::numeric_limits<double>::quiet_NaN();
  std::string second_name;  // "KS D", "Wasserstein/sd", "total variation", "relative change"
  double second = std::numeric_limits<double>::quiet_NaN();
  std::string shift_name;  // what the interval is of: "mean", "share of class X", "share of value V"
  double base_value = std::numeric_limits<double>::quiet_NaN(), window_value = base_value, shift = base_value,
         shift_lower = base_value, shift_upper = base_value;
  std::string test;  // "clustered Wald F", "Welch z", "chi-square"
  double statistic = std::numeric_limits<double>::quiet_NaN();
  double df1 = 0, df2 = 0;
  double p_value = std::numeric_limits<double>::quiet_NaN();
  double p_adjusted = std::numeric_limits<double>::quiet_NaN();
  std::string status;  // "ok", "shift", "warn", "alarm", "better" (a rate that improved), "too little data"
  std::string note;    // e.g. values the baseline never saw
  double iou = std::numeric_limits<double>::quiet_NaN();  // a rate's operating point (NaN: no labels needed)

  [[nodiscard]] bool is_rate() const noexcept { return !std::isnan(iou); }
  /// COCO's AP of a set and class (ap.hpp): higher is better, unlike the rates.
  [[nodiscard]] bool is_ap() const noexcept { return feature == "AP"; }
  /// Compared only with labels: the rates and AP.
  [[nodiscard]] bool needs_labels() const noexcept { return is_rate() || is_ap(); }
  /// The change went the good way: a rate fell, AP rose.
  [[nodiscard]] bool improved() const noexcept { return is_ap() ? shift > 0 : is_rate() && shift < 0; }
  [[nodiscard]] bool is_embedding() const noexcept { return feature.rfind("embedding", 0) == 0; }
  [[nodiscard]] bool per_frame() const noexcept { return second_name == "relative change"; }
  /// The effect its grade is read off: PSI; a per-frame mean's relative change; a rate's or AP's absolute
  /// change; an embedding's Mahalanobis distance.
  [[nodiscard]] double effect() const noexcept {
    if (per_frame()) return std::fabs(second);
    if (is_rate() || is_ap()) return std::fabs(shift);
    if (is_embedding()) return second;
    return psi;
  }
};

/// The label-free expected precision of a window's detections at or above the threshold (performance.hpp).
struct precision_estimate {
  std::string set, cls;  // cls "" for all classes
  double iou = 0.5;
  std::uint64_t base_detections = 0, window_detections = 0;  // calibrated detections at or above threshold
  std::uint64_t window_uncovered = 0;  // window detections of classes without a calibration (not estimated)
  std::uint64_t window_frames = 0;     // frames with an estimated detection
  double base_precision = std::numeric_limits<double>::quiet_NaN();  // measured on the baseline
  double expected = std::numeric_limits<double>::quiet_NaN();        // the window's, from its scores
  double measured = std::numeric_limits<double>::quiet_NaN();        // the window's, with labels
  double gap = std::numeric_limits<double>::quiet_NaN(), gap_lower = gap,
         gap_upper = gap;  // measured - expected
};

struct drift_result {
  drift_options options;
  std::uint64_t base_frames = 0, window_frames = 0, base_detections = 0, window_detections = 0;
  std::vector<drift_test> tests;
  std::vector<std::string> unseen_sets;   // slices of the window the baseline has no frame of
  std::vector<std::string> missing_sets;  // slices of the baseline the window has no frame of
  bool labelled = false;                  // the window had labels: the rates were compared
  std::vector<precision_estimate> estimates;
  /// Frames with an embedding (the baseline's: 0 when it has no embedding shape), and window frames whose
  /// embedding was not compared because the baseline has none.
  std::uint64_t base_embeddings = 0, window_embeddings = 0, unprofiled_embeddings = 0;
  /// With labels: whether AP was compared (ap.hpp), and if not, why ("" when it was or the window has no
  /// labels).
  bool ap_compared = false;
  std::string ap_note;
  [[nodiscard]] std::size_t flagged() const {
    std::size_t n = 0;
    for (const auto& t : tests) n += t.status == "shift" || t.status == "warn" || t.status == "alarm";
    return n;
  }
  [[nodiscard]] std::size_t improved() const {
    std::size_t n = 0;
    for (const auto& t : tests) n += t.status == "better";
    return n;
  }
  [[nodiscard]] std::size_t tested() const {
    std::size_t n = 0;
    for (const auto& t : tests) n += !std::isnan(t.p_value);
    return n;
  }
};

namespace drift_detail {

inline constexpr double psi_floor = 1e-4;  // a zero share counts as 0.0001 (Evidently's convention)

inline double psi(const std::vector<double>& base, const std::vector<double>& window) {
  double s = 0;
  for (std::size_t i = 0; i < base.size(); ++i) {
    const double b = std::max(base[i], psi_floor), w = std::max(window[i], psi_floor);
    s += (w - b) * std::log(w / b);
  }
  return s;
}

inline double upper_f_tail(double f, double d1, double d2) {
  if (!(f > 0)) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::fisher_f_distribution<double>(d1, d2), f));
}
inline double two_sided_t(double t, double df) {
  return 2 * boost::math::cdf(
                 boost::math::complement(boost::math::students_t_distribution<double>(df), std::fabs(t)));
}
inline double t_quantile(double p, double df) {
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

/// The shares of a cell's coarse bins.
inline Eigen::VectorXd shares_of(const cell& c) {
  const std::size_t B = c.coarse.size();
  const double n = static_cast<double>(c.count());
  Eigen::VectorXd p(static_cast<Eigen::Index>(B));
  for (std::size_t a = 0; a < B; ++a) p[static_cast<Eigen::Index>(a)] = static_cast<double>(c.coarse[a]) / n;
  return p;
}

/// sum over the frames of a cell of (x_i - m_i p)(x_i - m_i p)^T, from its cross moments.
inline Eigen::MatrixXd residual_moments(const cell& c, const Eigen::VectorXd& p) {
  const std::size_t B = c.coarse.size();
  Eigen::MatrixXd S(B, B);
  for (std::size_t a = 0; a < B; ++a)
    for (std::size_t b = 0; b < B; ++b)
      S(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) = static_cast<double>(c.cross_at(a, b));
  const Eigen::VectorXd u = S.rowwise().sum();  // sum_i m_i x_i
  const double mm = u.sum();                    // sum_i m_i^2
  return S - p * u.transpose() - u * p.transpose() + mm * p * p.transpose();
}

/// The mean of a feature cell in its units and the clustered variance of that mean.
inline void clustered_mean(const cell& c, const fine_grid& g, std::uint64_t set_frames, double& mean,
                           double& var) {
  double T = 0, M = 0;
  for (std::size_t i = 0; i < c.fine.size(); ++i) {
    T += static_cast<double>(c.fine[i]) * static_cast<double>(i);
    M += static_cast<double>(c.fine[i]);
  }
  double mm = 0;
  for (std::size_t a = 0; a < c.coarse.size(); ++a)
    for (std::size_t b = 0; b < c.coarse.size(); ++b) mm += static_cast<double>(c.cross_at(a, b));
  const double mu = T / M;  // in fine-bin indices
  const double ss = std::max(0.0, c.t2.value() - 2 * mu * c.tm.value() + mu * mu * mm);
  const double gf = static_cast<double>(set_frames);
  mean = g.centre(mu);
  var = ss / (M * M) * (gf > 1 ? gf / (gf - 1) : 1.0) * g.width() * g.width();
}

/// KS D between the fine-grid distributions, and the Wasserstein-1 distance over the baseline's standard
/// deviation (bin centres; the standard deviation at least one fine bin).
inline void distances(const cell& b, const cell& w, const fine_grid& g, double& ks, double& wass) {
  const double nb = static_cast<double>(b.count()), nw = static_cast<double>(w.count());
  double cb = 0, cw = 0, area = 0, mean = 0, sq = 0;
  ks = 0;
  for (std::size_t i = 0; i < b.fine.size(); ++i) {
    cb += static_cast<double>(b.fine[i]) / nb;
    cw += static_cast<double>(w.fine[i]) / nw;
    ks = std::max(ks, std::fabs(cb - cw));
    if (i + 1 < b.fine.size()) area += std::fabs(cb - cw) * g.width();
    const double x = g.centre(static_cast<double>(i));
    mean += static_cast<double>(b.fine[i]) * x;
    sq += static_cast<double>(b.fine[i]) * x * x;
  }
  mean /= nb;
  const double sd = std::max(std::sqrt(std::max(0.0, sq / nb - mean * mean)), g.width());
  wass = area / sd;
}

/// The two embedding tests of a set (embedding.hpp): the centroid and the distribution (random features).
inline void embedding_tests(const embedding_sums& be, const embedding_sums& we, const embedding_shape& shape,
                            const std::string& set, double zq, const drift_options& o, drift_result& res) {
  drift_test c, d;
  c.set = d.set = set;
  c.feature = "embedding centroid", d.feature = "embedding distribution";
  c.test = "Hotelling T^2 F", d.test = "Hotelling T^2 F (random features)";
  c.second_name = d.second_name = "Mahalanobis";
  d.shift_name = "MMD^2 (random features)";
  for (auto* t : {&c, &d}) {
    t->base_n = t->base_frames = be.frames;
    t->window_n = t->window_frames = we.frames;
    if (we.clamped > 0)
      t->note =
          std::to_string(we.clamped) + " window values beyond 1024 times the baseline's largest, clamped";
  }
  if (be.frames < std::max<std::uint64_t>(o.min_frames, 2) ||
      we.frames < std::max<std::uint64_t>(o.min_frames, 2)) {
    c.status = d.status = "too little data";
  } else {
    const auto r = compare_embeddings(be, we, shape, zq);
    c.shift_name = "mean of dimension " + std::to_string(r.dimension) + " (baseline sd)";
    c.base_value = 0, c.window_value = r.z, c.shift = r.z, c.shift_lower = r.z_lower,
    c.shift_upper = r.z_upper;
    d.base_value = 0, d.window_value = r.mmd2, d.shift = r.mmd2;
    const auto fill = [](drift_test& t, const hotelling_result& h) {
      t.second = h.mahalanobis;
      if (!h.tested) {
        t.status = "too little data";
        return;
      }
      t.statistic = h.f, t.df1 = h.df1, t.df2 = h.df2, t.p_value = h.p_value;
    };
    fill(c, r.centroid);
    fill(d, r.distribution);
  }
  res.tests.push_back(std::move(c));
  res.tests.push_back(std::move(d));
}

}  // namespace drift_detail

/// Compares a window's profile with the baseline's (same categories, slicing and binning: usage_error
/// otherwise), p-values not yet adjusted (adjust). `categories` names the classes (by the profile's category
/// order).
[[nodiscard]] inline drift_result compare_unadjusted(const profile& base, const profile& window,
                                                     const std::vector<coco::category_info>& categories,
                                                     const drift_options& o = {}) {
  namespace dd = drift_detail;
  if (base.is_identity() || window.is_identity()) throw usage_error("drift: an empty profile");
  if (base.fingerprint() != window.fingerprint())
    throw usage_error(
        "drift: the window's profile has other categories, slicing or binning than the baseline's");
  if (!(o.alpha > 0 && o.alpha < 1)) throw usage_error("drift: alpha must be in (0, 1)");
  if (!(o.psi_warn > 0 && o.psi_alarm >= o.psi_warn))
    throw usage_error("drift: need 0 < psi_warn <= psi_alarm");
  if (!(o.rate_warn > 0 && o.rate_alarm >= o.rate_warn))
    throw usage_error("drift: need 0 < rate_warn <= rate_alarm");
  if (!(o.embedding_warn > 0 && o.embedding_alarm >= o.embedding_warn))
    throw usage_error("drift: need 0 < embedding_warn <= embedding_alarm");
  drift_result res;
  res.options = o;
  const std::size_t K = base.categories();
  auto class_name = [&](std::size_t k) {  // k: category index
    for (const auto& c : categories)
      if (c.id == base.category_ids()[k]) return c.name;
    return "class " + std::to_string(base.category_ids()[k]);
  };
  const double z = boost::math::quantile(boost::math::normal_distribution<double>(), 1 - o.conf.alpha() / 2);
  if (const auto it = base.sets().find(profile::all_name); it != base.sets().end())
    res.base_frames = it->second.frames, res.base_detections = it->second.detections;
  if (const auto it = window.sets().find(profile::all_name); it != window.sets().end())
    res.window_frames = it->second.frames, res.window_detections = it->second.detections;
  if (const auto it = base.sets().find(profile::all_name); it != base.sets().end())
    res.base_embeddings = it->second.embedding.frames;
  if (const auto it = window.sets().find(profile::all_name); it != window.sets().end())
    res.window_embeddings = it->second.embedding.frames;
  res.unprofiled_embeddings = window.unprofiled_embeddings();
  for (const auto& [name, ws] : window.sets())
    if (!base.sets().count(name)) res.unseen_sets.push_back(name);
  for (const auto& [name, bs] : base.sets())
    if (!window.sets().count(name)) res.missing_sets.push_back(name);

  for (const auto& name : sets_in_both(base.sets(), window.sets())) {
    const set_profile& bs = base.sets().at(name);
    const set_profile& ws = window.sets().at(name);
    // detections per frame
    {
      drift_test t;
      t.set = name, t.feature = "detections per frame", t.second_name = "relative change";
      t.shift_name = "mean", t.test = "pooled t";
      t.base_n = t.base_frames = bs.frames, t.window_n = t.window_frames = ws.frames;
      const auto moments = [](const set_profile& s, double& mean, double& var) {
        const double n = static_cast<double>(s.frames), d = static_cast<double>(s.detections);
        mean = d / n;
        var = n > 1 ? std::max(0.0, (s.detections_sq.value() - d * d / n) / (n - 1)) / n : 0.0;
      };
      double mb = 0, vb = 0, mw = 0, vw = 0;
      moments(bs, mb, vb), moments(ws, mw, vw);
      t.base_value = mb, t.window_value = mw, t.shift = mw - mb;
      const double se = std::sqrt(vb + vw);
      // Welch-Satterthwaite degrees of freedom
      const double nb = static_cast<double>(bs.frames), nw = static_cast<double>(ws.frames);
      const double df =
          se > 0 ? (vb + vw) * (vb + vw) / (vb * vb / std::max(nb - 1, 1.0) + vw * vw / std::max(nw - 1, 1.0))
                 : 1.0;
      const double tq = dd::t_quantile(1 - o.conf.alpha() / 2, df);
      t.shift_lower = t.shift - tq * se, t.shift_upper = t.shift + tq * se;
      t.second = mb > 0 ? mw / mb - 1 : std::numeric_limits<double>::quiet_NaN();
      if (bs.frames < o.min_frames || ws.frames < o.min_frames) {
        t.status = "too little data";
      } else {
        // the test: Student's pooled t (under no shift both sides share the variance, estimated from the
        // frames of both, mostly the baseline's: stabler than the window's own on a skewed count)
        const double n = nb + nw;
        const double d = static_cast<double>(bs.detections) + static_cast<double>(ws.detections);
        const double ss = std::max(0.0, bs.detections_sq.value() + ws.detections_sq.value() - d * d / n -
                                            (mw - mb) * (mw - mb) * nb * nw / n);
        const double se0 = std::sqrt(ss / (n - 2) * (1 / nb + 1 / nw));
        t.statistic = se0 > 0 ? t.shift / se0 : 0.0;
        t.df1 = n - 2;
        t.p_value = se0 > 0 ? dd::two_sided_t(t.statistic, n - 2) : (t.shift == 0 ? 1.0 : 0.0);
      }
      res.tests.push_back(std::move(t));
    }
    for (std::size_t c = 0; c < base.cell_count(); ++c) {
      const cell& bc = bs.at(c);
      const cell& wc = ws.at(c);
      if (bc.empty() && wc.empty()) continue;
      const bool mix = c == base.class_mix_cell();
      drift_test t;
      t.set = name;
      const auto f = base.feature_of(c);
      t.feature = mix ? "class mix" : grids[static_cast<std::size_t>(f)].name;
      t.cls = (!mix && c >= 1 && c <= K) ? class_name(c - 1) : "";
      t.test = "clustered Wald F";
      t.base_n = bc.count(), t.window_n = wc.count(), t.base_frames = bc.frames, t.window_frames = wc.frames;
      if (bc.frames < o.min_frames || wc.frames < o.min_frames) {
        t.status = "too little data";
        res.tests.push_back(std::move(t));
        continue;
      }
      // Under the hypothesis of no shift both sides share the bin shares p0 and the per-frame covariance
      // of the residuals x_i - m_i p0, estimated from the frames of both (a score-type test).
      const Eigen::VectorXd pb = dd::shares_of(bc), pw = dd::shares_of(wc);
      const double mb = static_cast<double>(bc.count()), mw = static_cast<double>(wc.count());
      const Eigen::VectorXd p0 = (mb * pb + mw * pw) / (mb + mw);
      const double gb = static_cast<double>(bs.frames), gw = static_cast<double>(ws.frames);
      const Eigen::MatrixXd per_frame =
          (dd::residual_moments(bc, p0) + dd::residual_moments(wc, p0)) / (gb + gw - 1);
      const Eigen::MatrixXd v = per_frame * (gw / (mw * mw) + gb / (mb * mb));
      const Eigen::VectorXd d = pw - pb;
      t.psi = dd::psi(std::vector<double>(pb.data(), pb.data() + pb.size()),
                      std::vector<double>(pw.data(), pw.data() + pw.size()));
      std::size_t q = 0;
      const double t2 = pseudo_quadratic(d, v, q);
      const double n = static_cast<double>(bc.frames + wc.frames) - 1;
      if (q == 0) {
        t.p_value = d.cwiseAbs().maxCoeff() > 0 ? 0.0 : 1.0;
        t.statistic = 0;
      } else if (n > static_cast<double>(q) + 1) {
        t.df1 = static_cast<double>(q), t.df2 = n - static_cast<double>(q);
        t.statistic = t2 * t.df2 / (t.df1 * (n - 1));
        t.p_value = dd::upper_f_tail(t.statistic, t.df1, t.df2);
      } else {
        t.status = "too little data";
      }
      if (mix) {
        t.second_name = "total variation";
        double tv = 0;
        Eigen::Index at = 0;
        for (Eigen::Index i = 0; i < d.size(); ++i) {
          tv += std::fabs(d[i]) / 2;
          if (std::fabs(d[i]) > std::fabs(d[at])) at = i;
        }
        t.second = tv;
        t.shift_name = "share of " + class_name(static_cast<std::size_t>(at));
        t.base_value = pb[at], t.window_value = pw[at], t.shift = d[at];
        // the interval: each side's own clustered variance (not the pooled one of the test)
        const auto own = [](const cell& ce, const Eigen::VectorXd& p, double m, double g, Eigen::Index i) {
          return dd::residual_moments(ce, p)(i, i) / (m * m) * (g > 1 ? g / (g - 1) : 1.0);
        };
        const double se = std::sqrt(std::max(0.0, own(bc, pb, mb, gb, at) + own(wc, pw, mw, gw, at)));
        t.shift_lower = t.shift - z * se, t.shift_upper = t.shift + z * se;
      } else {
        const auto& g = grids[static_cast<std::size_t>(f)];
        double ks = 0, wass = 0;
        dd::distances(bc, wc, g, ks, wass);
        if (wc.count() <= o.ks_max_values)
          t.second_name = "KS D", t.second = ks;
        else
          t.second_name = "Wasserstein/sd", t.second = wass;
        double vb = 0, vw = 0;
        dd::clustered_mean(bc, g, bs.frames, t.base_value, vb);
        dd::clustered_mean(wc, g, ws.frames, t.window_value, vw);
        t.shift_name = "mean";
        t.shift = t.window_value - t.base_value;
        const double se = std::sqrt(vb + vw);
        t.shift_lower = t.shift - z * se, t.shift_upper = t.shift + z * se;
      }
      res.tests.push_back(std::move(t));
    }
    if (!base.embedding().empty() && !(bs.embedding.empty() && ws.embedding.empty()))
      dd::embedding_tests(bs.embedding, ws.embedding, base.embedding(), name, z, o, res);
  }
  // scenario mix, per attribute key: frames are independent draws
  for (const auto& [key, bvals] : base.scenario()) {
    const auto wit = window.scenario().find(key);
    if (wit == window.scenario().end()) continue;
    const auto& wvals = wit->second;
    std::vector<std::string> values;
    for (const auto& [v, n] : bvals) values.push_back(v);
    std::string unseen;
    for (const auto& [v, n] : wvals)
      if (!bvals.count(v)) {
        values.push_back(v);
        unseen += (unseen.empty() ? "" : ", ") + (v.empty() ? std::string("(no value)") : v);
      }
    drift_test t;
    t.set = key, t.feature = "scenario mix", t.test = "chi-square", t.second_name = "total variation";
    double nb = 0, nw = 0;
    for (const auto& [v, n] : bvals) nb += static_cast<double>(n);
    for (const auto& [v, n] : wvals) nw += static_cast<double>(n);
    t.base_n = t.base_frames = static_cast<std::uint64_t>(nb);
    t.window_n = t.window_frames = static_cast<std::uint64_t>(nw);
    std::vector<double> table, pb, pw;
    std::size_t at = 0;
    double tv = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto bi = bvals.find(values[i]);
      const auto wi = wvals.find(values[i]);
      const double xb = bi == bvals.end() ? 0.0 : static_cast<double>(bi->second);
      const double xw = wi == wvals.end() ? 0.0 : static_cast<double>(wi->second);
      table.push_back(xb), table.push_back(xw);
      pb.push_back(xb / nb), pw.push_back(xw / nw);
      tv += std::fabs(pw.back() - pb.back()) / 2;
      if (std::fabs(pw[i] - pb[i]) > std::fabs(pw[at] - pb[at])) at = i;
    }
    t.psi = dd::psi(pb, pw);
    t.second = tv;
    t.shift_name = "share of " + key + "=" + (values[at].empty() ? std::string("(no value)") : values[at]);
    const auto xb = static_cast<std::int64_t>(std::llround(pb[at] * nb)),
               xw = static_cast<std::int64_t>(std::llround(pw[at] * nw));
    const auto ci = stats::newcombe_interval(xw, static_cast<std::int64_t>(nw), xb,
                                             static_cast<std::int64_t>(nb), o.conf);
    t.base_value = pb[at], t.window_value = pw[at], t.shift = ci.estimate, t.shift_lower = ci.lower,
    t.shift_upper = ci.upper;
    if (!unseen.empty()) t.note = "values the baseline never saw: " + unseen;
    if (nb < static_cast<double>(o.min_frames) || nw < static_cast<double>(o.min_frames)) {
      t.status = "too little data";
    } else if (values.size() > 1) {
      const auto chi = stats::chi_square_homogeneity(table, values.size(), 2);
      t.statistic = chi.statistic, t.df1 = static_cast<double>(chi.dof), t.p_value = chi.p_value;
    } else {
      t.statistic = 0, t.p_value = 1;
    }
    res.tests.push_back(std::move(t));
  }

  return res;
}

/// Adjusts every p-value of `res` as one family (Holm or Benjamini-Hochberg at alpha) and grades each test:
/// "ok" when not flagged, else by its effect: PSI (or the relative change of a per-frame mean, or the
/// absolute change of a rate) against the warn and alarm limits; a rate flagged for getting better is
/// "better".
inline void adjust(drift_result& res) {
  const auto& o = res.options;
  std::vector<double> ps;
  for (const auto& t : res.tests)
    if (!std::isnan(t.p_value)) ps.push_back(t.p_value);
  std::vector<double> adj;
  std::vector<bool> rej;
  if (!ps.empty()) {
    const auto m = stats::adjust_p_values(ps, o.adjustment, confidence::from_alpha(o.alpha));
    adj = m.adjusted, rej = m.reject;
  }
  std::size_t j = 0;
  for (auto& t : res.tests) {
    if (std::isnan(t.p_value)) {
      if (t.status.empty()) t.status = "too little data";
      continue;
    }
    t.p_adjusted = adj[j];
    const bool flagged = rej[j++];
    const bool rate = t.is_rate(), per_frame = t.per_frame();
    const double effect = t.effect();
    const double warn = t.is_embedding()     ? o.embedding_warn
                        : t.is_ap()          ? o.ap_warn
                        : rate && !per_frame ? o.rate_warn
                                             : o.psi_warn,
                 alarm = t.is_embedding()     ? o.embedding_alarm
                         : t.is_ap()          ? o.ap_alarm
                         : rate && !per_frame ? o.rate_alarm
                                              : o.psi_alarm;
    if (!flagged)
      t.status = "ok";
    else if (t.improved())
      t.status = "better";
    else if (effect >= alarm)
      t.status = "alarm";
    else if (effect >= warn)
      t.status = "warn";
    else
      t.status = "shift";
  }
}

/// compare_unadjusted, then adjust: the label-free comparison of two profiles as one family.
[[nodiscard]] inline drift_result compare(const profile& base, const profile& window,
                                          const std::vector<coco::category_info>& categories,
                                          const drift_options& o = {}) {
  auto r = compare_unadjusted(base, window, categories, o);
  adjust(r);
  return r;
}

}  // namespace stratum::baseline
