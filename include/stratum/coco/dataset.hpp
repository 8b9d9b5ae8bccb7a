// In-memory ground truth and detections of a COCO-style evaluation, structure of arrays.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../core/frame.hpp"

namespace stratum::coco {

using stratum::attributes;

struct image_info {
  std::int64_t id = 0;
  double width = 0, height = 0;
  attributes attrs;
  std::string provenance;   // "real", "synthetic", "augmented" or empty when not given
  std::string file_name{};  // as the ground truth names the image; empty when not given

  /// The value of attribute `key`, or nullptr.
  [[nodiscard]] const std::string* attribute(const std::string& key) const noexcept {
    for (const auto& [k, v] : attrs)
      if (k == key) return &v;
    return nullptr;
  }
};

struct category_info {
  std::int64_t id = 0;
  std::string name;
};

/// Ground truth: images, categories and annotations (structure of arrays, in input order).
struct ground_truth {
  std::vector<image_info> images;
  std::vector<category_info> categories;
  std::vector<std::int64_t> id, image_id, category_id;
  std::vector<double> x, y, w, h, area;
  std::vector<unsigned char> crowd, flags;  // flags: gt_flag bits (core/frame.hpp)

  [[nodiscard]] std::size_t size() const noexcept { return id.size(); }
  void add(std::int64_t ann_id, std::int64_t img, std::int64_t cat, double bx, double by, double bw,
           double bh, double a, bool is_crowd, unsigned char gt_flags = 0) {
    id.push_back(ann_id);
    image_id.push_back(img);
    category_id.push_back(cat);
    x.push_back(bx);
    y.push_back(by);
    w.push_back(bw);
    h.push_back(bh);
    area.push_back(a);
    crowd.push_back(is_crowd ? 1 : 0);
    flags.push_back(gt_flags);
  }
};

/// Detections (a COCO results file), structure of arrays, in input order.
struct detection_set {
  std::vector<std::int64_t> image_id, category_id;
  std::vector<double> x, y, w, h, score;

  [[nodiscard]] std::size_t size() const noexcept { return score.size(); }
  void add(std::int64_t img, std::int64_t cat, double bx, double by, double bw, double bh, double s) {
    image_id.push_back(img);
    category_id.push_back(cat);
    x.push_back(bx);
    y.push_back(by);
    w.push_back(bw);
    h.push_back(bh);
    score.push_back(s);
  }
};

namespace detail {

/// Maps ids to dense indices: a direct table when the ids are dense enough, a hash map otherwise.
class id_index {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  explicit id_index(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    auto [lo, hi] = std::pair{ids[0], ids[0]};
    for (auto v : ids) lo = std::min(lo, v), hi = std::max(hi, v);
    const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    if (span < 4 * ids.size() + 4096) {
      lo_ = lo;
      table_.assign(span + 1, npos);
      for (std::size_t i = 0; i < ids.size(); ++i) table_[static_cast<std::size_t>(ids[i] - lo)] = i;
      dense_ = true;
    } else {
      map_.reserve(ids.size());
      for (std::size_t i = 0; i < ids.size(); ++i) map_.emplace(ids[i], i);
    }
  }
  [[nodiscard]] std::size_t find(std::int64_t id) const noexcept {
    if (dense_) {
      if (id < lo_) return npos;
      const auto off = static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(lo_);
      return off < table_.size() ? table_[off] : npos;
    }
    auto it = map_.find(id);
    return it == map_.end() ? npos : it->second;
  }

 private:
  bool dense_ = false;
  std::int64_t lo_ = 0;
  std::vector<std::size_t> table_;
  std::unordered_map<std::int64_t, std::size_t> map_;
};

}  // namespace detail
}  // namespace stratum::coco
