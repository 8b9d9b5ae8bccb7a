// The audit's numbers on the production mix rather than the test set's (docs/audit.md):
//
// Post-stratification. A production mix gives the share w_h of each scenario cell h (a combination of values
// of some attribute keys, e.g. weather x time of day from fleet logs; shares sum to 1). With the test set's
// counts per cell, a rate is estimated for the mix as
//   p_mix = sum_h w_h p_h / W,   W = sum of w_h over the cells where the rate is measured (its denominator
//   is > 0 in the test set),
// and the cells it is not measured in are listed with their shares (1 - W of the mix is unmeasured: never
// silently dropped). Interval: normal, p_mix -+ z sqrt(sum_h (w_h / W)^2 v_h), clipped to [0, 1] for
// proportions, with v_h = q_h (1 - q_h) / n_h for a proportion x_h / n_h, q_h = (x_h + z^2/2) / (n_h + z^2)
// the Agresti-Coull-adjusted proportion (so a cell with no failure still contributes variance; Agresti &
// Coull 1998), and v_h = (x_h + 1) / n_h^2 for false positives per image (a Poisson count, with one event
// added for the same reason). Rates: miss rate (objects), image false-alarm rate (negative images), FPPI
// (images).
//
// Prevalence. For class c at a production prevalence pi (the share of production images that hold an object
// of c), with TPR = 1 - image miss rate (positive images whose objects of c are all found) and FAR = the
// image false-alarm rate (negative images with a false positive of c):
//   PPV(pi) = TPR pi / (TPR pi + FAR (1 - pi)),
// the share of flagged images that truly hold an object of c. Interval: PPV increases in TPR and decreases in
// FAR, so [PPV(TPR_lo, FAR_hi), PPV(TPR_hi, FAR_lo)] with each rate's interval at confidence 1 - alpha/2
// (Bonferroni: the pair, hence the PPV interval, covers with probability at least 1 - alpha). Expected false
// alarms per 1,000 production frames: 1000 (1 - pi) FAR, with FAR's interval.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../stats/proportion.hpp"
#include "audit.hpp"

namespace stratum::audit {

struct production_cell {
  std::vector<std::string> values;  // one per key of the mix, in its order
  double share = 0;
  std::string name;  // "weather=rain&timeofday=night", as the slices are named (cell_name)
};

/// The slice name of the cell with `values` for `keys` ("k1=v1&k2=v2", as coco::make_slices names it).
[[nodiscard]] inline std::string cell_name(const std::vector<std::string>& keys,
                                           const std::vector<std::string>& values) {
  std::string name;
  for (std::size_t j = 0; j < keys.size() && j < values.size(); ++j)
    name += (j ? "&" : "") + keys[j] + "=" + values[j];
  return name;
}

struct production_mix {
  std::vector<std::string> keys;
  std::vector<production_cell> cells;
  std::map<std::int64_t, double> prevalence;  // category id -> pi (optional)
};

struct reweighted_rate {
  estimate rate;              // method "post-stratified"
  double measured_share = 0;  // W
  std::vector<production_cell> unmeasured;
};

struct class_prevalence {
  std::int64_t category = 0;
  double prevalence = 0;
  estimate tpr, far, ppv, false_alarms_per_1000;
};

struct production_estimates {
  reweighted_rate miss_rate, image_false_alarm_rate, fppi;
  std::vector<class_prevalence> classes;
};

/// Checks a mix against the test data: shares finite, >= 0 and summing to 1 (within 1e-9), cells unique,
/// every value of every key seen in the evaluated images, prevalences in (0, 1) for evaluated categories.
/// Throws input_error naming `source` and the cell or class.
inline void validate(const production_mix& mix, const audit_result& r, const std::string& source) {
  if (mix.keys.empty()) throw input_error(source + ": keys: need at least one attribute key");
  if (mix.cells.empty()) throw input_error(source + ": cells: need at least one cell");
  auto seen = attribute_values(r.images, mix.keys);
  double sum = 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < mix.cells.size(); ++i) {
    const auto& c = mix.cells[i];
    const std::string where = source + ": cells[" + std::to_string(i) + "] (" + c.name + ")";
    if (c.values.size() != mix.keys.size())
      throw input_error(where + ": " + std::to_string(c.values.size()) + " values for " +
                        std::to_string(mix.keys.size()) + " keys");
    if (!(std::isfinite(c.share) && c.share >= 0))
      throw input_error(where + ": share must be a finite number >= 0");
    if (!names.insert(c.name).second) throw input_error(where + ": the cell is given twice");
    for (std::size_t j = 0; j < mix.keys.size(); ++j)
      if (!seen[mix.keys[j]].count(c.values[j]))
        throw input_error(where + ": unknown value '" + c.values[j] + "' of attribute '" + mix.keys[j] +
                          "' (no evaluated image has it)");
    sum += c.share;
  }
  if (std::abs(sum - 1) > 1e-9) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.12g", sum);
    throw input_error(source + ": cells: the shares sum to " + buf + ", not 1");
  }
  for (const auto& [id, pi] : mix.prevalence) {
    bool known = false;
    for (std::size_t k = 0; k < r.p.dims().K; ++k) known = known || r.category_id(k) == id;
    if (!known)
      throw input_error(source + ": prevalence: category " + std::to_string(id) + " is not evaluated");
    if (!(pi > 0 && pi < 1))
      throw input_error(source + ": prevalence: category " + std::to_string(id) + ": pi must lie in (0, 1)");
  }
}

