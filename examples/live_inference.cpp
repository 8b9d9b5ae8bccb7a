// Live inference into the audit, with no files in between (io/live.hpp): a labelled source renders small
// grayscale scenes (cars and pedestrians on a noisy road, by day and by night, clear or rainy) with their
// ground-truth boxes; a stand-in detector (threshold, connected components, a class from the blob's shape, a
// score from its contrast; no model weights) sees only the pixels and returns boxes; the frames go straight
// into audit::audit_stream through coco::run_stream, the matching on two worker threads. The audit prints the
// miss rate and false positives per image of every slice with their intervals. Then the same frames, written
// as the JSONL stream another language would pipe to `stratum audit --stream -`, are read back and audited:
// the counts must be the same.
//
//   example_live_inference [FRAMES]   (default 400; exit status 1 if the two audits differ)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/core/box.hpp>
#include <stratum/io/jsonl.hpp>
#include <stratum/io/live.hpp>

namespace {

constexpr int W = 160, H = 120;
constexpr std::int64_t car = 1, pedestrian = 2;

/// What the model consumes: the pixels of one frame.
struct image {
  std::vector<std::uint8_t> pixels = std::vector<std::uint8_t>(W * H);
  std::uint8_t& at(int x, int y) { return pixels[static_cast<std::size_t>(y * W + x)]; }
  std::uint8_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y * W + x)]; }
};

/// splitmix64: a small seeded generator, so every run renders the same scenes.
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() { return std::sqrt(-2 * std::log(1 - unit())) * std::cos(6.283185307179586 * unit()); }
};

/// The labelled source: renders frame after frame, with the boxes of what it drew as the ground truth.
struct scene_renderer {
  int frames;
  rng r{20261207};
  std::int64_t next_id = 0, next_ann = 0;

  bool operator()(image& img, stratum::frame& f) {
    if (next_id == frames) return false;
    f.id = ++next_id;
    const bool night = r.unit() < 0.35, rain = r.unit() < 0.3;
    f.attrs = {{"timeofday", night ? "night" : "day"}, {"weather", rain ? "rain" : "clear"}};
    f.width = W, f.height = H;
    const double background = night ? 22 : 45, noise = night ? 14 : 8;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x)
        img.at(x, y) = static_cast<std::uint8_t>(std::clamp(background + noise * r.normal(), 0.0, 255.0));
    const int objects = r.below(5);
    std::vector<stratum::box> placed;
    for (int k = 0; k < objects; ++k) {
      const bool is_car = r.unit() < 0.6;
      const int w = is_car ? 14 + r.below(24) : 5 + r.below(6),
                h = is_car ? 9 + r.below(12) : 12 + r.below(18);
      const int x = r.below(W - w), y = r.below(H - h);
      const stratum::box b{double(x), double(y), double(w), double(h)};
      bool free = true;  // objects apart, so each is one blob
      for (const auto& o : placed)
        free = free &&
               (b.x > o.x + o.w + 2 || o.x > b.x + b.w + 2 || b.y > o.y + o.h + 2 || o.y > b.y + b.h + 2);
      if (!free) continue;
      placed.push_back(b);
      const double level = (is_car ? 200 : 150) * (night ? 0.45 : 1.0);
      for (int yy = y; yy < y + h; ++yy)
        for (int xx = x; xx < x + w; ++xx)
          img.at(xx, yy) = static_cast<std::uint8_t>(std::clamp(level + noise * r.normal(), 0.0, 255.0));
      f.gt.add(++next_ann, is_car ? car : pedestrian, b.x, b.y, b.w, b.h, b.area(), false);
    }
    if (rain)  // streaks: short bright vertical runs
      for (int k = 0; k < 60; ++k) {
        const int x = r.below(W), y = r.below(H - 8);
        for (int yy = y; yy < y + 3 + r.below(6); ++yy) img.at(x, yy) = 120;
      }
    return true;
  }
};

