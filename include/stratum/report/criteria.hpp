// A reviewer's acceptance criteria and their verdicts (docs/evidence_pack.md, "Criteria").
//
// A criterion names a metric, a class ("all": pooled) and a slice ("all": every frame), an IoU threshold (one
// of the audit's operating points; default its first), a limit and a direction: "at_most" (the metric must
// not exceed the limit: miss rate, false alarms) or "at_least" (it must reach it: precision, recall). It is
// judged on the interval, not on the point:
//
//   at_most:  PASS when upper <= limit, FAIL when lower > limit, INCONCLUSIVE otherwise
//   at_least: PASS when lower >= limit, FAIL when upper < limit, INCONCLUSIVE otherwise
//
// and INCONCLUSIVE, whatever the interval, when the slice lacks the evidence: the metric is undefined there
// (no object, detection or frame it is a rate of; a declared scenario cell with no frame) or it rests on
// fewer than the criterion's min_n units. An INCONCLUSIVE verdict carries the sample size that would decide
// it (in the metric's units), when one exists:
//
//   - straddling, with observed value v != limit: the smallest n at which the interval at the same value
//     excludes the limit: the Wilson interval with x = v n (binomial rates, whatever the interval method;
//     Wilson's skew at small n is what a scaling of the observed width gets wrong), the exact Poisson
//     interval with k = v n (false positives per frame); for an interval widened by the bootstrap, and for
//     ECE, at least n (w / d)^2 with w the distance from v to the interval's bound on the limit's side and d
//     = |v - limit| (the interval shrinking as 1/sqrt(n)); v = limit: none (no sample size decides a value on
//     the limit);
//   - a failure rate with no failure, at_most L: zero_failure_sample_size(L) (the fewest units that, with no
//     failure, bound the rate below L), or the same for a success rate's complement 1 - L at_least L;
//   - no evidence at all: the same zero-failure size (binomial rates), ceil(-ln(alpha/2) / L) frames for
//   false
//     positives per frame (the exact Poisson bound of no false positive), none for ECE;
//   - below min_n: at least min_n.
//
// Intervals: the audit's (binomial, zero-failure or exact Poisson, audit/rates.hpp); with the image
// bootstrap, the union of that interval and the bootstrap's percentile interval (a criterion then passes only
// when both say so: the binomial interval treats objects as independent, the bootstrap sees that failures
// cluster in frames). ECE has only the bootstrap's interval (without it: INCONCLUSIVE, "no interval").
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "../audit/audit.hpp"
#include "../audit/bootstrap.hpp"
#include "../audit/calibration.hpp"
#include "../baseline/drift.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "../stats/sample_size.hpp"

