// One frame (core/frame.hpp) validated, grouped by category and matched, into any accumulator in the
// matcher's sense (matcher.hpp): the exact and binned accumulators of the streaming evaluator (stream.hpp)
// and the audit's operating records (audit/stream.hpp) are all fed by it, so a frame is matched the same way
// whatever consumes it.
//
// A frame's ground truths and detections are grouped by category stably (ascending category id, input order
// within a category) and each group is matched exactly as the batch evaluator (evaluator.hpp) matches the
// group of that image and category; when params.use_cats is false, the whole frame is one group, categories
// concatenated in ascending id order, as pycocotools' evaluateImg does for useCats=0. Categories outside
// params.cat_ids are skipped; categories that were not declared are an input_error.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "dataset.hpp"
#include "evaluator.hpp"
#include "matcher.hpp"
#include "params.hpp"

namespace stratum::coco {

namespace detail {
/// The ids of `categories`, ascending; usage_error on a duplicate.
[[nodiscard]] inline std::vector<std::int64_t> declared_ids(const std::vector<category_info>& categories) {
  std::vector<std::int64_t> declared;
  for (const auto& ci : categories) declared.push_back(ci.id);
  std::sort(declared.begin(), declared.end());
  if (std::adjacent_find(declared.begin(), declared.end()) != declared.end())
    throw usage_error("stream: duplicate category id in the declared categories");
  return declared;
}
}  // namespace detail

/// The parameters of a stream resolved against its declared categories (cat_ids, when empty: all of them).
[[nodiscard]] inline resolved_params resolve_declared(const std::vector<category_info>& categories,
                                                      params p) {
  return resolved_params::resolve(std::move(p), {}, detail::declared_ids(categories));
}

class frame_matcher {
 public:
  /// `categories`: every category a frame may name (ids unique; usage_error otherwise); `p`: the resolved
  /// parameters (their cat_ids are matched); `unit_scores`: scores must lie in [0, 1] (the binned states),
  /// `score_message` then says why one does not.
  frame_matcher(const std::vector<category_info>& categories, resolved_params p, bool unit_scores = false,
                std::string (*score_message)(double) = nullptr) {
    auto c = std::make_shared<config>(config{std::move(p), detail::id_index(detail::declared_ids(categories)),
                                             detail::id_index(std::vector<std::int64_t>{}), unit_scores,
                                             score_message});
    c->kmap = detail::id_index(c->p->cat_ids);
    cfg_ = std::move(c);
    mt_ = std::make_unique<matcher>(cfg_->p);
  }
  frame_matcher(const frame_matcher& o) : cfg_(o.cfg_), mt_(std::make_unique<matcher>(cfg_->p)) {}
  frame_matcher(frame_matcher&&) noexcept = default;  // the matcher points into *cfg_, which does not move
  frame_matcher& operator=(const frame_matcher& o) {
    if (this != &o) *this = frame_matcher(o);
    return *this;
  }
  frame_matcher& operator=(frame_matcher&&) noexcept = default;
  ~frame_matcher() = default;

  [[nodiscard]] const resolved_params& parameters() const noexcept { return cfg_->p; }

  /// Throws input_error naming the frame and the field on a category that was not declared, a non-finite or
  /// negative box, area or size, a non-finite score (or one outside [0, 1] for unit scores) or arrays of
  /// different lengths.
  void validate(const frame& f) const {
    const auto& g = f.gt;
    const auto& d = f.dt;
    const std::size_t ng = g.size(), nd = d.size();
    if (g.category_id.size() != ng || g.x.size() != ng || g.y.size() != ng || g.w.size() != ng ||
        g.h.size() != ng || g.area.size() != ng || g.crowd.size() != ng || g.flags.size() != ng)
      fail(f, "gt", "arrays of different lengths");
    if (d.x.size() != nd || d.y.size() != nd || d.w.size() != nd || d.h.size() != nd || d.score.size() != nd)
      fail(f, "dt", "arrays of different lengths");
    if (!(std::isfinite(f.width) && f.width >= 0)) fail(f, "width", "expected a finite number >= 0");
    if (!(std::isfinite(f.height) && f.height >= 0)) fail(f, "height", "expected a finite number >= 0");
    auto check_box = [&](const char* what, std::size_t i, double x, double y, double w, double h) {
      if (!(std::isfinite(x) && std::isfinite(y) && std::isfinite(w) && std::isfinite(h)))
        fail(f, std::string(what) + "[" + std::to_string(i) + "].bbox", "not a finite box");
      if (w < 0 || h < 0)
        fail(f, std::string(what) + "[" + std::to_string(i) + "].bbox", "negative width or height");
    };
    const auto& declared = cfg_->declared;
    for (std::size_t i = 0; i < ng; ++i) {
      if (declared.find(g.category_id[i]) == detail::id_index::npos)
        fail(f, "gt[" + std::to_string(i) + "].category_id",
             "category " + std::to_string(g.category_id[i]) + " is not declared");
      check_box("gt", i, g.x[i], g.y[i], g.w[i], g.h[i]);
      if (!(std::isfinite(g.area[i]) && g.area[i] >= 0))
        fail(f, "gt[" + std::to_string(i) + "].area", "expected a finite number >= 0");
    }
    for (std::size_t i = 0; i < nd; ++i) {
      if (declared.find(d.category_id[i]) == detail::id_index::npos)
        fail(f, "dt[" + std::to_string(i) + "].category_id",
             "category " + std::to_string(d.category_id[i]) + " is not declared");
      check_box("dt", i, d.x[i], d.y[i], d.w[i], d.h[i]);
      if (!std::isfinite(d.score[i])) fail(f, "dt[" + std::to_string(i) + "].score", "score is not finite");
      if (cfg_->unit_scores && !(d.score[i] >= 0 && d.score[i] <= 1))
        fail(f, "dt[" + std::to_string(i) + "].score",
             cfg_->score_message ? cfg_->score_message(d.score[i]) : "expected a score in [0, 1]");
    }
  }

