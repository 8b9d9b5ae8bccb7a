// The JSON summary of a (sliced) COCO evaluation, as printed by `stratum coco --json`, `stratum stream
// --json` and the MPI example (examples/mpi): the same bytes for the same numbers, whichever path produced
// them.
//
//   {
//     "stratum_version": "MAJOR.MINOR.PATCH" (STRATUM_VERSION of the library that wrote the document),
//     "n_images": N, "n_ground_truths": G, "n_detections": D,
//     "stat_names": ["AP", "AP50", ..., "ARl"]   (coco::stat_table: the names of the 12 numbers),
//     "stats": [12 numbers, pycocotools' summarize() order],
//     "per_category": {"<category id>" (or "all" when class-agnostic): {"ap", "ap50", "ap75", "ar100"}},
//     "slices": {"<name>": {"n_images", "stats", "per_category"}}      (only when slicing was asked for)
//   }
//
// With bootstrap intervals (coco::bootstrap_slices), the document also holds
//     "bootstrap": {"method": "percentile", "unit": "image", "replicates": B, "seed": S,
//                   "confidence_level": C}
// and, next to every "stats" (pooled and per slice),
//     "stats_ci": [[lower, upper] x 12]    (null bounds where the number is undefined)
//     "stats_ci_undefined": [12 counts of replicates in which the number was undefined]
// and in each slice, the paired intervals of (slice number - pooled number), replicate by replicate:
//     "delta_ci": [[lower, upper] x 12], "delta_ci_undefined": [12 counts]
//
// Numbers are printed in the shortest form that reads back to the same double (detail/json.hpp); an
// undefined (non-finite) number prints as null.
// n_ground_truths and n_detections count every object read, including those of images or categories that
// params excluded from the evaluation.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "../coco/bootstrap.hpp"
#include "../coco/slices.hpp"
#include "../detail/json.hpp"
#include "../version.hpp"

