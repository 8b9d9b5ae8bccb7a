// The literal image resample the bootstrap tests compare against: every image repeated weight(id) times.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include <stratum/coco/dataset.hpp>

namespace stratum_test {

/// The literal resample: the image at position r (ascending id) with weight w becomes w images with ids
/// r * 32 + c (c < w <= 18), each with the image's attributes and provenance, keeping annotation and
/// detection order.
template <class WeightFn>
std::pair<stratum::coco::ground_truth, stratum::coco::detection_set> resample(
    const stratum::coco::ground_truth& gt, const stratum::coco::detection_set& dt, WeightFn&& weight) {
  namespace coco = stratum::coco;
  std::vector<std::int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  std::sort(ids.begin(), ids.end());
  const coco::detail::id_index pos(ids);
  coco::ground_truth out;
  out.categories = gt.categories;
  std::vector<const coco::image_info*> by_rank(ids.size());
  for (const auto& im : gt.images) by_rank[pos.find(im.id)] = &im;
  for (std::size_t r = 0; r < ids.size(); ++r)
    for (std::uint32_t c = 0; c < weight(ids[r]); ++c) {
      coco::image_info im = *by_rank[r];
      im.id = static_cast<std::int64_t>(r) * 32 + c;
      out.images.push_back(im);
    }
  std::int64_t ann_id = 1;
  for (std::size_t i = 0; i < gt.size(); ++i) {
    const auto r = static_cast<std::int64_t>(pos.find(gt.image_id[i]));
    for (std::uint32_t c = 0; c < weight(gt.image_id[i]); ++c)
      out.add(ann_id++, r * 32 + c, gt.category_id[i], gt.x[i], gt.y[i], gt.w[i], gt.h[i], gt.area[i],
              gt.crowd[i], gt.flags[i]);
  }
  coco::detection_set od;
  for (std::size_t i = 0; i < dt.size(); ++i) {
    const auto r = static_cast<std::int64_t>(pos.find(dt.image_id[i]));
    for (std::uint32_t c = 0; c < weight(dt.image_id[i]); ++c)
      od.add(r * 32 + c, dt.category_id[i], dt.x[i], dt.y[i], dt.w[i], dt.h[i], dt.score[i]);
  }
  return {std::move(out), std::move(od)};
}

}  // namespace stratum_test