namespace detail {

struct cell_counts {
  const production_cell* cell;
  operating_counts c;
};

inline reweighted_rate post_stratify(const std::vector<cell_counts>& cells, double z, bool poisson,
                                     std::uint64_t operating_counts::*x, std::uint64_t operating_counts::*n) {
  reweighted_rate out;
  double w = 0;
  for (const auto& cc : cells)
    if (cc.c.*n > 0)
      w += cc.cell->share;
    else
      out.unmeasured.push_back(*cc.cell);
  out.measured_share = w;
  out.rate.method = "post-stratified";
  if (w <= 0) return out;
  double est = 0, var = 0;
  for (const auto& cc : cells) {
    const double nn = static_cast<double>(cc.c.*n);
    if (nn <= 0) continue;
    const double xx = static_cast<double>(cc.c.*x), wh = cc.cell->share / w;
    est += wh * xx / nn;
    if (poisson) {
      var += wh * wh * (xx + 1) / (nn * nn);
    } else {
      const double q = (xx + z * z / 2) / (nn + z * z);
      var += wh * wh * q * (1 - q) / nn;
    }
  }
  const double half = z * std::sqrt(var);
  out.rate.value = est;
  out.rate.lower = est - half;
  out.rate.upper = est + half;
  if (!poisson)
    out.rate.lower = std::max(0.0, out.rate.lower), out.rate.upper = std::min(1.0, out.rate.upper);
  else
    out.rate.lower = std::max(0.0, out.rate.lower);
  return out;
}

inline double ppv(double tpr, double far, double pi) {
  const double num = tpr * pi, den = tpr * pi + far * (1 - pi);
  return den > 0 ? num / den : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace detail

/// The estimates of operating point `op` on the mix (validate it first).
[[nodiscard]] inline production_estimates estimate_production(const audit_result& r,
                                                              const operating_point& op,
                                                              const production_mix& mix) {
  production_estimates out;
  std::map<std::string, std::vector<std::int64_t>> members;  // the images of each cell, as its slice
  for (const auto& d : coco::make_slices(r.images, r.p, {{mix.keys}}))
    for (auto i : d.images) members[d.name].push_back(r.p->img_ids[i]);
  std::vector<double> thr;
  for (const auto& t : op.thresholds) thr.push_back(t.value_or(std::numeric_limits<double>::infinity()));
  std::vector<detail::cell_counts> cells;
  for (const auto& c : mix.cells) {
    cells.push_back({&c, count(r.records, op.t, thr, members[c.name]).all});
  }
  const double z = stats::proportion_detail::normal_isf(r.options.conf.alpha() / 2);
  using oc = operating_counts;
  out.miss_rate = detail::post_stratify(cells, z, false, &oc::fn, &oc::n_gt);
  out.image_false_alarm_rate =
      detail::post_stratify(cells, z, false, &oc::false_alarm_images, &oc::negative_images);
  out.fppi = detail::post_stratify(cells, z, true, &oc::fp, &oc::n_images);
  const auto half = confidence::from_alpha(r.options.conf.alpha() / 2);  // each of the two rates
  for (std::size_t k = 0; k < r.p.dims().K; ++k) {
    const auto id = r.category_id(k);
    const auto it = mix.prevalence.find(id);
    if (it == mix.prevalence.end()) continue;
    const double pi = it->second;
    const auto& c = op.all.per_category[k];
    class_prevalence cp;
    cp.category = id;
    cp.prevalence = pi;
    const auto wide = rates_of(c, r.options.method, half);
    const auto rt = r.rates(c);
    if (c.positive_images > 0) {
      cp.tpr = {1 - rt.image_miss_rate.value, 1 - wide.image_miss_rate.upper, 1 - wide.image_miss_rate.lower,
                wide.image_miss_rate.method};
    }
    cp.far = wide.image_false_alarm_rate;
    if (cp.tpr.defined() && cp.far.defined()) {
      cp.ppv = {detail::ppv(cp.tpr.value, rt.image_false_alarm_rate.value, pi),
                detail::ppv(cp.tpr.lower, cp.far.upper, pi), detail::ppv(cp.tpr.upper, cp.far.lower, pi),
                "bonferroni-bounds"};
    }
    if (rt.image_false_alarm_rate.defined())
      cp.false_alarms_per_1000 = {1000 * (1 - pi) * rt.image_false_alarm_rate.value,
                                  1000 * (1 - pi) * rt.image_false_alarm_rate.lower,
                                  1000 * (1 - pi) * rt.image_false_alarm_rate.upper,
                                  rt.image_false_alarm_rate.method};
    out.classes.push_back(cp);
  }
  return out;
}

}  // namespace stratum::audit
