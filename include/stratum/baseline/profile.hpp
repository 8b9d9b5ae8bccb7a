// The drift profile: what a model's output looks like, without labels, in a form that merges exactly and
// stays the same size however many frames it has seen (docs/drift.md). A validation run's profile is frozen
// in the baseline file; a production window's profile is compared with it (baseline/drift.hpp).
//
// Per set of frames (every frame: "all"; and each slice of the slicing, "weather=rain", built from the
// frames' attributes as coco::make_slices builds them) it keeps
//   - the frames, their detections, and the sum of the squared detection counts per frame;
//   - per class (and for all classes together) the detections' scores, and for all classes the box size
//     log2(sqrt(w h)) in pixels and the aspect ratio log2(w / h): each as counts on a fixed fine grid (score
//     [0, 1] in 200 bins; size [0, 12) in 240; aspect [-4, 4) in 160; values beyond an end count in the end
//     bin) and as counts on coarse bins (cut points on the fine grid: the baseline's deciles, binning below)
//     with the frame-level second moments a clustered test needs: sum over frames of x x^T (x: the frame's
//     coarse counts), sum of t^2 and t m (t: the sum of the frame's fine-bin indices, m its count);
//   - the classes of the detections with the same frame-level moments (the class mix);
// and, for every attribute key of the slicing, the frames per value (frames without the key under "").
// Everything is an integer: merging adds, so any split of the frames gives the same bits.
//
// A mergeable state (core/state.hpp, docs/concepts.md), kind 65: profile{} is the identity; += merges
// profiles of the same categories, slicing and binning (usage_error otherwise); == compares every count;
// serialize writes (docs/serialization.md, "Drift profile"):
//   header dims K, S (slicings), sets, 0, 0; fingerprint: of the categories, slicing and binning;
//   payload: u64 K, K i64 category ids; u64 S, S x (u64 k, k strings); binning: u64 (K + 1) x 3 cut lists,
//   each u64 n, n u32 (class 0 = all classes, then the categories in order; features score, size, aspect);
//   u64 sets, each: string name, u64 frames, u64 detections, 2 u64 (high, low) sum of squared counts,
//   u64 c non-empty cells, c x (u32 cell index, u64 frames with a value, fine counts, coarse counts,
//   B (B + 1) / 2 upper-triangle cross moments, 2 x 2 u64 sum t^2 and sum t m); cells 0..K score (0: all
//   classes), K + 1 size, K + 2 aspect, K + 3 class mix (K coarse bins, no fine grid);
//   u64 keys, each: string key, u64 values, each string value, u64 frames. Sets, keys and values sorted.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../coco/dataset.hpp"
#include "../coco/slices.hpp"
#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "embedding.hpp"

namespace stratum::baseline {

/// An unsigned 128-bit sum of products (exact for any realistic stream).
struct wide_sum {
  std::uint64_t hi = 0, lo = 0;
  void add(std::uint64_t a, std::uint64_t b) noexcept {
    // a * b as 128 bits from 32-bit halves
    const std::uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const std::uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    add(wide_sum{p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (p00 & 0xffffffffu)});
  }
  void add(const wide_sum& o) noexcept {
    lo += o.lo;
    hi += o.hi + (lo < o.lo ? 1 : 0);
  }
  [[nodiscard]] double value() const noexcept {
    return std::ldexp(static_cast<double>(hi), 64) + static_cast<double>(lo);
  }
  friend bool operator==(const wide_sum&, const wide_sum&) = default;
};

/// The features of a detection the profile keeps.
enum class feature : std::uint8_t { score = 0, box_size = 1, aspect = 2 };
inline constexpr std::size_t feature_count = 3;

/// A fixed fine grid: `bins` equal bins over [lo, hi); values beyond an end count in the end bin.
struct fine_grid {
  double lo, hi;
  std::uint32_t bins;
  const char* name;
  const char* unit;
  [[nodiscard]] std::uint32_t bin(double v) const noexcept {
    const double u = (v - lo) / (hi - lo) * bins;
    if (!(u > 0)) return 0;  // also -inf (a box of zero area)
    if (u >= bins) return bins - 1;
    return static_cast<std::uint32_t>(u);
  }
  /// The centre of fine bin i, in the feature's units.
  [[nodiscard]] double centre(double i) const noexcept { return lo + (i + 0.5) * (hi - lo) / bins; }
  [[nodiscard]] double width() const noexcept { return (hi - lo) / bins; }
};

inline constexpr std::array<fine_grid, feature_count> grids = {{
    {0.0, 1.0, 200, "score", ""},
    {0.0, 12.0, 240, "box size", "log2 px"},
    {-4.0, 4.0, 160, "aspect", "log2 w/h"},
}};

/// The coarse bins of a profile: per class index (0: all classes, then the categories in order) and feature,
/// the cut points on the fine grid (ascending, in (0, bins)); n cuts make n + 1 bins. The box features have
/// cuts for class 0 only. Empty: one bin everywhere (the first pass of a freeze).
struct binning {
  std::vector<std::array<std::vector<std::uint32_t>, feature_count>> cuts;
  friend bool operator==(const binning&, const binning&) = default;
};

/// The counts of one feature (or the class mix) over a set of frames.
struct cell {
  std::uint64_t frames = 0;           // frames with at least one value
  std::vector<std::uint64_t> fine;    // fine-grid counts (empty for the class mix)
  std::vector<std::uint64_t> coarse;  // coarse-bin counts
  std::vector<std::uint64_t> cross;   // upper triangle of sum over frames of x x^T, row by row
  wide_sum t2, tm;                    // sum over frames of t^2 and t m