namespace stratum::report {

enum class direction { at_most, at_least };
enum class verdict { pass, fail, inconclusive };

[[nodiscard]] inline const char* name(direction d) noexcept {
  return d == direction::at_most ? "at_most" : "at_least";
}
[[nodiscard]] inline const char* name(verdict v) noexcept {
  switch (v) {
    case verdict::pass:
      return "PASS";
    case verdict::fail:
      return "FAIL";
    case verdict::inconclusive:
      return "INCONCLUSIVE";
  }
  return "?";
}

/// The metrics a criterion can name.
enum class metric {
  miss_rate,
  recall,
  precision,
  false_discovery_rate,
  fppi,
  image_false_alarm_rate,
  image_miss_rate,
  ece,
  drift
};
struct metric_info {
  metric m;
  const char* name;
  const char* label;  // for people
  const char* unit;   // what n counts
  enum class kind { failure, success, poisson, bootstrap_only, drift } k;
};
inline constexpr metric_info metric_table[] = {
    {metric::miss_rate, "miss_rate", "miss rate", "objects", metric_info::kind::failure},
    {metric::recall, "recall", "recall", "objects", metric_info::kind::success},
    {metric::precision, "precision", "precision", "detections", metric_info::kind::success},
    {metric::false_discovery_rate, "false_discovery_rate", "false discovery rate", "detections",
     metric_info::kind::failure},
    {metric::fppi, "fppi", "false positives per frame", "frames", metric_info::kind::poisson},
    {metric::image_false_alarm_rate, "image_false_alarm_rate", "frame false-alarm rate",
     "frames without object", metric_info::kind::failure},
    {metric::image_miss_rate, "image_miss_rate", "frame miss rate", "frames with objects",
     metric_info::kind::failure},
    {metric::ece, "ece", "ECE", "detections above threshold", metric_info::kind::bootstrap_only},
    {metric::drift, "drift", "drift shift", "window values", metric_info::kind::drift},
};

[[nodiscard]] inline const metric_info& info(metric m) {
  for (const auto& i : metric_table)
    if (i.m == m) return i;
  throw usage_error("criteria: unknown metric");
}

/// The metric named `s` ("fppi" also as "false_positives_per_frame"), or none.
[[nodiscard]] inline std::optional<metric> parse_metric(const std::string& s) {
  if (s == "false_positives_per_frame") return metric::fppi;
  for (const auto& i : metric_table)
    if (s == i.name) return i.m;
  return std::nullopt;
}

[[nodiscard]] inline std::string metric_names() {
  std::string out;
  for (const auto& i : metric_table) out += std::string(out.empty() ? "" : ", ") + i.name;
  return out;
}

struct criterion {
  metric what = metric::miss_rate;
  std::string cls = "all";    // a class name, a category id, or "all"
  std::string slice = "all";  // "weather=rain", "weather=rain&timeofday=night", or "all"
  std::optional<double> iou;  // none: the audit's first operating point
  double limit = 0;
  direction dir = direction::at_most;
  std::uint64_t min_n = 0;
  std::string id, note;  // the reviewer's label and note (optional)
  std::string feature;   // metric drift: the drift test's feature ("miss rate", "AP", "score", ...)
};

/// The features a drift criterion can name (baseline/drift.hpp, performance.hpp, ap.hpp).
inline constexpr const char* drift_features[] = {"score",
                                                 "box size",
                                                 "aspect",
                                                 "class mix",
                                                 "detections per frame",
                                                 "scenario mix",
                                                 "embedding centroid",
                                                 "embedding distribution",
                                                 "miss rate",
                                                 "false discovery rate",
                                                 "false positives per frame",
                                                 "image miss rate",
                                                 "image false alarm rate",
                                                 "AP"};

/// The reviewer's file: who, the operational design domain (declared values per attribute), notes, criteria.
struct criteria_set {
  std::string reviewer, notes;
  std::map<std::string, std::vector<std::string>> odd;  // attribute -> declared values, in file order
  std::vector<std::string> odd_order;                   // the attributes in file order
  std::vector<criterion> criteria;
};

/// What a criterion is judged on.
struct measurement {
  double value = std::numeric_limits<double>::quiet_NaN();
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t n = 0;         // units the metric is a rate of
  std::uint64_t failures = 0;  // failures among them (binomial failure rates; successes' complement)
  std::string interval;        // how the interval was made ("" when there is none)
  bool widened = false;        // the bootstrap's interval reaches beyond the model's
  bool evidence = true;        // false: the slice has no frame (a declared, unmeasured cell)
};

struct judgment {
  verdict v = verdict::inconclusive;
  std::string reason;
  std::optional<std::int64_t> needed_n;  // with INCONCLUSIVE: the sample size that would decide it
};

namespace detail {

/// ceil(x) for a count, after taking off floating-point dust (a relative 1e-9: 100 (0.1 / 0.05)^2 is 400, not
/// 401 because 0.35 - 0.25 is not exactly 0.1); at least 1.
inline std::int64_t ceil_count(double x) {
  if (!(x >= 1)) return 1;
  if (x >= 9007199254740992.0) return std::numeric_limits<std::int64_t>::max();
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(x - 1e-9 * x)));
}

