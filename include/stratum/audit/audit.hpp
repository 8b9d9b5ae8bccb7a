// The audit of a batch data set at one or more operating points: for each IoU threshold, a score threshold
// per category (one global value, one per category, or chosen on the data by a rule), the counts pooled, per
// category and per slice (audit/operating.hpp), the F1-optimal thresholds, and from them the rates with their
// intervals (audit/rates.hpp). docs/audit.md gives every definition.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../coco/evaluator.hpp"
#include "../coco/slices.hpp"
#include "../core/confidence.hpp"
#include "../core/error.hpp"
#include "operating.hpp"
#include "rates.hpp"

namespace stratum::audit {

/// How the score threshold of each category is set: one value for all, a value per category id (the key
/// coco::class_agnostic_id, -1, for the pooled category of use_cats = 0), or a rule applied to the data.
struct threshold_policy {
  enum class kind { global, per_category, chosen } what = kind::global;
  double global = 0.5;
  std::map<std::int64_t, double> per_category;
  choice_rule rule;

  [[nodiscard]] std::string str() const {
    char buf[64];
    switch (what) {
      case kind::global:
        std::snprintf(buf, sizeof buf, "score >= %.10g (every class)", global);
        return buf;
      case kind::per_category:
        return "per class (thresholds file)";
      case kind::chosen:
        return "chosen on this data: " + rule.str();
    }
    return {};
  }
};

struct audit_options {
  std::vector<double> ious = {0.5};  // each one of the evaluation's IoU thresholds
  threshold_policy thresholds;
  interval_method method = interval_method::wilson;
  confidence conf{};
  unsigned threads = 1;
  /// Keep what calibration needs (audit/calibration.hpp) at each IoU threshold of `ious`.
  bool calibration = false;
};

/// The id under which a category is named in thresholds and reports: its id, or -1 for the pooled category of
/// use_cats = 0 ("all" in JSON).
inline constexpr std::int64_t class_agnostic_id = -1;

struct slice_counts {
  std::string name;
  std::vector<std::size_t> images;  // indices into the evaluated image ids
  operating_point_counts counts;
};

struct operating_point {
  double iou = 0;     // the evaluation's threshold
  std::size_t t = 0;  // its index
  /// Per category index: the score threshold used, or none when the rule found no threshold (the category's
  /// detections are then all dropped: its ground truths count as missed).
  std::vector<std::optional<double>> thresholds;
  operating_point_counts all;
  std::vector<slice_counts> slices;
  std::vector<std::optional<chosen_threshold>> best_f1;  // over all images
};

struct audit_result {
  coco::resolved_params p;
  audit_options options;
  std::uint64_t n_ground_truths = 0, n_detections = 0;
  std::vector<operating_point> points;
  std::vector<std::string> category_names;  // per category index (empty when unnamed; "" for use_cats = 0)
  operating_records records;                // what the counts came from (findings.hpp reads it)
  std::vector<coco::slice_spec> specs;      // the slicings
  /// The evaluated images' ids, attributes and provenance, in the order of p->img_ids (what slices, evidence
  /// and the production mix read: a batch audit copies them from the ground truth, a stream from its frames).
  std::vector<coco::image_info> images;

  [[nodiscard]] std::int64_t category_id(std::size_t k) const {
    return p->use_cats ? p->cat_ids[k] : class_agnostic_id;
  }
  [[nodiscard]] operating_rates rates(const operating_counts& c) const {
    return rates_of(c, options.method, options.conf);
  }
};

/// The values each of `keys` takes in `images` ("provenance" reads the provenance).
[[nodiscard]] inline std::map<std::string, std::set<std::string>> attribute_values(
    const std::vector<coco::image_info>& images, const std::vector<std::string>& keys) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& k : keys) out[k];
  for (const auto& im : images)
    for (const auto& k : keys)
      if (const auto* v = coco::detail::frame_value(im, k)) out[k].insert(*v);
  return out;
}

/// The index of IoU threshold `iou` among p's (within 1e-9); usage_error naming the available ones otherwise.
[[nodiscard]] inline std::size_t iou_index(const coco::params& p, double iou) {
  for (std::size_t t = 0; t < p.iou_thrs.size(); ++t)
    if (std::abs(p.iou_thrs[t] - iou) <= 1e-9) return t;
  std::string have;
  for (double v : p.iou_thrs) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.10g", have.empty() ? "" : ", ", v);
    have += buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", iou);
  throw input_error(std::string("--iou ") + buf + ": not among the evaluation's IoU thresholds (" + have +
                    ")");
}

/// The IoU thresholds `ious` (each one of p's) as a calibration mask of operating_records (bit t: threshold
/// t).
[[nodiscard]] inline std::uint64_t calibration_mask(const coco::params& p, const std::vector<double>& ious) {
  std::uint64_t m = 0;
  for (const double iou : ious) m |= std::uint64_t{1} << iou_index(p, iou);
  return m;
}