  [[nodiscard]] std::uint64_t count() const noexcept {
    std::uint64_t n = 0;
    for (const auto c : coarse) n += c;
    return n;
  }
  [[nodiscard]] bool empty() const noexcept { return frames == 0; }
  /// sum over frames of x_a x_b
  [[nodiscard]] std::uint64_t cross_at(std::size_t a, std::size_t b) const noexcept {
    if (a > b) std::swap(a, b);
    const std::size_t B = coarse.size();
    return cross[a * B - a * (a - 1) / 2 + (b - a)];
  }
  friend bool operator==(const cell&, const cell&) = default;
};

/// The counts of one set of frames.
struct set_profile {
  std::uint64_t frames = 0, detections = 0;
  wide_sum detections_sq;  // sum over frames of the squared detection count
  /// 0..K score (0: all classes), K + 1 size, K + 2 aspect, K + 3 class mix; empty until the set has a
  /// detection (a set of frames without any holds none).
  std::vector<cell> cells;
  /// The embedding moments of the set's frames with an embedding (embedding.hpp; empty without a shape).
  embedding_sums embedding;
  /// Cell c, or an empty cell.
  [[nodiscard]] const cell& at(std::size_t c) const noexcept {
    static const cell none{};
    return c < cells.size() ? cells[c] : none;
  }
  friend bool operator==(const set_profile&, const set_profile&) = default;
};

/// The name of a frame's slice of `spec`, or false when the frame lacks one of its keys (`F`: a frame, or an
/// evaluated image's metadata, coco::image_info: both have attribute() and provenance).
template <class F>
bool slice_name_of(const F& f, const coco::slice_spec& spec, std::string& name) {
  name.clear();
  for (const auto& key : spec.keys) {
    const std::string* v =
        key == "provenance" ? (f.provenance.empty() ? nullptr : &f.provenance) : f.attribute(key);
    if (v == nullptr) return false;
    if (!name.empty()) name += '&';
    name += key;
    name += '=';
    name += *v;
  }
  return true;
}

/// A drift profile (see the top of this file).
class profile {
 public:
  static constexpr state_kind kind = state_kind::drift_profile;
  /// Version 1: no embeddings; version 2 (written only when the profile has an embedding shape): the
  /// embedding shape ends the shape, and every set ends with its embedding moments.
  static constexpr std::uint16_t format_version = 2;
  static constexpr const char* all_name = "all";
  static constexpr std::size_t max_categories = 2000;