/// The sample size of a criterion on no evidence, or of a failure-free rate (see the header).
inline std::optional<std::int64_t> zero_evidence_n(const metric_info& mi, double limit, direction dir,
                                                   confidence conf) {
  switch (mi.k) {
    case metric_info::kind::failure:
      if (dir == direction::at_most && limit > 0 && limit <= 1)
        return stats::zero_failure_sample_size(limit, conf);
      return std::nullopt;
    case metric_info::kind::success:
      if (dir == direction::at_least && limit >= 0 && limit < 1)
        return stats::zero_failure_sample_size(1 - limit, conf);
      return std::nullopt;
    case metric_info::kind::poisson:
      if (dir == direction::at_most && limit > 0) return ceil_count(-std::log(conf.alpha() / 2) / limit);
      return std::nullopt;
    case metric_info::kind::bootstrap_only:
    case metric_info::kind::drift:
      return std::nullopt;
  }
  return std::nullopt;
}

/// Whether the interval of a rate observed at value v on n units (x = v n, continuous) excludes L: Wilson's
/// for binomial rates, the exact Poisson interval for false positives per frame.
inline bool excludes(const metric_info& mi, double v, double L, double n, confidence conf) {
  double lo = 0, hi = 0;
  const double a2 = conf.alpha() / 2;
  if (mi.k == metric_info::kind::poisson) {
    const double k = v * n;
    lo = k > 0 ? boost::math::gamma_p_inv(k, a2) / n : 0.0;
    hi = boost::math::gamma_q_inv(k + 1, a2) / n;
  } else {
    const double z =
        boost::math::quantile(boost::math::complement(boost::math::normal_distribution<double>(), a2));
    const double z2 = z * z, den = 1 + z2 / n;
    const double center = (v + z2 / (2 * n)) / den;
    const double half = z * std::sqrt(v * (1 - v) / n + z2 / (4 * n * n)) / den;
    lo = center - half, hi = center + half;
  }
  return hi < L || lo > L;
}

/// The smallest n at which the interval at value v excludes L (doubling, then bisection); none beyond 2^53.
inline std::optional<std::int64_t> model_n(const metric_info& mi, double v, double L, confidence conf) {
  if (mi.k != metric_info::kind::failure && mi.k != metric_info::kind::success &&
      mi.k != metric_info::kind::poisson)
    return std::nullopt;
  std::int64_t hi = 1;
  while (!excludes(mi, v, L, static_cast<double>(hi), conf)) {
    if (hi >= (std::int64_t{1} << 53)) return std::nullopt;
    hi *= 2;
  }
  std::int64_t lo = hi / 2;  // does not exclude (or 0)
  while (hi - lo > 1) {
    const auto mid = lo + (hi - lo) / 2;
    (excludes(mi, v, L, static_cast<double>(mid), conf) ? hi : lo) = mid;
  }
  return hi;
}

inline std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace detail