/// The stand-in detector: pixels above a threshold, grouped into 4-connected blobs; a blob of at least 12
/// pixels is an object, a pedestrian when it is taller than 1.3 times its width, with a score from its mean
/// contrast. It never sees the labels.
void detect(const image& img, stratum::frame_dts& out) {
  constexpr int threshold = 62;
  std::vector<std::uint8_t> seen(W * H, 0);
  std::vector<int> stack;
  for (int y0 = 0; y0 < H; ++y0)
    for (int x0 = 0; x0 < W; ++x0) {
      if (seen[y0 * W + x0] || img.at(x0, y0) < threshold) continue;
      int x1 = x0, y1 = y0, x2 = x0, y2 = y0, n = 0;
      double sum = 0;
      stack.assign(1, y0 * W + x0);
      seen[y0 * W + x0] = 1;
      while (!stack.empty()) {
        const int p = stack.back(), x = p % W, y = p / W;
        stack.pop_back();
        ++n, sum += img.at(x, y);
        x1 = std::min(x1, x), x2 = std::max(x2, x), y1 = std::min(y1, y), y2 = std::max(y2, y);
        const int nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
        for (const auto& q : nb)
          if (q[0] >= 0 && q[0] < W && q[1] >= 0 && q[1] < H && !seen[q[1] * W + q[0]] &&
              img.at(q[0], q[1]) >= threshold) {
            seen[q[1] * W + q[0]] = 1;
            stack.push_back(q[1] * W + q[0]);
          }
      }
      if (n < 12) continue;
      // corners are inclusive pixels: the box reaches to the far edge of the last one
      const auto b = stratum::box::from_xyxy(x1, y1, x2 + 1, y2 + 1);
      const double contrast = sum / n - threshold;
      const double fill = n / b.area();  // a solid blob is an object; a sparse one, noise
      const double score = fill / (1 + std::exp(-(contrast - 20) / 12));
      out.add(b.h > 1.3 * b.w ? pedestrian : car, b.x, b.y, b.w, b.h, score);
    }
}

}  // namespace

int main(int argc, char** argv) {
  namespace audit = stratum::audit;
  const int frames = argc > 1 ? std::atoi(argv[1]) : 400;
  if (frames <= 0) {
    std::fprintf(stderr, "usage: %s [FRAMES > 0]\n", argv[0]);
    return 2;
  }
  try {
    const std::vector<stratum::coco::category_info> categories = {{car, "car"}, {pedestrian, "pedestrian"}};
    const std::vector<stratum::coco::slice_spec> slices = {{{"timeofday"}}, {{"weather"}}};
    audit::audit_options o;  // IoU 0.5, score threshold 0.5, Wilson intervals at 95%

    // 1. live: render, detect, match; the JSONL lines of the same frames are kept for step 2
    std::string jsonl;
    stratum::io::append_stream_header(jsonl, categories);
    auto live = stratum::io::live_frames<image>(scene_renderer{frames}, detect);
    auto keep = [&](stratum::frame& f) {
      if (!live(f)) return false;
      stratum::io::append_frame(jsonl, f);
      return true;
    };
    audit::audit_stream au(categories);
    stratum::coco::run_stream(keep, au, 2);
    const auto res = au.finalize(slices, o);
    const auto& op = res.points.front();
    std::printf("%d frames rendered and detected live: %llu objects, %llu detections\n", frames,
                static_cast<unsigned long long>(au.ground_truths()),
                static_cast<unsigned long long>(au.detections()));
    auto row = [&](const char* name, const audit::operating_counts& c) {
      const auto r = res.rates(c);
      std::printf("%-18s %5llu objects  miss rate %.3f [%.3f, %.3f]  FPPI %.3f [%.3f, %.3f]\n", name,
                  static_cast<unsigned long long>(c.n_gt), r.miss_rate.value, r.miss_rate.lower,
                  r.miss_rate.upper, r.fppi.value, r.fppi.lower, r.fppi.upper);
    };
    row("all", op.all.all);
    for (const auto& s : op.slices) row(s.name.c_str(), s.counts.all);

    // 2. the same frames as the JSONL stream a Python or shell pipeline would send to `stratum audit
    // --stream -`: the same counts
    std::istringstream in(jsonl);
    stratum::io::jsonl_reader reader(in, "<live.jsonl>");
    audit::audit_stream from_file(categories);
    stratum::coco::run_stream([&](stratum::frame& f) { return reader.next(f); }, from_file, 1);
    const auto again = from_file.finalize(slices, o);
    bool same = again.points.front().all.all == op.all.all;
    for (std::size_t s = 0; s < op.slices.size(); ++s)
      same = same && again.points.front().slices[s].counts.all == op.slices[s].counts.all;
    std::printf("the same frames through the JSONL stream (%zu bytes): %s\n", jsonl.size(),
                same ? "the same counts" : "DIFFERENT counts");
    return same ? 0 : 1;
  } catch (const stratum::input_error& e) {  // a detection the evaluator refuses names the frame and field
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