  /// Groups the frame by category (counting sort: ascending category id, input order within) and matches
  /// every group into `acc`. The frame must have been validated.
  template <class A>
  void match(const frame& f, A& acc) {
    const auto& c = *cfg_;
    const std::size_t K = c.p->cat_ids.size();
    constexpr std::size_t npos = detail::id_index::npos;
    goff_.assign(K + 1, 0);
    doff_.assign(K + 1, 0);
    gk_.resize(f.gt.size());
    dk_.resize(f.dt.size());
    for (std::size_t i = 0; i < f.gt.size(); ++i)
      if ((gk_[i] = c.kmap.find(f.gt.category_id[i])) != npos) ++goff_[gk_[i] + 1];
    for (std::size_t i = 0; i < f.dt.size(); ++i)
      if ((dk_[i] = c.kmap.find(f.dt.category_id[i])) != npos) ++doff_[dk_[i] + 1];
    for (std::size_t k = 0; k < K; ++k) goff_[k + 1] += goff_[k], doff_[k + 1] += doff_[k];
    g_.resize(goff_[K]);
    d_.resize(doff_[K]);
    fill_.assign(goff_.begin(), goff_.end() - 1);
    for (std::size_t i = 0; i < f.gt.size(); ++i) {
      if (gk_[i] == npos) continue;
      const auto j = fill_[gk_[i]]++;
      g_.x[j] = f.gt.x[i], g_.y[j] = f.gt.y[i], g_.w[j] = f.gt.w[i], g_.h[j] = f.gt.h[i],
      g_.area[j] = f.gt.area[i];
      g_.crowd[j] = f.gt.crowd[i];
      g_.flags[j] = f.gt.flags[i];
      g_.id[j] = f.gt.id[i];
    }
    fill_.assign(doff_.begin(), doff_.end() - 1);
    for (std::size_t i = 0; i < f.dt.size(); ++i) {
      if (dk_[i] == npos) continue;
      const auto j = fill_[dk_[i]]++;
      d_.x[j] = f.dt.x[i], d_.y[j] = f.dt.y[i], d_.w[j] = f.dt.w[i], d_.h[j] = f.dt.h[i],
      d_.score[j] = f.dt.score[i];
    }
    if (c.p->use_cats) {
      for (std::size_t k = 0; k < K; ++k)
        if (goff_[k + 1] > goff_[k] || doff_[k + 1] > doff_[k])
          mt_->match(gts(k, k + 1), dts(k, k + 1), f.id, k, acc);
    } else {
      mt_->match(gts(0, K), dts(0, K), f.id, 0, acc);
    }
    if constexpr (requires { acc.end_image(); }) acc.end_image();
  }

 private:
  struct config {
    resolved_params p;
    detail::id_index declared, kmap;
    bool unit_scores = false;
    std::string (*score_message)(double) = nullptr;
  };

  [[noreturn]] static void fail(const frame& f, const std::string& field, const std::string& what) {
    throw input_error("frame " + std::to_string(f.id) + ": " + field + ": " + what);
  }

  [[nodiscard]] gt_span gts(std::size_t k0, std::size_t k1) const noexcept {
    const auto b = goff_[k0];
    return {goff_[k1] - b,      g_.x.data() + b,     g_.y.data() + b,  g_.w.data() + b, g_.h.data() + b,
            g_.area.data() + b, g_.crowd.data() + b, g_.id.data() + b, nullptr,         g_.flags.data() + b};
  }
  [[nodiscard]] dt_span dts(std::size_t k0, std::size_t k1) const noexcept {
    const auto b = doff_[k0];
    return {doff_[k1] - b,   d_.x.data() + b, d_.y.data() + b,
            d_.w.data() + b, d_.h.data() + b, d_.score.data() + b};
  }

  // A frame regrouped by category (buffers reused from frame to frame).
  struct grouped_gts {
    std::vector<double> x, y, w, h, area;
    std::vector<unsigned char> crowd, flags;
    std::vector<std::int64_t> id;
    void resize(std::size_t n) {
      for (auto* v : {&x, &y, &w, &h, &area}) v->resize(n);
      crowd.resize(n);
      flags.resize(n);
      id.resize(n);
    }
  };
  struct grouped_dts {
    std::vector<double> x, y, w, h, score;
    void resize(std::size_t n) {
      for (auto* v : {&x, &y, &w, &h, &score}) v->resize(n);
    }
  };

  std::shared_ptr<const config> cfg_;  // immutable once built, shared by copies
  std::unique_ptr<matcher> mt_;        // refers to cfg_->p
  grouped_gts g_;
  grouped_dts d_;
  std::vector<std::size_t> goff_, doff_, fill_, gk_, dk_;
};

}  // namespace stratum::coco