/// The verdict of criterion `c` (metric `mi`) on measurement `m` at confidence `conf` (see the header).
[[nodiscard]] inline judgment judge(const criterion& c, const measurement& m, confidence conf = {}) {
  const auto& mi = info(c.what);
  judgment j;
  const double L = c.limit;
  if (!m.evidence || m.n == 0 || std::isnan(m.value)) {
    j.reason = !m.evidence ? (mi.k == metric_info::kind::drift
                                  ? "not measured in the window (no such test, or too little data)"
                                  : "no frame in this slice: unmeasured")
                           : std::string("no ") + mi.unit + " to measure it on";
    j.needed_n = detail::zero_evidence_n(mi, L, c.dir, conf);
    if (c.min_n > 0)
      j.needed_n = std::max<std::int64_t>(j.needed_n.value_or(0), static_cast<std::int64_t>(c.min_n));
    return j;
  }
  if (std::isnan(m.lower) || std::isnan(m.upper)) {
    j.reason = mi.k == metric_info::kind::bootstrap_only
                   ? "no interval: ECE is judged on the image bootstrap's"
                   : "no interval";
    return j;
  }
  const bool at_most = c.dir == direction::at_most;
  const bool pass = at_most ? m.upper <= L : m.lower >= L;
  const bool fail = at_most ? m.lower > L : m.upper < L;
  if (m.n < c.min_n) {
    j.reason = "rests on " + std::to_string(m.n) + " " + mi.unit + ", fewer than the " +
               std::to_string(c.min_n) + " the criterion asks for";
    j.needed_n = static_cast<std::int64_t>(c.min_n);
    return j;
  }
  const std::string bound = "[" + detail::fmt(m.lower) + ", " + detail::fmt(m.upper) + "]";
  if (pass) {
    j.v = verdict::pass;
    j.reason = "interval " + bound + (at_most ? " at or below " : " at or above ") + detail::fmt(L);
    return j;
  }
  if (fail) {
    j.v = verdict::fail;
    j.reason = "interval " + bound + (at_most ? " above " : " below ") + detail::fmt(L);
    return j;
  }
  j.reason = "interval " + bound + " contains " + detail::fmt(L);
  // the sample size that would decide it
  const bool failure_free = (mi.k == metric_info::kind::failure && m.value == 0 && at_most) ||
                            (mi.k == metric_info::kind::success && m.value == 1 && !at_most);
  if (failure_free) {
    j.needed_n = detail::zero_evidence_n(mi, L, c.dir, conf);
  } else if (m.value != L) {
    j.needed_n = detail::model_n(mi, m.value, L, conf);
    if (!j.needed_n || m.widened) {
      // toward the limit: the bound on the limit's side, shrinking as 1/sqrt(n)
      const double w = m.value < L ? m.upper - m.value : m.value - m.lower;
      const double d = std::abs(m.value - L);
      const auto scaled = detail::ceil_count(static_cast<double>(m.n) * (w / d) * (w / d));
      j.needed_n = std::max(j.needed_n.value_or(0), scaled);
    }
  } else {
    j.reason += "; the value equals the limit: no sample size decides it";
  }
  if (j.needed_n && *j.needed_n <= static_cast<std::int64_t>(m.n))
    j.needed_n = static_cast<std::int64_t>(m.n) + 1;
  return j;
}

/// One compared window of a drift run against a frozen baseline (baseline/drift.hpp), in stream order.
struct drift_window {
  baseline::drift_result r;
  std::uint64_t index = 0, first = 0;  // the window's number and its first frame in the stream
  std::string label;                   // with --window-by: the window's value
};

/// Where a criterion points in an audit: the operating point, the category index (none: pooled) and the slice
/// index (none: every frame; `unmeasured`: a declared cell with no frame).
struct criterion_target {
  std::size_t point = 0;
  std::optional<std::size_t> k, slice;
  bool unmeasured = false;
};

namespace detail {

/// "key=value&key=value" as pairs; empty when malformed.
inline std::vector<std::pair<std::string, std::string>> slice_parts(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const auto amp = std::min(s.find('&', at), s.size());
    const auto part = s.substr(at, amp - at);
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0) return {};
    out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    at = amp + 1;
  }
  return out;
}

}  // namespace detail