  profile() = default;
  /// An empty profile of the categories (ids in their order), the slicing, the binning (empty: one bin) and
  /// the embedding shape (empty: embeddings are not profiled, only counted).
  profile(std::vector<std::int64_t> category_ids, std::vector<coco::slice_spec> slicing, binning bins = {},
          embedding_shape embedding = {})
      : cats_(std::move(category_ids)),
        specs_(std::move(slicing)),
        bins_(std::move(bins)),
        emb_(std::move(embedding)) {
    if (cats_.empty()) throw usage_error("drift profile: no categories");
    if (cats_.size() > max_categories)
      throw usage_error("drift profile: " + std::to_string(cats_.size()) + " categories, at most " +
                        std::to_string(max_categories) + " (the class-mix moments grow with their square)");
    std::vector<std::int64_t> s = cats_;
    std::sort(s.begin(), s.end());
    if (std::adjacent_find(s.begin(), s.end()) != s.end())
      throw usage_error("drift profile: duplicate category ids");
    for (const auto& sp : specs_)
      if (sp.keys.empty()) throw usage_error("drift profile: a slicing without keys");
    const std::size_t K = cats_.size();
    if (bins_.cuts.empty()) bins_.cuts.resize(K + 1);
    if (bins_.cuts.size() != K + 1)
      throw usage_error("drift profile: the binning is not for these categories");
    for (std::size_t k = 0; k <= K; ++k)
      for (std::size_t f = 0; f < feature_count; ++f) {
        const auto& c = bins_.cuts[k][f];
        if (k > 0 && f > 0 && !c.empty()) throw usage_error("drift profile: box-feature cuts beyond class 0");
        for (std::size_t i = 0; i < c.size(); ++i)
          if (c[i] == 0 || c[i] >= grids[f].bins || (i > 0 && c[i] <= c[i - 1]))
            throw usage_error("drift profile: cut points must ascend strictly within the fine grid");
      }
    for (std::size_t f = 0; f < feature_count; ++f) {
      // fine bin -> coarse bin, per class (box features: class 0's)
      coarse_of_.emplace_back();
      for (std::size_t k = 0; k <= (f == 0 ? K : 0); ++k) {
        std::vector<std::uint8_t> m(grids[f].bins);
        const auto& c = bins_.cuts[k][f];
        if (c.size() > 254) throw usage_error("drift profile: at most 255 coarse bins");
        for (std::uint32_t i = 0; i < grids[f].bins; ++i)
          m[i] = static_cast<std::uint8_t>(std::upper_bound(c.begin(), c.end(), i) - c.begin());
        coarse_of_.back().push_back(std::move(m));
      }
    }
    for (std::size_t k = 0; k < K; ++k) index_.emplace_back(cats_[k], k);
    std::sort(index_.begin(), index_.end());
    for (const auto& sp : specs_)
      for (const auto& key : sp.keys)
        if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) keys_.push_back(key);
    if (!emb_.empty()) {
      const std::size_t d = emb_.dims(), D = emb_.features;
      if (d > max_embedding_dims || D < 1 || D > max_random_features || emb_.centre.size() != d ||
          emb_.scale.size() != d || emb_.freq.size() != D * d || emb_.phase.size() != D)
        throw usage_error("drift profile: an inconsistent embedding shape");
      q_.assign(emb_.width(), 0);
      products_.assign(emb_.width() * (emb_.width() + 1) / 2, 0);
    }
    scratch_.resize(cell_count());
    for (std::size_t c = 0; c < cell_count(); ++c) scratch_[c].x.assign(bins_of(c), 0);
  }

  [[nodiscard]] bool is_identity() const noexcept { return cats_.empty(); }
  [[nodiscard]] const std::vector<std::int64_t>& category_ids() const noexcept { return cats_; }
  [[nodiscard]] const std::vector<coco::slice_spec>& slicing() const noexcept { return specs_; }
  [[nodiscard]] const binning& bins() const noexcept { return bins_; }
  [[nodiscard]] const embedding_shape& embedding() const noexcept { return emb_; }
  /// An empty profile of the same categories, slicing, binning and embedding shape (a window's, a shard's).
  [[nodiscard]] profile empty_like() const {
    return is_identity() ? profile() : profile(cats_, specs_, bins_, emb_);
  }
  /// Frames whose embedding was not profiled because the profile has no embedding shape (not serialized).
  [[nodiscard]] std::uint64_t unprofiled_embeddings() const noexcept { return unprofiled_; }
  /// Sets by name ("all" and the slices seen).
  [[nodiscard]] const std::map<std::string, set_profile>& sets() const noexcept { return sets_; }
  /// Per attribute key of the slicing, frames per value ("" for frames without the key).
  [[nodiscard]] const std::map<std::string, std::map<std::string, std::uint64_t>>& scenario() const noexcept {
    return scenario_;
  }
  [[nodiscard]] std::size_t categories() const noexcept { return cats_.size(); }
  [[nodiscard]] std::size_t cell_count() const noexcept { return cats_.size() + 4; }
  /// The feature of cell c (the class mix: no feature; check c == class_mix_cell() first).
  [[nodiscard]] feature feature_of(std::size_t c) const noexcept {
    return c <= cats_.size() ? feature::score : c == cats_.size() + 1 ? feature::box_size : feature::aspect;
  }
  [[nodiscard]] std::size_t class_mix_cell() const noexcept { return cats_.size() + 3; }
  /// Coarse bins of cell c.
  [[nodiscard]] std::size_t bins_of(std::size_t c) const noexcept {
    if (c == class_mix_cell()) return cats_.size();
    const auto f = static_cast<std::size_t>(feature_of(c));
    return bins_.cuts[f == 0 ? c : 0][f].size() + 1;
  }
  [[nodiscard]] std::size_t fine_bins_of(std::size_t c) const noexcept {
    return c == class_mix_cell() ? 0 : grids[static_cast<std::size_t>(feature_of(c))].bins;
  }

  /// The fingerprint of the categories, slicing and binning (the header's).
  [[nodiscard]] std::uint64_t fingerprint() const {
    detail::byte_writer w;
    write_shape(w);
    return detail::fnv1a64(w.data(), w.size());
  }