/// The audit of matched records: `params` the resolved parameters (img_ids: the evaluated images), `records`
/// their operating records, `images` their metadata in the order of params->img_ids, `category_names` per
/// category index; counted at each operating point of `o`, pooled, per category and for every slice of
/// `specs`. Batch audits (run_audit) and streams (audit/stream.hpp) both end here.
[[nodiscard]] inline audit_result audit_of(coco::resolved_params params, operating_records records,
                                           std::vector<coco::image_info> images,
                                           std::vector<std::string> category_names,
                                           std::uint64_t n_ground_truths, std::uint64_t n_detections,
                                           const std::vector<coco::slice_spec>& specs,
                                           const audit_options& o = {}) {
  params.require("audit_of");
  const std::size_t K = params.dims().K;
  if (images.size() != params->img_ids.size() || category_names.size() != K || records.categories() != K)
    throw usage_error("audit_of: images, category names or records do not match the parameters");
  for (std::size_t i = 0; i < images.size(); ++i)
    if (images[i].id != params->img_ids[i])
      throw usage_error("audit_of: images are not in the order of img_ids");
  audit_result out{std::move(params),  o,     n_ground_truths,  n_detections, {}, std::move(category_names),
                   std::move(records), specs, std::move(images)};
  if (o.ious.empty()) throw usage_error("audit: no IoU threshold");
  std::vector<std::size_t> ts;
  for (double iou : o.ious) ts.push_back(iou_index(out.p, iou));
  if (o.thresholds.what == threshold_policy::kind::per_category) {
    for (const auto& [id, s] : o.thresholds.per_category) {
      bool known = false;
      for (std::size_t k = 0; k < K; ++k) known = known || out.category_id(k) == id;
      if (!known)
        throw input_error("thresholds: category " +
                          (id == class_agnostic_id ? std::string("all") : std::to_string(id)) +
                          " is not evaluated");
      if (!std::isfinite(s))
        throw input_error("thresholds: category " + std::to_string(id) + ": not a finite number");
    }
    for (std::size_t k = 0; k < K; ++k)
      if (!o.thresholds.per_category.count(out.category_id(k)))
        throw input_error("thresholds: no threshold for category " +
                          (out.category_id(k) == class_agnostic_id ? std::string("all")
                                                                   : std::to_string(out.category_id(k))));
  }
  const auto& rp = out.p;
  const auto& rec = out.records;
  const auto defs = coco::make_slices(out.images, rp, specs);
  for (const std::size_t t : ts) {
    operating_point op;
    op.iou = rp->iou_thrs[t];
    op.t = t;
    std::vector<double> thr(K);
    for (std::size_t k = 0; k < K; ++k) {
      op.best_f1.push_back(choose(rec, k, t, {}));
      switch (o.thresholds.what) {
        case threshold_policy::kind::global:
          op.thresholds.push_back(o.thresholds.global);
          break;
        case threshold_policy::kind::per_category:
          op.thresholds.push_back(o.thresholds.per_category.at(out.category_id(k)));
          break;
        case threshold_policy::kind::chosen: {
          const auto c = o.thresholds.rule.what == choice_rule::kind::best_f1
                             ? op.best_f1.back()
                             : choose(rec, k, t, o.thresholds.rule);
          op.thresholds.push_back(c ? std::optional<double>(c->threshold) : std::nullopt);
          break;
        }
      }
      thr[k] = op.thresholds.back().value_or(std::numeric_limits<double>::infinity());
    }
    std::vector<std::vector<std::size_t>> sets(1 + defs.size());  // all, then every slice: one pass
    sets[0].resize(rp->img_ids.size());
    std::iota(sets[0].begin(), sets[0].end(), std::size_t{0});
    for (std::size_t s = 0; s < defs.size(); ++s) sets[1 + s] = defs[s].images;
    auto counts = count_sets(rec, t, thr, rp->img_ids, sets);
    op.all = std::move(counts[0]);
    for (std::size_t s = 0; s < defs.size(); ++s)
      op.slices.push_back({defs[s].name, defs[s].images, std::move(counts[1 + s])});
    out.points.push_back(std::move(op));
  }
  return out;
}

/// The name of each category index of `rp` (empty when unnamed; "" for use_cats = 0).
[[nodiscard]] inline std::vector<std::string> category_names(const std::vector<coco::category_info>& cats,
                                                             const coco::resolved_params& rp) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < rp.dims().K; ++k) {
    std::string name;
    if (rp->use_cats)
      for (const auto& c : cats)
        if (c.id == rp->cat_ids[k]) name = c.name;
    out.push_back(name);
  }
  return out;
}

/// Audits a batch data set: matched once (images over o.threads workers, results independent of it), counted
/// at each operating point, pooled, per category and for every slice of `specs`.
[[nodiscard]] inline audit_result run_audit(const coco::ground_truth& gt, const coco::detection_set& dt,
                                            coco::params params, const std::vector<coco::slice_spec>& specs,
                                            const audit_options& o = {}) {
  auto rp = coco::resolve_params(gt, std::move(params));
  if (o.ious.empty()) throw usage_error("audit: no IoU threshold");
  for (double iou : o.ious) (void)iou_index(rp, iou);  // before the matching
  std::vector<std::int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  const coco::detail::id_index by_id(ids);
  std::vector<coco::image_info> images;
  images.reserve(rp->img_ids.size());
  for (const auto id : rp->img_ids) {  // an id of params.img_ids that the ground truth lacks: no attributes
    const auto at = by_id.find(id);
    if (at == coco::detail::id_index::npos)
      images.push_back({id, 0, 0, {}, {}});
    else
      images.push_back(
          {id, gt.images[at].width, gt.images[at].height, gt.images[at].attrs, gt.images[at].provenance});
  }
  auto names = category_names(gt.categories, rp);
  auto rec = collect(gt, dt, rp, o.threads, o.calibration ? calibration_mask(rp, o.ious) : 0);
  return audit_of(std::move(rp), std::move(rec), std::move(images), std::move(names), gt.size(), dt.size(),
                  specs, o);
}

}  // namespace stratum::audit