/// Resolves criterion `i` of `cs` against audit `r`: input_error naming "criteria[i].<field>" for an IoU that
/// is not an operating point, a class that is not evaluated, a slice that is neither the audit's nor a cell
/// of its slicings whose values the operational design domain declares, and ECE asked without calibration or
/// per class and slice at once.
[[nodiscard]] inline criterion_target resolve(const criteria_set& cs, std::size_t i,
                                              const audit::audit_result& r, bool have_calibration,
                                              const std::vector<drift_window>* drift = nullptr) {
  const auto& c = cs.criteria[i];
  const std::string where = "criteria[" + std::to_string(i) + "].";
  criterion_target t;
  if (c.iou) {
    bool found = false;
    for (std::size_t p = 0; p < r.points.size() && !found; ++p)
      if (std::abs(r.points[p].iou - *c.iou) <= 1e-9) t.point = p, found = true;
    if (!found) {
      std::string have;
      for (const auto& op : r.points) have += (have.empty() ? "" : ", ") + detail::fmt(op.iou);
      throw input_error(where + "iou: " + detail::fmt(*c.iou) + " is not an operating point of the audit (" +
                        have + ")");
    }
  }
  if (c.cls != "all") {
    for (std::size_t k = 0; k < r.category_names.size() && !t.k; ++k)
      if (r.category_names[k] == c.cls || std::to_string(r.category_id(k)) == c.cls) t.k = k;
    if (!t.k)
      throw input_error(where + "class: '" + c.cls + "' is not an evaluated class (a name or an id, or all)");
  }
  if (c.what == metric::drift) {
    if (!drift || drift->empty())
      throw input_error(
          where + "metric: drift needs a baseline and a window (--baseline FILE --window FRAMES.jsonl)");
    bool set = c.slice == "all";
    for (const auto& w : *drift)
      for (const auto& dt : w.r.tests) set = set || dt.set == c.slice;
    if (!set)
      throw input_error(
          where + "slice: '" + c.slice +
          "' is not a set of the drift comparison (the baseline's slices, or an attribute key for "
          "the scenario mix)");
    if (!std::isfinite(c.limit)) throw input_error(where + "limit: not a finite number");
    return t;
  }
  if (c.slice != "all") {
    const auto& op = r.points[t.point];
    for (std::size_t s = 0; s < op.slices.size() && !t.slice; ++s)
      if (op.slices[s].name == c.slice) t.slice = s;
    if (!t.slice) {
      // a cell of one of the slicings, every value declared in the operational design domain: unmeasured
      const auto parts = detail::slice_parts(c.slice);
      bool cell = false;
      for (const auto& spec : r.specs) {
        if (parts.size() != spec.keys.size()) continue;
        bool ok = true;
        for (std::size_t j = 0; j < parts.size() && ok; ++j) {
          ok = parts[j].first == spec.keys[j];
          const auto d = cs.odd.find(parts[j].first);
          ok = ok && d != cs.odd.end() &&
               std::find(d->second.begin(), d->second.end(), parts[j].second) != d->second.end();
        }
        cell = cell || ok;
      }
      if (!cell)
        throw input_error(
            where + "slice: '" + c.slice +
            "' is not a slice of the audit (its slicings: --slice-by / --joint) nor a cell of them "
            "whose values the odd declares");
      t.unmeasured = true;
    }
  }
  if (c.what == metric::ece) {
    if (!have_calibration)
      throw input_error(where + "metric: ece needs the calibration (the report's default)");
    if (t.k && (t.slice || t.unmeasured))
      throw input_error(where +
                        "class: ece is per class over every frame or per slice over every class, not both");
  }
  if (!std::isfinite(c.limit)) throw input_error(where + "limit: not a finite number");
  return t;
}