  /// Adds a frame. input_error naming the frame, the detection and the field on a score outside [0, 1], a
  /// non-finite or negative box size, or a category not among the profile's.
  void add(const frame& f) {
    if (is_identity())
      throw usage_error("drift profile: add() on the identity (construct it with categories)");
    const std::size_t K = cats_.size();
    const std::size_t n = f.dt.size();
    // every detection is checked before any is counted: a refused frame leaves the profile as it was
    for (std::size_t j = 0; j < n; ++j) {
      const double s = f.dt.score[j], w = f.dt.w[j], h = f.dt.h[j];
      if (!(s >= 0 && s <= 1))
        throw input_error("frame " + std::to_string(f.id) + ", detection " + std::to_string(j) + ": score " +
                          std::to_string(s) +
                          " is not in [0, 1] (drift compares score distributions as probabilities)");
      if (!(w >= 0 && h >= 0) || !std::isfinite(w) || !std::isfinite(h))
        throw input_error("frame " + std::to_string(f.id) + ", detection " + std::to_string(j) +
                          ": bbox width and height must be finite and >= 0");
      if (category_index(f.dt.category_id[j]) == npos)
        throw input_error("frame " + std::to_string(f.id) + ", detection " + std::to_string(j) +
                          ": category_id " + std::to_string(f.dt.category_id[j]) +
                          " is not a category of the baseline");
    }
    const bool with_embedding = !f.embedding.empty() && !emb_.empty();
    if (with_embedding) {
      if (f.embedding.size() != emb_.dims())
        throw input_error("frame " + std::to_string(f.id) + ": embedding has " +
                          std::to_string(f.embedding.size()) + " values, the baseline's " +
                          std::to_string(emb_.dims()));
      for (std::size_t j = 0; j < f.embedding.size(); ++j)
        if (!std::isfinite(f.embedding[j]))
          throw input_error("frame " + std::to_string(f.id) + ": embedding[" + std::to_string(j) +
                            "] is not finite");
    }
    if (!f.embedding.empty() && emb_.empty()) ++unprofiled_;
    std::uint64_t clamped = 0, bound = 0;
    if (with_embedding) {
      clamped = encode_embedding(emb_, f.embedding, q_.data());
      const std::size_t L = q_.size();
      std::size_t at = 0;
      std::uint64_t top = 0;
      for (std::size_t a = 0; a < L; ++a) {
        top = std::max<std::uint64_t>(top, static_cast<std::uint64_t>(q_[a] < 0 ? -q_[a] : q_[a]));
        for (std::size_t b = a; b < L; ++b) products_[at++] = q_[a] * q_[b];  // |q| <= 2^30: fits
      }
      bound = top * top;
    }
    for (std::size_t j = 0; j < n; ++j) {
      const double s = f.dt.score[j], w = f.dt.w[j], h = f.dt.h[j];
      const std::size_t k = category_index(f.dt.category_id[j]);
      const std::uint32_t sb = grids[0].bin(s);
      put(1 + k, sb, coarse_of_[0][1 + k][sb]);
      put(0, sb, coarse_of_[0][0][sb]);
      const std::uint32_t zb = grids[1].bin(0.5 * std::log2(w * h));
      put(K + 1, zb, coarse_of_[1][0][zb]);
      const std::uint32_t ab = grids[2].bin(w > 0 && h > 0 ? std::log2(w / h) : 0.0);
      put(K + 2, ab, coarse_of_[2][0][ab]);
      put_class(k);
    }
    for (const auto c : touched_) std::sort(scratch_[c].nz.begin(), scratch_[c].nz.end());
    // the frame's sets
    frame_sets_.clear();
    frame_sets_.push_back(&set(all_name));
    for (const auto& sp : specs_)
      if (slice_name_of(f, sp, name_)) frame_sets_.push_back(&set(name_));
    for (auto* st : frame_sets_) {
      ++st->frames;
      st->detections += n;
      st->detections_sq.add(n, n);
      if (!touched_.empty() && st->cells.empty()) st->cells.resize(cell_count());
      for (const auto c : touched_) absorb(st->cells[c], scratch_[c], c);
      if (with_embedding) {
        st->embedding.add_frame(q_.data(), q_.size(), products_.data(), bound, clamped);
      }
    }
    for (const auto c : touched_) {
      auto& sc = scratch_[c];
      for (const auto b : sc.nz) sc.x[b] = 0;
      sc.nz.clear();
      sc.fine.clear();
      sc.t = sc.m = 0;
      sc.touched = false;
    }
    touched_.clear();
    for (const auto& key : keys_) {
      const std::string* v =
          key == "provenance" ? (f.provenance.empty() ? nullptr : &f.provenance) : f.attribute(key);
      ++scenario_[key][v ? *v : std::string()];
    }
  }