namespace stratum::report {

namespace detail {

using stratum::detail::json_number;
using stratum::detail::json_quoted;

inline std::string stats_json(const std::array<double, 12>& st) {
  std::string out = "[";
  for (std::size_t i = 0; i < st.size(); ++i) out += (i ? ", " : "") + json_number(st[i]);
  return out + "]";
}

inline std::string per_category_json(const coco::evaluation& ev, const std::string& indent) {
  std::string out = "{";
  const std::size_t K = ev.arrays.K;
  for (std::size_t k = 0; k < K; ++k) {
    const auto c = ev.category(k);
    const std::string id = ev.p->use_cats ? std::to_string(ev.p->cat_ids[k]) : "all";
    out += (k ? ",\n" : "\n") + indent + "  " + json_quoted(id) + ": {\"ap\": " + json_number(c.ap) +
           ", \"ap50\": " + json_number(c.ap50) + ", \"ap75\": " + json_number(c.ap75) +
           ", \"ar100\": " + json_number(c.ar100) + "}";
  }
  return out + "\n" + indent + "}";
}

/// '"<prefix>": [[lower, upper] x 12], "<prefix>_undefined": [12 counts]'
inline std::string intervals_json(const coco::stats_intervals& ci, const char* prefix = "stats_ci") {
  std::string out = std::string("\"") + prefix + "\": [";
  for (std::size_t i = 0; i < 12; ++i)
    out += (i ? ", [" : "[") + json_number(ci.lower[i]) + ", " + json_number(ci.upper[i]) + "]";
  out += std::string("], \"") + prefix + "_undefined\": [";
  for (std::size_t i = 0; i < 12; ++i) out += (i ? ", " : "") + std::to_string(ci.undefined[i]);
  return out + "]";
}
/// '{\n  "stratum_version": "...",\n<extra>  "n_images": N, ... "stat_names": [...]' (no closing brace).
inline std::string document_head(const std::string& extra, std::size_t n_images,
                                 std::uint64_t n_ground_truths, std::uint64_t n_detections) {
  std::string out = "{\n  \"stratum_version\": \"" STRATUM_VERSION "\",\n" + extra +
                    "  \"n_images\": " + std::to_string(n_images) +
                    ",\n  \"n_ground_truths\": " + std::to_string(n_ground_truths) +
                    ",\n  \"n_detections\": " + std::to_string(n_detections) + ",\n  \"stat_names\": [";
  for (const auto& si : coco::stat_table) out += (si.id == coco::stat::ap ? "" : ", ") + json_quoted(si.name);
  return out + "]";
}

/// ',\n  "slices": {"<name>": {"n_images": n<fields(slice, s)>}, ...}'
template <class Result, class Fields>
std::string slices_json(const Result& res, Fields&& fields) {
  std::string out = ",\n  \"slices\": {";
  for (std::size_t s = 0; s < res.slices.size(); ++s) {
    const auto& sl = res.slices[s];
    out += (s ? ",\n    " : "\n    ") + json_quoted(sl.name) +
           ": {\"n_images\": " + std::to_string(sl.images.size()) + fields(sl, s) + "}";
  }
  return out + "\n  }";
}

inline std::string bracket_json(double lo, double hi) {
  return "[" + json_number(lo) + ", " + json_number(hi) + "]";
}

inline std::string per_category_json(const coco::binned_evaluation& ev, const std::string& indent) {
  std::string out = "{";
  const std::size_t K = ev.arrays.lower.K;
  for (std::size_t k = 0; k < K; ++k) {
    const auto lo = coco::summarize_category(ev.arrays.lower, ev.p, k);
    const auto hi = coco::summarize_category(ev.arrays.upper, ev.p, k);
    const std::string id = ev.p->use_cats ? std::to_string(ev.p->cat_ids[k]) : "all";
    out += (k ? ",\n" : "\n") + indent + "  " + json_quoted(id) + ": {\"ap\": " + bracket_json(lo.ap, hi.ap) +
           ", \"ap50\": " + bracket_json(lo.ap50, hi.ap50) + ", \"ap75\": " + bracket_json(lo.ap75, hi.ap75) +
           ", \"ar100\": " + json_number(lo.ar100) + "}";
  }
  return out + "\n" + indent + "}";
}
}  // namespace detail

/// The document of a bounded-memory (binned) evaluation: as evaluation_json without intervals, with
///   "mode": "binned", "bins": B,
///   "stats_lower": [12], "stats_upper": [12]   (lower[i] <= pycocotools' number <= upper[i]; the six AR
///                                               numbers are exact, lower == upper)
/// in place of "stats", pooled and per slice, and per category "ap", "ap50", "ap75" as [lower, upper].
[[nodiscard]] inline std::string evaluation_json(const coco::sliced_binned_evaluation& res,
                                                 std::uint64_t n_ground_truths, std::uint64_t n_detections,
                                                 bool with_slices) {
  using namespace detail;
  const auto& ev = res.all;
  std::string out = document_head("  \"mode\": \"binned\",\n  \"bins\": " + std::to_string(ev.bins) + ",\n",
                                  ev.p->img_ids.size(), n_ground_truths, n_detections);
  out += ",\n  \"stats_lower\": " + stats_json(ev.stats.lower) +
         ",\n  \"stats_upper\": " + stats_json(ev.stats.upper);
  out += ",\n  \"per_category\": " + per_category_json(ev, "  ");
  if (with_slices)
    out += slices_json(res, [](const auto& sl, std::size_t) {
      return ", \"stats_lower\": " + stats_json(sl.eval.stats.lower) +
             ", \"stats_upper\": " + stats_json(sl.eval.stats.upper) +
             ", \"per_category\": " + per_category_json(sl.eval, "    ");
    });
  return out + "\n}\n";
}

/// The summary document (ending with a newline). `with_slices` writes the "slices" object (possibly empty);
/// `ci`, when given, adds the bootstrap intervals (its slices parallel to res.slices).
[[nodiscard]] inline std::string evaluation_json(const coco::sliced_evaluation& res,
                                                 std::uint64_t n_ground_truths, std::uint64_t n_detections,
                                                 bool with_slices,
                                                 const coco::sliced_intervals* ci = nullptr) {
  using namespace detail;
  const auto& ev = res.all;
  std::string out = document_head("", ev.p->img_ids.size(), n_ground_truths, n_detections);
  out += ",\n  \"stats\": " + stats_json(ev.stats);
  if (ci != nullptr) {
    out += ",\n  \"bootstrap\": {\"method\": \"percentile\", \"unit\": \"image\", \"replicates\": " +
           std::to_string(ci->replicates) + ", \"seed\": " + std::to_string(ci->seed) +
           ", \"confidence_level\": " + json_number(ci->conf.level()) + "}";
    out += ",\n  " + intervals_json(ci->all);
  }
  out += ",\n  \"per_category\": " + per_category_json(ev, "  ");
  if (with_slices)
    out += slices_json(res, [ci](const auto& sl, std::size_t s) {
      return ", \"stats\": " + stats_json(sl.eval.stats) +
             (ci != nullptr ? ", " + intervals_json(ci->slices.at(s).value) + ", " +
                                  intervals_json(ci->slices.at(s).delta, "delta_ci")
                            : std::string()) +
             ", \"per_category\": " + per_category_json(sl.eval, "    ");
    });
  return out + "\n}\n";
}

}  // namespace stratum::report