/// The measurement criterion `c` at `t` is judged on: the audit's rate with its interval, united with the
/// bootstrap's percentile interval when `bs` is given; ECE from `cal` (the calibration of t.point) with its
/// bootstrap interval.
[[nodiscard]] inline measurement measure(const criterion& c, const criterion_target& t,
                                         const audit::audit_result& r, const audit::audit_bootstrap* bs,
                                         const audit::operating_calibration* cal) {
  measurement m;
  if (t.unmeasured) {
    m.evidence = false;
    return m;
  }
  if (c.what == metric::ece) {
    const auto& s = t.k       ? cal->all.per_category[*t.k].above
                    : t.slice ? cal->slices[*t.slice].above
                              : cal->all.all.above;
    m.value = s.ece, m.lower = s.lower[0], m.upper = s.upper[0], m.n = s.detections;
    if (!std::isnan(m.lower)) m.interval = "bootstrap percentile";
    return m;
  }
  const auto& op = r.points[t.point];
  const auto& pc = t.slice ? op.slices[*t.slice].counts : op.all;
  const auto& cnt = t.k ? pc.per_category[*t.k] : pc.all;
  const auto rt = r.rates(cnt);
  audit::estimate e;
  audit::rate br = audit::rate::miss_rate;
  bool flip = false;  // false discovery rate: 1 - precision
  switch (c.what) {
    case metric::miss_rate:
      e = rt.miss_rate, m.n = cnt.n_gt, m.failures = cnt.fn, br = audit::rate::miss_rate;
      break;
    case metric::recall:
      e = rt.recall, m.n = cnt.n_gt, m.failures = cnt.fn, br = audit::rate::recall;
      break;
    case metric::precision:
      e = rt.precision, m.n = cnt.tp + cnt.fp, m.failures = cnt.fp, br = audit::rate::precision;
      break;
    case metric::false_discovery_rate:
      e = rt.precision, m.n = cnt.tp + cnt.fp, m.failures = cnt.fp, br = audit::rate::precision, flip = true;
      break;
    case metric::fppi:
      e = rt.fppi, m.n = cnt.n_images, m.failures = cnt.fp, br = audit::rate::fppi;
      break;
    case metric::image_false_alarm_rate:
      e = rt.image_false_alarm_rate, m.n = cnt.negative_images, m.failures = cnt.false_alarm_images,
      br = audit::rate::image_false_alarm_rate;
      break;
    case metric::image_miss_rate:
      e = rt.image_miss_rate, m.n = cnt.positive_images, m.failures = cnt.miss_images,
      br = audit::rate::image_miss_rate;
      break;
    case metric::ece:
    case metric::drift:  // measure_drift
      break;
  }
  m.value = e.value, m.lower = e.lower, m.upper = e.upper, m.interval = e.method;
  if (bs && e.defined()) {
    const auto& pb = bs->points[t.point];
    const auto& sb = t.slice ? pb.slices[*t.slice] : pb.all;
    const auto& iv = (t.k ? sb.per_category[*t.k] : sb.all).of(br);
    if (iv.defined()) {
      m.widened = iv.lower < m.lower || iv.upper > m.upper;
      m.lower = std::min(m.lower, iv.lower), m.upper = std::max(m.upper, iv.upper);
      m.interval += " united with bootstrap percentile";
    }
  }
  if (flip) m.value = 1 - m.value, m.lower = 1 - m.lower, m.upper = 1 - m.upper, std::swap(m.lower, m.upper);
  return m;
}

/// The measurement of drift criterion `c` in window `w`: the shift of the test of c's feature, set and class
/// (`class_name` "" for all classes; for a rate, at c's IoU when given, else the first) with its interval, on
/// the window's values; no evidence when the window has no such test or it had too little data.
[[nodiscard]] inline measurement measure_drift(const criterion& c, const std::string& class_name,
                                               const drift_window& w) {
  measurement m;
  m.evidence = false;
  for (const auto& t : w.r.tests) {
    if (t.feature != c.feature || t.set != c.slice || t.cls != class_name) continue;
    if (c.iou && t.is_rate() && std::abs(t.iou - *c.iou) > 1e-9) continue;
    if (std::isnan(t.shift) || std::isnan(t.shift_lower)) return m;
    m.evidence = true;
    m.value = t.shift, m.lower = t.shift_lower, m.upper = t.shift_upper, m.n = t.window_n;
    m.interval = t.shift_name + " shift";
    return m;
  }
  return m;
}

}  // namespace stratum::report