  /// Merges a profile of the same categories, slicing and binning; the identity on either side is neutral.
  profile& operator+=(const profile& o) {
    if (&o == this) return *this += profile(o);
    if (o.is_identity()) return *this;
    if (is_identity()) return *this = o;
    if (fingerprint() != o.fingerprint())
      throw usage_error("drift profile: merging profiles of other categories, slicing or binning");
    for (const auto& [name, os] : o.sets_) {
      auto& st = set(name);
      st.frames += os.frames;
      st.detections += os.detections;
      st.detections_sq.add(os.detections_sq);
      if (!os.cells.empty() && st.cells.empty()) st.cells.resize(cell_count());
      for (std::size_t c = 0; c < os.cells.size(); ++c) {
        const auto& oc = os.cells[c];
        if (oc.empty()) continue;
        auto& tc = st.cells[c];
        if (tc.empty()) init(tc, c);
        tc.frames += oc.frames;
        add_to(tc.fine, oc.fine);
        add_to(tc.coarse, oc.coarse);
        add_to(tc.cross, oc.cross);
        tc.t2.add(oc.t2);
        tc.tm.add(oc.tm);
      }
      st.embedding.add(os.embedding);
    }
    unprofiled_ += o.unprofiled_;
    for (const auto& [key, values] : o.scenario_)
      for (const auto& [v, n] : values) scenario_[key][v] += n;
    return *this;
  }

  friend bool operator==(const profile& a, const profile& b) {
    return a.cats_ == b.cats_ && same_specs(a.specs_, b.specs_) && a.bins_ == b.bins_ && a.emb_ == b.emb_ &&
           a.sets_ == b.sets_ && a.scenario_ == b.scenario_;
  }

  /// The deciles (or `bins` quantile bins) of the pooled fine counts, per class and feature: cut points where
  /// the cumulative count first reaches q / bins of the total, duplicates removed, and no bin holding less
  /// than half of 1 / bins of the total (such a cut is left out; the last bin too thin: its cut is removed).
  /// For the freeze's second pass.
  [[nodiscard]] binning quantile_binning(std::size_t bins = 10) const {
    if (bins < 1 || bins > 255) throw usage_error("drift profile: quantile bins must be in [1, 255]");
    binning b;
    b.cuts.resize(cats_.size() + 1);
    const auto it = sets_.find(all_name);
    if (it == sets_.end()) return b;
    for (std::size_t c = 0; c < class_mix_cell(); ++c) {
      const auto& ce = it->second.at(c);
      const auto f = static_cast<std::size_t>(feature_of(c));
      auto& out = b.cuts[f == 0 ? c : 0][f];
      if (ce.empty()) continue;
      const std::uint64_t n = ce.count();
      const double share = static_cast<double>(n) / static_cast<double>(bins);
      std::uint64_t cum = 0, at_cut = 0;
      std::size_t q = 1;
      for (std::uint32_t i = 0; i + 1 < ce.fine.size() && q < bins; ++i) {
        cum += ce.fine[i];
        bool crossed = false;
        while (q < bins && static_cast<double>(cum) >= static_cast<double>(q) * share) {
          crossed = true;
          ++q;
        }
        // no bin below half a quantile's share: a point mass just above a cut would leave a thin bin
        if (crossed && static_cast<double>(cum - at_cut) >= share / 2) {
          out.push_back(i + 1);
          at_cut = cum;
        }
      }
      if (!out.empty() && static_cast<double>(n - at_cut) < share / 2) out.pop_back();
    }
    return b;
  }

  /// The common wire format (kind 65).
  [[nodiscard]] std::vector<std::byte> serialize() const {
    detail::byte_writer w;
    std::size_t nsets = sets_.size();
    detail::begin_state(w, kind, emb_.empty() ? std::uint16_t{1} : format_version,
                        {static_cast<std::uint32_t>(cats_.size()), static_cast<std::uint32_t>(specs_.size()),
                         static_cast<std::uint32_t>(nsets), 0, 0},
                        is_identity() ? 0 : fingerprint());
    write_shape(w);
    w.u64(sets_.size());
    for (const auto& [name, st] : sets_) {
      detail::put_string(w, name);
      w.u64(st.frames);
      w.u64(st.detections);
      w.u64(st.detections_sq.hi);
      w.u64(st.detections_sq.lo);
      std::uint64_t nonempty = 0;
      for (const auto& c : st.cells) nonempty += c.empty() ? 0 : 1;
      w.u64(nonempty);
      for (std::size_t c = 0; c < st.cells.size(); ++c) {
        const auto& ce = st.cells[c];
        if (ce.empty()) continue;
        w.u32(static_cast<std::uint32_t>(c));
        w.u64(ce.frames);
        for (const auto v : ce.fine) w.u64(v);
        for (const auto v : ce.coarse) w.u64(v);
        for (const auto v : ce.cross) w.u64(v);
        w.u64(ce.t2.hi), w.u64(ce.t2.lo), w.u64(ce.tm.hi), w.u64(ce.tm.lo);
      }
      if (!emb_.empty()) {
        const auto& e = st.embedding;
        w.u64(e.frames);
        w.u64(e.clamped);
        if (!e.empty()) {
          for (const auto v : e.sum) put_int128(w, v);
          for (std::size_t i = 0; i < e.products(); ++i) put_int128(w, e.cross(i));
        }
      }
    }
    w.u64(scenario_.size());
    for (const auto& [key, values] : scenario_) {
      detail::put_string(w, key);
      w.u64(values.size());
      for (const auto& [v, n] : values) {
        detail::put_string(w, v);
        w.u64(n);
      }
    }
    return detail::finish_state(w);
  }

