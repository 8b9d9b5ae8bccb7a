// Drift of a production window against a baseline through the library API (docs/drift.md): the drift profile
// of 2,000 validation frames in two passes (deciles first), a window of 600 frames whose scores are 0.85
// times lower counted in two shards and merged, and the comparison printed. The frames are synthetic (a fixed
// seed): each frame has a weather, a few detections whose scores share the frame's conditions, and a scene
// embedding of 4 values (unchanged in the window: its centroid and distribution are compared, not flagged).
// Exits 0 when the pooled score shift is flagged and nothing else is, and the embeddings were compared.
#include <cstdio>
#include <random>
#include <vector>

#include <stratum/baseline/drift.hpp>
#include <stratum/baseline/profile.hpp>
#include <stratum/report/drift.hpp>

namespace {

std::vector<stratum::frame> frames(std::uint64_t seed, int n, double score_scale) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const char* weather[] = {"clear", "rain", "fog"};
  std::vector<stratum::frame> out;
  for (int i = 0; i < n; ++i) {
    stratum::frame f;
    f.id = i;
    const int w = static_cast<int>(g() % 3);
    f.attrs = {{"weather", weather[w]}};
    const double scene = 0.15 * w + 0.1 * u(g);  // worse weather, lower scores in the whole frame
    for (int k = static_cast<int>(g() % 12); k > 0; --k) {
      const double s = std::max(0.0, std::min(1.0, (0.9 - scene) * u(g))) * score_scale;
      const double side = 10 + 200 * u(g) * u(g);
      f.dt.add(1 + static_cast<std::int64_t>(g() % 3), 0, 0, side, side * (0.5 + u(g)), s);
    }
    f.embedding = {scene + u(g), u(g) - 0.5 * w, 3 * u(g), u(g) * u(g)};
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

int main() {
  namespace baseline = stratum::baseline;
  const std::vector<stratum::coco::category_info> cats = {{1, "car"}, {2, "person"}, {3, "bus"}};
  const std::vector<std::int64_t> ids = {1, 2, 3};
  const std::vector<stratum::coco::slice_spec> slicing = {{{"weather"}}};

  const auto validation = frames(1, 2000, 1.0);
  const baseline::profile base = baseline::build_profile(ids, slicing, [&](auto&& fn) {
    for (const auto& f : validation) fn(f);
  });

  const auto production = frames(2, 600, 0.85);
  baseline::profile window = base.empty_like(), shard = base.empty_like();
  for (std::size_t i = 0; i < production.size(); ++i) (i < 300 ? window : shard).add(production[i]);
  window += shard;  // shards merge, in any order, to the same counts

  const baseline::drift_result r = baseline::compare(base, window, cats);
  stratum::report::print_drift(r, stdout);

  bool pooled = false, other = false, embeddings = false;
  for (const auto& t : r.tests) {
    const bool flagged = t.status == "shift" || t.status == "warn" || t.status == "alarm";
    embeddings |= t.set == "all" && t.feature == "embedding centroid" && t.status == "ok";
    if (t.set == "all" && t.feature == "score" && t.cls.empty())
      pooled = flagged;
    else if (flagged && t.feature != "score")
      other = true;
  }
  return pooled && !other && embeddings ? 0 : 1;
}
