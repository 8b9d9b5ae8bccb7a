// What a reviewer reads off the counts of an audit (docs/audit.md):
//
// Evidence per slice: images and objects by provenance (real, synthetic, augmented, unstated); a slice whose
// images are not mostly real (real share < 1/2) is flagged; with a target half-width H, a rate whose interval
// is wider (half-width (upper - lower) / 2 > H) is flagged with the sample size that would reach H: the
// Wilson sample size at the observed rate (stats::wilson_sample_size), or, when nothing failed, the
// zero-failure sample size bounding the rate below 2H (stats::zero_failure_sample_size).
//
// Cliffs: each slice's miss rate (objects) and image false-alarm rate against the rest of the data (the
// images not in the slice): the difference slice - rest with Newcombe's interval, Fisher's exact two-sided
// p-value, adjusted over all slices and both rates (Holm by default, Benjamini-Hochberg on request); a cliff
// is a slice worse than the rest (difference > 0) whose adjusted p-value is at most alpha. Listed worst first
// (largest difference).
//
// Unmeasured cells: for every joint slicing, each combination of the values its keys take in the data that no
// image has.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../stats/multiple_testing.hpp"
#include "../stats/sample_size.hpp"
#include "../stats/two_proportions.hpp"
#include "audit.hpp"

namespace stratum::audit {

/// Images and non-ignored objects (area range "all") by provenance.
struct provenance_mix {
  std::uint64_t images[4] = {0, 0, 0, 0};  // real, synthetic, augmented, unstated
  std::uint64_t objects[4] = {0, 0, 0, 0};
  static constexpr const char* names[4] = {"real", "synthetic", "augmented", "unstated"};
  [[nodiscard]] double real_image_share() const {
    const auto n = images[0] + images[1] + images[2] + images[3];
    return n ? static_cast<double>(images[0]) / static_cast<double>(n) : 0.0;
  }
};

/// A rate whose interval is wider than the target half-width, and the sample size that would reach it.
struct thin_evidence {
  const char* rate = "";      // "miss_rate" or "image_false_alarm_rate"
  double half_width = 0;      // observed
  std::int64_t needed_n = 0;  // objects (miss rate) or negative images (false-alarm rate)
  std::uint64_t have_n = 0;
};

struct slice_evidence {
  provenance_mix mix;
  bool mostly_not_real = false;
  operating_point_counts real_only;  // the counts on the slice's real images alone
  std::vector<thin_evidence> thin;
};

struct cliff {
  std::size_t slice = 0;
  const char* rate = "";  // "miss_rate" or "image_false_alarm_rate"
  double slice_rate = 0, rest_rate = 0;
  stats::proportion_difference_interval difference;  // slice - rest, Newcombe
  double p_value = 1, p_adjusted = 1;
  bool flagged = false;
};

struct unmeasured_cell {
  std::string name;  // "weather=fog&timeofday=night"
};

struct findings {
  double max_half_width = 0;  // 0: not asked
  stats::p_value_adjustment adjustment = stats::p_value_adjustment::holm;
  slice_evidence all;
  std::vector<slice_evidence> slices;  // parallel to the operating point's slices
  std::vector<cliff> cliffs;           // worst first
  std::vector<unmeasured_cell> unmeasured;
};

namespace detail {

inline int provenance_index(const std::string& p) {
  if (p == "real") return 0;
  if (p == "synthetic") return 1;
  if (p == "augmented") return 2;
  return 3;
}

inline void thin_check(std::vector<thin_evidence>& out, const char* what, const estimate& e, std::uint64_t x,
                       std::uint64_t n, double h, confidence conf) {
  if (h <= 0 || n == 0 || !e.defined()) return;
  const double half = (e.upper - e.lower) / 2;
  if (!(half > h)) return;
  const std::int64_t need = x == 0 ? stats::zero_failure_sample_size(std::min(1.0, 2 * h), conf)
                                   : stats::wilson_sample_size(e.value, h, conf);
  out.push_back({what, half, need, n});
}

}  // namespace detail

/// The findings of operating point `op` of `r`: evidence with half-width target `max_half_width` (0: none),
/// cliffs adjusted by `adjustment`.
[[nodiscard]] inline findings find(const audit_result& r, const operating_point& op,
                                   double max_half_width = 0,
                                   stats::p_value_adjustment adjustment = stats::p_value_adjustment::holm) {
  const auto& rec = r.records;
  const auto& specs = r.specs;
  findings out;
  out.max_half_width = max_half_width;
  out.adjustment = adjustment;
  const auto& ids = r.p->img_ids;
  const coco::detail::id_index pos(ids);
  // provenance and objects per evaluated image
  std::vector<int> prov(ids.size(), 3);
  for (std::size_t i = 0; i < ids.size(); ++i) prov[i] = detail::provenance_index(r.images[i].provenance);
  std::vector<std::uint64_t> objects(ids.size(), 0);
  for (std::size_t k = 0; k < rec.categories(); ++k)
    for (const auto& g : rec.of(k).gts)
      if (auto i = pos.find(g.image); i != coco::detail::id_index::npos)
        objects[i] += static_cast<std::uint64_t>(g.n);
  std::vector<double> thr;
  for (const auto& t : op.thresholds) thr.push_back(t.value_or(std::numeric_limits<double>::infinity()));

  // the counts on the real images alone of all images and of every slice, in one pass
  std::vector<std::vector<std::size_t>> real(1 + op.slices.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (prov[i] == 0) real[0].push_back(i);
  for (std::size_t s = 0; s < op.slices.size(); ++s)
    for (const auto i : op.slices[s].images)
      if (prov[i] == 0) real[1 + s].push_back(i);
  const auto real_counts = count_sets(rec, op.t, thr, ids, real);

  auto evidence = [&](const std::vector<std::size_t>* members, const operating_point_counts& counts,
                      const operating_point_counts& real_only) {
    slice_evidence e;
    auto add = [&](std::size_t i) {
      ++e.mix.images[prov[i]];
      e.mix.objects[prov[i]] += objects[i];
    };
    if (members)
      for (auto i : *members) add(i);
    else
      for (std::size_t i = 0; i < ids.size(); ++i) add(i);
    e.mostly_not_real = e.mix.real_image_share() < 0.5;
    e.real_only = real_only;
    const auto rt = r.rates(counts.all);
    detail::thin_check(e.thin, "miss_rate", rt.miss_rate, counts.all.fn, counts.all.n_gt, max_half_width,
                       r.options.conf);
    detail::thin_check(e.thin, "image_false_alarm_rate", rt.image_false_alarm_rate,
                       counts.all.false_alarm_images, counts.all.negative_images, max_half_width,
                       r.options.conf);
    return e;
  };
  out.all = evidence(nullptr, op.all, real_counts[0]);
  for (std::size_t s = 0; s < op.slices.size(); ++s)
    out.slices.push_back(evidence(&op.slices[s].images, op.slices[s].counts, real_counts[1 + s]));

  // cliffs: slice against the rest, both rates, one family
  const auto& A = op.all.all;
  std::vector<cliff> cand;
  for (std::size_t s = 0; s < op.slices.size(); ++s) {
    const auto& c = op.slices[s].counts.all;
    auto test = [&](const char* what, std::uint64_t x1, std::uint64_t n1, std::uint64_t x_all,
                    std::uint64_t n_all) {
      const std::uint64_t x2 = x_all - x1, n2 = n_all - n1;
      if (n1 == 0 || n2 == 0) return;
      const auto xi1 = static_cast<std::int64_t>(x1), ni1 = static_cast<std::int64_t>(n1);
      const auto xi2 = static_cast<std::int64_t>(x2), ni2 = static_cast<std::int64_t>(n2);
      cliff cf;
      cf.slice = s;
      cf.rate = what;
      cf.slice_rate = static_cast<double>(x1) / static_cast<double>(n1);
      cf.rest_rate = static_cast<double>(x2) / static_cast<double>(n2);
      cf.difference = stats::newcombe_interval(xi1, ni1, xi2, ni2, r.options.conf);
      cf.p_value = stats::fisher_exact(xi1, ni1 - xi1, xi2, ni2 - xi2).p_value;
      cand.push_back(cf);
    };
    test("miss_rate", c.fn, c.n_gt, A.fn, A.n_gt);
    test("image_false_alarm_rate", c.false_alarm_images, c.negative_images, A.false_alarm_images,
         A.negative_images);
  }
  if (!cand.empty()) {
    std::vector<double> p;
    for (const auto& c : cand) p.push_back(c.p_value);
    const auto adj = stats::adjust_p_values(p, adjustment, r.options.conf);
    for (std::size_t i = 0; i < cand.size(); ++i) {
      cand[i].p_adjusted = adj.adjusted[i];
      cand[i].flagged = adj.reject[i] && cand[i].difference.estimate > 0;
    }
    std::stable_sort(cand.begin(), cand.end(), [](const cliff& a, const cliff& b) {
      return a.difference.estimate > b.difference.estimate;
    });
  }
  out.cliffs = std::move(cand);

  // unmeasured joint cells: the combinations of the values the keys take that are not among the slices
  std::set<std::string> seen;
  for (const auto& sl : op.slices) seen.insert(sl.name);
  for (const auto& spec : specs) {
    if (spec.keys.size() < 2) continue;
    const auto values = attribute_values(r.images, spec.keys);
    std::vector<std::string> cells = {""};
    for (std::size_t j = 0; j < spec.keys.size(); ++j) {
      std::vector<std::string> next;
      for (const auto& prefix : cells)
        for (const auto& v : values.at(spec.keys[j]))
          next.push_back(prefix + (j ? "&" : "") + spec.keys[j] + "=" + v);
      cells = std::move(next);
    }
    for (const auto& c : cells)
      if (!seen.count(c)) out.unmeasured.push_back({c});
  }
  return out;
}

}  // namespace stratum::audit