  /// The profile back; input_error naming the offset and the field on damaged or inconsistent bytes.
  [[nodiscard]] static profile deserialize(std::span<const std::byte> bytes) {
    const auto h = detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    auto r = detail::payload_reader(bytes.data(), h);
    if (h.dims[3] != 0 || h.dims[4] != 0) r.fail("dimensions 4 and 5 of a drift profile must be 0");
    std::vector<std::int64_t> cats;
    const auto K = r.u64();
    r.need_array(K, 8, "category ids");
    for (std::uint64_t k = 0; k < K; ++k) cats.push_back(r.i64());
    std::vector<coco::slice_spec> specs;
    const auto S = r.u64();
    r.need_array(S, 8, "slicings");
    for (std::uint64_t s = 0; s < S; ++s) {
      coco::slice_spec sp;
      const auto nk = r.u64();
      r.need_array(nk, 8, "a slicing's keys");
      for (std::uint64_t i = 0; i < nk; ++i) sp.keys.push_back(detail::get_string(r, "a slicing key"));
      specs.push_back(std::move(sp));
    }
    const auto nc = r.u64();
    if (K == 0) {
      if (S != 0 || nc != 0 || h.fingerprint != 0)
        r.fail("a drift profile without categories must be the identity");
      if (r.u64() != 0 || r.u64() != 0) r.fail("the identity drift profile holds counts");
      r.finish();
      return profile();
    }
    if (nc != (K + 1) * feature_count)
      r.fail("the binning has " + std::to_string(nc) + " cut lists, not (K + 1) x 3");
    binning b;
    b.cuts.resize(static_cast<std::size_t>(K + 1));
    for (auto& per_class : b.cuts)
      for (auto& cuts : per_class) {
        const auto n = r.u64();
        r.need_array(n, 4, "cut points");
        for (std::uint64_t i = 0; i < n; ++i) cuts.push_back(r.u32());
      }
    embedding_shape emb;
    if (h.version >= 2) emb = embedding_shape::read(r);
    profile p;
    try {
      p = profile(std::move(cats), std::move(specs), std::move(b), std::move(emb));
    } catch (const usage_error& e) {
      r.fail(std::string("the shape is invalid (") + e.what() + ")");
    }
    if (h.fingerprint != p.fingerprint()) r.fail("the header's fingerprint is not that of the shape");
    const auto nsets = r.u64();
    r.need_array(nsets, 40, "sets");
    std::string last;
    for (std::uint64_t s = 0; s < nsets; ++s) {
      auto name = detail::get_string(r, "a set's name");
      if (s > 0 && !(last < name)) r.fail("the sets are not sorted by name");
      last = name;
      auto& st = p.set(name);
      st.frames = r.u64();
      st.detections = r.u64();
      st.detections_sq.hi = r.u64();
      st.detections_sq.lo = r.u64();
      const auto ne = r.u64();
      if (ne > p.cell_count()) r.fail("more non-empty cells than a set has");
      if (ne > 0) st.cells.resize(p.cell_count());
      std::int64_t prev = -1;
      for (std::uint64_t e = 0; e < ne; ++e) {
        const auto c = r.u32();
        if (c >= st.cells.size() || static_cast<std::int64_t>(c) <= prev)
          r.fail("a cell index is out of order or range");
        prev = c;
        auto& ce = st.cells[c];
        const std::size_t B = p.bins_of(c);
        r.need_array(p.fine_bins_of(c) + B + B * (B + 1) / 2 + 5, 8, "a cell's counts");
        p.init(ce, c);
        ce.frames = r.u64();
        if (ce.frames == 0 || ce.frames > st.frames) r.fail("a cell's frame count is 0 or above its set's");
        for (auto& v : ce.fine) v = r.u64();
        for (auto& v : ce.coarse) v = r.u64();
        for (auto& v : ce.cross) v = r.u64();
        ce.t2.hi = r.u64(), ce.t2.lo = r.u64(), ce.tm.hi = r.u64(), ce.tm.lo = r.u64();
        std::uint64_t fine_n = 0, coarse_n = 0;
        for (const auto v : ce.fine) fine_n += v;
        for (const auto v : ce.coarse) coarse_n += v;
        if (!ce.fine.empty() && fine_n != coarse_n) r.fail("a cell's fine and coarse counts differ in total");
        if (coarse_n < ce.frames) r.fail("a cell has fewer values than frames with a value");
        for (std::size_t a = 0; a < ce.coarse.size(); ++a)
          if (ce.cross_at(a, a) < ce.coarse[a]) r.fail("a cell's cross moments are below its counts");
      }
      if (h.version >= 2) {
        auto& e = st.embedding;
        e.frames = r.u64();
        e.clamped = r.u64();
        if (e.frames > st.frames) r.fail("more frames with an embedding than frames in a set");
        if (e.frames == 0 && e.clamped != 0) r.fail("clamped embedding values without an embedding");
        if (!e.empty()) {
          const std::size_t L = p.emb_.width();
          r.need_array(L + L * (L + 1) / 2, 16, "a set's embedding moments");
          e.init(L);
          for (auto& v : e.sum) v = get_int128(r);
          for (std::size_t i = 0; i < e.products(); ++i) e.set_cross(i, get_int128(r));
          if (e.clamped > e.frames * p.emb_.dims()) r.fail("more clamped embedding values than values");
          const auto n = static_cast<int128>(e.frames);
          for (std::size_t a = 0; a < L; ++a) {
            // Cauchy-Schwarz: (sum q)^2 <= n sum q^2, and sum q^2 >= 0
            const int128 sq = e.cross(a * L - a * (a - 1) / 2);
            int128 lhs = 0, rhs = 0;
            if (sq < 0 || (!__builtin_mul_overflow(e.sum[a], e.sum[a], &lhs) &&
                           !__builtin_mul_overflow(n, sq, &rhs) && lhs > rhs))
              r.fail("a set's embedding moments are inconsistent");
          }
        }
      }
      if (st.frames == 0) r.fail("a set without frames");
      const std::size_t nk = p.categories();
      if (st.at(0).count() != st.detections || st.at(nk + 1).count() != st.detections ||
          st.at(nk + 2).count() != st.detections || st.at(nk + 3).count() != st.detections)
        r.fail("a set's detections are not those of its cells");
      std::uint64_t per_class = 0;
      for (std::size_t k = 1; k <= nk; ++k) per_class += st.at(k).count();
      if (per_class != st.detections) r.fail("a set's detections are not those of its classes");
    }
    if (nsets != 0 && p.sets_.count(all_name) == 0) r.fail("the set \"all\" is missing");
    const auto nkeys = r.u64();
    r.need_array(nkeys, 16, "attribute keys");
    std::string lastk;
    for (std::uint64_t i = 0; i < nkeys; ++i) {
      auto key = detail::get_string(r, "an attribute key");
      if (i > 0 && !(lastk < key)) r.fail("the attribute keys are not sorted");
      if (std::find(p.keys_.begin(), p.keys_.end(), key) == p.keys_.end())
        r.fail("an attribute key not of the slicing");
      lastk = key;
      auto& values = p.scenario_[key];
      const auto nv = r.u64();
      r.need_array(nv, 16, "attribute values");
      std::string lastv;
      for (std::uint64_t j = 0; j < nv; ++j) {
        auto v = detail::get_string(r, "an attribute value");
        if (j > 0 && !(lastv < v)) r.fail("the attribute values are not sorted");
        lastv = v;
        const auto n = r.u64();
        if (n == 0) r.fail("an attribute value with no frame");
        values[v] = n;
      }
    }
    r.finish();
    if (h.dims[0] != K || h.dims[1] != S || h.dims[2] != nsets)
      r.fail("the header's dimensions are not those of the payload");
    return p;
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  struct scratch {
    std::vector<std::uint64_t> x;     // coarse counts of the frame
    std::vector<std::uint32_t> nz;    // the coarse bins with a count (ascending once the frame is complete)
    std::vector<std::uint32_t> fine;  // fine bins of the frame's values
    std::uint64_t t = 0, m = 0;
    bool touched = false;
  };

  std::vector<std::int64_t> cats_;
  std::vector<coco::slice_spec> specs_;
  binning bins_;
  embedding_shape emb_;
  std::map<std::string, set_profile> sets_;
  std::map<std::string, std::map<std::string, std::uint64_t>> scenario_;
  // derived from the shape
  std::vector<std::vector<std::vector<std::uint8_t>>> coarse_of_;
  std::vector<std::pair<std::int64_t, std::size_t>> index_;
  std::vector<std::string> keys_;
  // per-frame work space
  std::vector<scratch> scratch_;
  std::vector<std::size_t> touched_;
  std::vector<set_profile*> frame_sets_;
  std::string name_;
  std::vector<std::int64_t> q_, products_;  // a frame's embedding as integers, and their products
  std::uint64_t unprofiled_ = 0;

  static bool same_specs(const std::vector<coco::slice_spec>& a, const std::vector<coco::slice_spec>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].keys != b[i].keys) return false;
    return true;
  }
  static void add_to(std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  }

  void write_shape(detail::byte_writer& w) const {
    w.u64(cats_.size());
    for (const auto id : cats_) w.i64(id);
    w.u64(specs_.size());
    for (const auto& sp : specs_) {
      w.u64(sp.keys.size());
      for (const auto& k : sp.keys) detail::put_string(w, k);
    }
    w.u64(bins_.cuts.size() * feature_count);
    for (const auto& per_class : bins_.cuts)
      for (const auto& cuts : per_class) {
        w.u64(cuts.size());
        for (const auto c : cuts) w.u32(c);
      }
    if (!emb_.empty()) emb_.write(w);
  }

  [[nodiscard]] std::size_t category_index(std::int64_t id) const noexcept {
    const auto it =
        std::lower_bound(index_.begin(), index_.end(), std::pair<std::int64_t, std::size_t>(id, 0));
    return it != index_.end() && it->first == id ? it->second : npos;
  }
  set_profile& set(const std::string& name) {
    auto it = sets_.find(name);
    if (it == sets_.end()) {
      it = sets_.emplace(name, set_profile{}).first;
    }
    return it->second;
  }
  void init(cell& ce, std::size_t c) const {
    const std::size_t B = bins_of(c);
    ce.fine.assign(fine_bins_of(c), 0);
    ce.coarse.assign(B, 0);
    ce.cross.assign(B * (B + 1) / 2, 0);
  }
  void touch(std::size_t c) {
    if (!scratch_[c].touched) {
      scratch_[c].touched = true;
      touched_.push_back(c);
    }
  }
  void put(std::size_t c, std::uint32_t fine_bin, std::uint8_t coarse_bin) {
    touch(c);
    auto& sc = scratch_[c];
    if (sc.x[coarse_bin]++ == 0) sc.nz.push_back(coarse_bin);
    sc.fine.push_back(fine_bin);
    sc.t += fine_bin;
    ++sc.m;
  }
  void put_class(std::size_t k) {
    const std::size_t c = class_mix_cell();
    touch(c);
    auto& sc = scratch_[c];
    if (sc.x[k]++ == 0) sc.nz.push_back(static_cast<std::uint32_t>(k));
    sc.t += k;
    ++sc.m;
  }
  void absorb(cell& ce, const scratch& sc, std::size_t c) const {
    if (ce.empty()) init(ce, c);
    ++ce.frames;
    for (const auto b : sc.fine) ++ce.fine[b];
    const std::size_t B = sc.x.size();
    for (std::size_t i = 0; i < sc.nz.size(); ++i) {  // nz ascending: the upper triangle
      const std::size_t a = sc.nz[i];
      const auto xa = sc.x[a];
      ce.coarse[a] += xa;
      const std::size_t row = a * B - a * (a - 1) / 2;
      for (std::size_t j = i; j < sc.nz.size(); ++j) ce.cross[row + (sc.nz[j] - a)] += xa * sc.x[sc.nz[j]];
    }
    ce.t2.add(sc.t, sc.t);
    ce.tm.add(sc.t, sc.m);
  }
};

/// The sets a frame belongs to: "all", then its slice of each slicing that it has every key of.
template <class F>
void sets_of(const F& f, const std::vector<coco::slice_spec>& specs, std::vector<std::string>& out) {
  out.clear();
  out.emplace_back(profile::all_name);
  std::string name;
  for (const auto& sp : specs)
    if (slice_name_of(f, sp, name)) out.push_back(name);
}

/// The sets (keys of maps by set name) of the baseline's also in the window's, in the baseline's order: "all"
/// first, then the slices by name.
template <class BaseMap, class WindowMap>
[[nodiscard]] std::vector<std::string> sets_in_both(const BaseMap& base, const WindowMap& window) {
  std::vector<std::string> out;
  if (base.count(profile::all_name) && window.count(profile::all_name)) out.emplace_back(profile::all_name);
  for (const auto& [name, s] : base)
    if (name != profile::all_name && window.count(name)) out.push_back(name);
  return out;
}

/// A baseline's drift profile in two passes over the same frames: the first finds the pooled deciles of every
/// feature (quantile_binning), the second counts with them. `each(fn)` must call fn(const frame&) for every
/// frame, the same frames both times.
template <class ForEach>
[[nodiscard]] profile build_profile(const std::vector<std::int64_t>& category_ids,
                                    const std::vector<coco::slice_spec>& slicing, ForEach&& each,
                                    std::size_t bins = 10, std::size_t features = default_random_features) {
  profile first(category_ids, slicing);
  embedding_scan scan;
  each([&first, &scan](const frame& f) {
    first.add(f);
    scan.add(f);
  });
  profile second(category_ids, slicing, first.quantile_binning(bins), scan.shape(features));
  each([&second](const frame& f) { second.add(f); });
  return second;
}

}  // namespace stratum::baseline
