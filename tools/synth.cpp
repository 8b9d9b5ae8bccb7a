// stratum_synth: deterministic synthetic COCO ground truth and detector results, at any scale.
//
//   stratum_synth --images N --seed S --gt GT.json --dt DT.json [--categories K] [--jsonl FRAMES.jsonl]
//   stratum_synth --coco-val --seed S --gt GT.json --dt DT.json [--jsonl FRAMES.jsonl]
//   either with [--detector default|calibrated] [--miscalibration X] [--ood-probes P]
//
// The model (scene attributes, object sizes, the detector's recall, jitter, duplicates, localisation errors,
// class confusion, background false positives, crowd regions, score ties) is described in docs/generator.md.
//
// Determinism: the same arguments give byte-identical files on any machine and with any compiler. To make
// that hold by construction, generation uses integer arithmetic only: our own RNG (xoshiro256** seeded
// through splitmix64, one independent stream per image), our own distributions (bounded integers, Bernoulli
// trials in parts per million, Irwin-Hall(12) as the normal), boxes in hundredths of a pixel, scores in
// millionths, and integer-to-decimal printing. No floating-point value is computed, so neither libm, FMA
// contraction nor excess precision can change a digit, and no std::*_distribution (implementation-defined
// output) is used.

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;

// Bump when the model changes: the same seed then gives different data, and the files say so.
constexpr int model_version = 2;

constexpr i64 one_ppm = 1'000'000;  // probabilities, factors and scores are in parts per million
constexpr i64 px = 100;             // coordinates are in hundredths of a pixel

// ---------------------------------------------------------------------------------------------------------
// Random numbers

// splitmix64 finaliser (Steele, Lea, Flood 2014), used to derive stream keys and to seed xoshiro.
[[nodiscard]] constexpr u64 mix64(u64 z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr u64 golden_gamma = 0x9e3779b97f4a7c15ULL;

// Key of an independent stream: (seed, purpose, index). Each image has its own streams, so an image's content
// does not depend on how much randomness the images before it consumed.
[[nodiscard]] constexpr u64 stream_key(u64 seed, u64 purpose, u64 index) noexcept {
  return mix64(mix64(mix64(seed + golden_gamma) ^ (purpose * golden_gamma)) + index);
}

// xoshiro256** 1.0 (Blackman, Vigna 2018).
class rng {
 public:
  explicit rng(u64 key) noexcept {
    for (auto& word : s_) {
      key += golden_gamma;
      word = mix64(key);
    }
  }

  [[nodiscard]] u64 next() noexcept {
    const u64 result = std::rotl(s_[1] * 5, 7) * 9;
    const u64 t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

  // Uniform integer in [0, n), 0 < n <= 2^32 (callers keep to that), by multiply-shift of the high 32 bits
  // (bias below n / 2^32).
  [[nodiscard]] i64 below(i64 n) noexcept {
    return static_cast<i64>(((next() >> 32) * static_cast<u64>(n)) >> 32);
  }

  // Uniform integer in [lo, hi]; hi - lo < 2^32.
  [[nodiscard]] i64 between(i64 lo, i64 hi) noexcept { return lo + below(hi - lo + 1); }

  // Bernoulli trial with success probability p (parts per million).
  [[nodiscard]] bool chance(i64 p) noexcept { return below(one_ppm) < p; }

  // Approximately standard normal, in parts per million: Irwin-Hall sum of 12 uniforms minus its mean. Its
  // variance is 1 and it is bounded by +-6, which keeps jittered boxes from flying off.
  [[nodiscard]] i64 gauss_ppm() noexcept {
    constexpr u64 mask = (u64{1} << 21) - 1;
    i64 sum = 0;
    for (int k = 0; k < 4; ++k) {
      const u64 x = next();
      sum += static_cast<i64>((x & mask) + ((x >> 21) & mask) + ((x >> 42) & mask));
    }
    return (sum - 6 * static_cast<i64>(mask)) * one_ppm / (i64{1} << 21);
  }

  // Binomial(n, 1/2) as the number of set bits among n random bits (n <= 256).
  [[nodiscard]] int binomial_half(int n) noexcept {
    int count = 0;
    while (n > 0) {
      const int take = std::min(n, 64);
      const u64 x = next();
      count += std::popcount(take == 64 ? x : (x & ((u64{1} << take) - 1)));
      n -= take;
    }
    return count;
  }

  // Index drawn with probability proportional to weights[i].
  template <std::size_t N>
  [[nodiscard]] std::size_t pick(const std::array<i64, N>& weights) noexcept {
    i64 total = 0;
    for (const i64 w : weights) total += w;
    i64 r = below(total);
    for (std::size_t i = 0; i < N; ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return N - 1;
  }

 private:
  std::array<u64, 4> s_{};
};

// ---------------------------------------------------------------------------------------------------------
// The world: scene attributes, image sizes, categories

// One value of a scene attribute: its frequency and how it degrades the detector.
struct condition {
  std::string_view name;
  i64 weight;         // relative frequency
  i64 recall;         // recall multiplier, ppm
  i64 score_penalty;  // subtracted from true-positive scores, ppm
  i64 jitter;         // multiplier of the localisation noise, per mille
  i64 hallucination;  // extra probability that a background false positive gets a high score, ppm
};

constexpr std::array<condition, 5> weathers{{
    {"clear", 500, 1'000'000, 0, 1000, 0},
    {"overcast", 200, 970'000, 10'000, 1050, 2'000},
    {"rain", 120, 860'000, 60'000, 1200, 8'000},
    {"snow", 80, 810'000, 80'000, 1250, 10'000},
    {"fog", 100, 740'000, 110'000, 1350, 15'000},
}};
constexpr std::array<condition, 3> times_of_day{{
    {"day", 600, 1'000'000, 0, 1000, 0},
    {"dusk", 150, 880'000, 50'000, 1150, 5'000},
    {"night", 250, 780'000, 100'000, 1300, 12'000},
}};
// --shift night: the time-of-day mix of a production window with the night share 30 points higher.
constexpr std::array<i64, 3> night_shift_weights{300, 150, 550};
// --shift rig: the frames of rig_c come from a new camera, rig_d: objects 0.6 times the side, recall 0.8
// times rig_c's.
constexpr std::string_view new_rig_name = "rig_d";
constexpr i64 new_rig_side = 600;        // per mille
constexpr i64 new_rig_recall = 800'000;  // ppm, on top of rig_c's
// --shift score: every score 0.85 times what it was.
constexpr i64 score_shift = 850'000;  // ppm
// --shift recall: the model regressed at night: recall 0.8 times what it was on night frames (the scene mix
// unchanged).
constexpr i64 night_recall_shift = 800'000;  // ppm
// --shift embedding: the frames' embeddings moved by 0.3 (their noise's standard deviation) in the first
// quarter of the dimensions (at least one): a new image pipeline the detections do not show.
constexpr i64 embedding_shift = 300'000;  // ppm

constexpr std::array<condition, 3> rigs{{
    {"rig_a", 400, 1'000'000, 0, 1000, 0},
    {"rig_b", 350, 970'000, 15'000, 1050, 2'000},
    {"rig_c", 250, 850'000, 70'000, 1250, 8'000},
}};
constexpr std::array<condition, 3> provenances{{
    {"real", 700, 1'000'000, 0, 1000, 0},
    {"synthetic", 200, 1'000'000, 0, 950, 0},
    {"augmented", 100, 950'000, 20'000, 1100, 2'000},
}};

struct image_size {
  i64 width;
  i64 height;
};
constexpr std::array<image_size, 6> image_sizes{
    {{640, 480}, {640, 427}, {500, 375}, {1280, 720}, {1920, 1080}, {480, 640}}};
constexpr std::array<i64, 6> image_size_weights{35, 25, 10, 15, 8, 7};

// Scene density: the number of (non-crowd) objects in an image is Binomial(2*lambda, 1/2), lambda drawn here;
// the mixture gives the long right tail of real datasets (a few crowded street scenes, many sparse ones).
constexpr std::array<i64, 7> density_lambda{2, 4, 7, 10, 14, 21, 34};
constexpr std::array<i64, 7> density_weight{20, 20, 20, 15, 12, 7, 3};
constexpr i64 p_image_without_objects = 15'000;   // ppm: an empty scene
constexpr i64 p_image_with_crowd = 85'000;        // ppm: one crowd region in the image
constexpr i64 p_image_detector_dropped = 15'000;  // ppm: no detections at all for the image

// Object size: the square root of the box area is drawn from a size class, then from one of the class's
// geometric sub-buckets (roughly log-uniform), then uniformly inside the bucket. Edges in pixels.
constexpr std::array<i64, 7> small_edges{4, 6, 8, 11, 16, 23, 32};
constexpr std::array<i64, 7> medium_edges{32, 40, 48, 57, 68, 81, 96};
constexpr std::array<i64, 9> large_edges{96, 128, 171, 228, 304, 405, 540, 720, 960};
// Size-class mix (small, medium, large) by a category's size profile; the average is close to COCO's
// 41% / 34% / 24%.
constexpr std::array<std::array<i64, 3>, 3> size_mix{{{55, 32, 13}, {38, 36, 26}, {22, 38, 40}}};
// sqrt(aspect ratio w/h) of a category's typical object, per mille.
constexpr std::array<i64, 7> sqrt_aspects{500, 630, 800, 1000, 1250, 1600, 2000};

constexpr std::array<std::string_view, 80> category_names{"person",
                                                          "car",
                                                          "bicycle",
                                                          "motorcycle",
                                                          "bus",
                                                          "truck",
                                                          "traffic light",
                                                          "traffic sign",
                                                          "rider",
                                                          "train",
                                                          "trailer",
                                                          "van",
                                                          "pickup",
                                                          "scooter",
                                                          "stroller",
                                                          "wheelchair",
                                                          "dog",
                                                          "cat",
                                                          "horse",
                                                          "cow",
                                                          "deer",
                                                          "bird",
                                                          "traffic cone",
                                                          "barrier",
                                                          "bollard",
                                                          "pole",
                                                          "fire hydrant",
                                                          "stop sign",
                                                          "parking meter",
                                                          "bench",
                                                          "street lamp",
                                                          "mailbox",
                                                          "trash can",
                                                          "manhole",
                                                          "pothole",
                                                          "speed bump",
                                                          "road marking",
                                                          "crosswalk sign",
                                                          "work zone sign",
                                                          "debris",
                                                          "tire",
                                                          "box",
                                                          "bag",
                                                          "umbrella",
                                                          "backpack",
                                                          "suitcase",
                                                          "ball",
                                                          "skateboard",
                                                          "kick scooter",
                                                          "cart",
                                                          "shopping cart",
                                                          "forklift",
                                                          "tractor",
                                                          "excavator",
                                                          "crane",
                                                          "ambulance",
                                                          "police car",
                                                          "fire truck",
                                                          "taxi",
                                                          "school bus",
                                                          "tram",
                                                          "boat",
                                                          "airplane",
                                                          "drone",
                                                          "warning light",
                                                          "billboard",
                                                          "tree",
                                                          "bush",
                                                          "rock",
                                                          "other animal",
                                                          "other vehicle",
                                                          "other sign",
                                                          "other light",
                                                          "gate",
                                                          "fence",
                                                          "guardrail",
                                                          "tunnel portal",
                                                          "toll booth",
                                                          "charger",
                                                          "bus stop"};

// Size profile (row of size_mix: 0 mostly small, 1 neutral, 2 mostly large) and sqrt(aspect) of the ten most
// frequent categories, from their names; the others draw theirs.
constexpr std::array<std::pair<int, i64>, 10> head_shapes{{{1, 630},
                                                           {1, 1250},
                                                           {1, 1000},
                                                           {1, 1000},
                                                           {2, 1250},
                                                           {2, 1250},
                                                           {0, 630},
                                                           {0, 1000},
                                                           {1, 630},
                                                           {2, 1600}}};

struct category {
  int id;  // non-contiguous, like COCO's: one id in nine is skipped
  std::string name;
  i64 frequency;      // Zipf weight 1/rank, scaled
  int size_profile;   // row of size_mix
  i64 sqrt_aspect;    // per mille
  i64 recall;         // category difficulty, ppm
  int confused_with;  // index of the category it is mistaken for
};

// The categories are the same for every seed (a "person" keeps its shape and size), so that seeds differ in
// their images only and the object-size mix stays close to COCO's whatever the seed.
[[nodiscard]] std::vector<category> make_categories(int count) {
  std::vector<category> cats;
  cats.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    rng r(stream_key(0, 1, static_cast<u64>(i)));
    category c;
    c.id = i + 1 + i / 8;
    c.name = i < static_cast<int>(category_names.size())
                 ? std::string(category_names[static_cast<std::size_t>(i)])
                 : "class " + std::to_string(c.id);
    c.frequency = 100'000'000 / (i + 1);  // sum below 2^32 for any K <= 1000, as rng::below needs
    c.size_profile = static_cast<int>(r.below(3));
    c.sqrt_aspect = sqrt_aspects[static_cast<std::size_t>(r.below(sqrt_aspects.size()))];
    if (i < static_cast<int>(head_shapes.size())) {
      c.size_profile = head_shapes[static_cast<std::size_t>(i)].first;
      c.sqrt_aspect = head_shapes[static_cast<std::size_t>(i)].second;
    }
    c.recall = r.between(900'000, 1'000'000);
    c.confused_with = count == 1 ? 0 : ((i ^ 1) < count ? (i ^ 1) : i - 1);
    cats.push_back(std::move(c));
  }
  return cats;
}

// Cumulative Zipf weights, for drawing a category index.
class category_sampler {
 public:
  explicit category_sampler(const std::vector<category>& cats) {
    i64 total = 0;
    for (const auto& c : cats) cumulative_.push_back(total += c.frequency);
  }
  [[nodiscard]] int operator()(rng& r) const noexcept {
    const i64 x = r.below(cumulative_.back());
    return static_cast<int>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) -
                            cumulative_.begin());
  }

 private:
  std::vector<i64> cumulative_;
};

// ---------------------------------------------------------------------------------------------------------
// Images, objects, detections

struct image_meta {
  i64 id;
  i64 width;  // pixels
  i64 height;
  std::size_t weather;
  std::size_t timeofday;
  std::size_t rig;
  std::size_t provenance;
  bool probes =
      false;           // the data set has out-of-distribution probe frames (the "probe" attribute is written)
  bool probe = false;  // this image is one
  bool new_rig = false;   // --shift rig: a rig_c frame taken by the new camera
  bool degraded = false;  // --shift recall: a night frame, where the model regressed
};

// floor(sqrt(n)) for n >= 0, in integers.
[[nodiscard]] i64 isqrt(i64 n) noexcept {
  i64 x = 0;
  for (i64 bit = i64{1} << 30; bit > 0; bit >>= 1)
    if ((x + bit) * (x + bit) <= n) x += bit;
  return x;
}

// A production window with a known shift (--shift; docs/generator.md).
enum class shift_kind { none, night, rig, score, prior, recall, embedding };

// The metadata of image `index` given the previous image's id (ids increase with random gaps, like COCO's).
[[nodiscard]] image_meta make_image_meta(u64 seed, u64 index, i64 previous_id, i64 ood_ppm,
                                         shift_kind shift = shift_kind::none) {
  rng r(stream_key(seed, 2, index));
  image_meta m{};
  m.id = previous_id + r.between(1, 12);
  const auto& size = image_sizes[r.pick(image_size_weights)];
  m.width = size.width;
  m.height = size.height;
  auto pick_condition = [&r](const auto& table) {
    std::array<i64, std::tuple_size_v<std::remove_cvref_t<decltype(table)>>> w{};
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = table[i].weight;
    return r.pick(w);
  };
  m.weather = pick_condition(weathers);
  m.timeofday = shift == shift_kind::night ? r.pick(night_shift_weights) : pick_condition(times_of_day);
  m.rig = pick_condition(rigs);
  m.new_rig = shift == shift_kind::rig && m.rig == 2;
  m.degraded = shift == shift_kind::recall && m.timeofday == 2;
  m.provenance = pick_condition(provenances);
  if (ood_ppm > 0) {  // its own stream: without probes every image is what it was
    rng p(stream_key(seed, 4, index));
    m.probes = true;
    m.probe = p.chance(ood_ppm);
  }
  return m;
}

struct box {
  i64 x, y, w, h;  // hundredths of a pixel
};

struct gt_object {
  int cat;
  box b;
  i64 area;  // hundredths of a square pixel
  bool crowd;
};

struct detection {
  int cat;
  box b;
  i64 score;  // ppm
};

// The box with corners (x1, y1), (x2, y2) clipped to the image, at least one pixel wide and high.
[[nodiscard]] box clip_box(i64 x1, i64 y1, i64 x2, i64 y2, i64 width, i64 height) noexcept {
  auto clip_axis = [](i64& a, i64& b, i64 limit) {
    if (a > b) std::swap(a, b);
    a = std::clamp<i64>(a, 0, limit);
    b = std::clamp<i64>(b, 0, limit);
    if (b - a < px) {
      if (a + px <= limit) {
        b = a + px;
      } else {
        b = limit;
        a = limit - px;
      }
    }
  };
  clip_axis(x1, x2, width);
  clip_axis(y1, y2, height);
  return {x1, y1, x2 - x1, y2 - y1};
}

// sqrt(box area) class thresholds, compared on the squared side to stay in integers.
[[nodiscard]] bool side_below(const box& b, i64 side_px) noexcept {
  return b.w * b.h < side_px * side_px * px * px;
}

template <std::size_t N>
[[nodiscard]] i64 draw_side(rng& r, const std::array<i64, N>& edges) {
  const auto k = static_cast<std::size_t>(r.below(N - 1));
  return r.between(edges[k] * px, edges[k + 1] * px - 1);
}

// A box of side sqrt(w*h) = side and shape sqrt(w/h) = sqrt_aspect (per mille), shrunk to fit in the image
// (95% of each dimension at most) and placed uniformly.
[[nodiscard]] box place_box(rng& r, i64 side, i64 sqrt_aspect, i64 width, i64 height) {
  i64 w = std::max<i64>(side * sqrt_aspect / 1000, px);
  i64 h = std::max<i64>(side * 1000 / sqrt_aspect, px);
  const i64 max_w = width * 95 / 100;
  const i64 max_h = height * 95 / 100;
  if (w > max_w) {
    h = std::max<i64>(h * max_w / w, px);
    w = max_w;
  }
  if (h > max_h) {
    w = std::max<i64>(w * max_h / h, px);
    h = max_h;
  }
  const i64 x = r.between(0, width - w);
  const i64 y = r.between(0, height - h);
  return {x, y, w, h};
}

// Annotation area as a segmentation would give it: the box area times a fill factor in [0.7, 1.0].
[[nodiscard]] i64 annotation_area(rng& r, const box& b) {
  const i64 fill = r.between(700'000, 1'000'000);
  return (b.w * b.h * fill + 50'000'000) / 100'000'000;  // (px/100)^2 * ppm -> hundredths of px^2, rounded
}

// Each edge moved by sigma * side * N(0, 1): IoU with the original is mostly 0.5-0.95 for the sigmas used.
[[nodiscard]] box jitter(rng& r, const box& b, i64 sigma, i64 width, i64 height) {
  auto shift = [&](i64 side) { return side * sigma / 1000 * r.gauss_ppm() / 1'000'000'000; };
  const i64 x1 = b.x + shift(b.w);
  const i64 x2 = b.x + b.w + shift(b.w);
  const i64 y1 = b.y + shift(b.h);
  const i64 y2 = b.y + b.h + shift(b.h);
  return clip_box(x1, y1, x2, y2, width, height);
}

// A localisation error: the box displaced by 35-80% of its width (either way), a little vertically, and
// rescaled by 0.8-1.25, so that its IoU with the object is mostly 0.1-0.5.
[[nodiscard]] box mislocate(rng& r, const box& b, i64 width, i64 height) {
  const i64 dx = b.w * r.between(350, 800) / 1000 * (r.chance(500'000) ? 1 : -1);
  const i64 dy = b.h * r.between(-200, 200) / 1000;
  const i64 scale = r.between(800, 1250);
  const i64 cx = b.x + b.w / 2 + dx;
  const i64 cy = b.y + b.h / 2 + dy;
  const i64 hw = b.w * scale / 2000;
  const i64 hh = b.h * scale / 2000;
  return clip_box(cx - hw, cy - hh, cx + hw, cy + hh, width, height);
}

[[nodiscard]] i64 clamp_score(i64 s) noexcept {
  return std::clamp<i64>(s, 1'000, 990'000);
}

struct frame {
  image_meta meta;
  std::vector<gt_object> gt;
  std::vector<detection> dt;
};

struct world {
  u64 seed;
  std::vector<category> cats;
  category_sampler sample_category;
  bool calibrated = false;  // --detector calibrated
  i64 miscalibration = 0;   // ppm, in [-1e6, 1e6]
  shift_kind shift = shift_kind::none;
};

[[nodiscard]] i64 overlap(const box& a, const box& b) noexcept {  // intersection area, hundredths^2
  const i64 w = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  const i64 h = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

// The calibrated detector (--detector calibrated): each non-crowd object gets a candidate with probability
// 0.8, if a box of its size fits somewhere that overlaps no object of its class by IoU 0.3 or more and no
// crowd region by 0.3 of its area (16 tries; a candidate is dropped before its outcome is drawn, so the
// dropping does not depend on it). Its score s is uniform in [0.02, 0.98], and with probability s it is a
// true positive, a box within about 2% of the object's edges (IoU > 0.9), else the box placed away. So P(true
// positive | score s) = s at any IoU threshold up to 0.9, up to the rare objects of one class that overlap
// each other almost entirely.
void calibrated_detections(rng& r, frame& f, i64 width, i64 height) {
  for (const gt_object& g : f.gt) {
    if (g.crowd || !r.chance(800'000)) continue;
    std::optional<box> away;
    for (int attempt = 0; attempt < 16 && !away; ++attempt) {
      const box b{r.between(0, width - g.b.w), r.between(0, height - g.b.h), g.b.w, g.b.h};
      bool clear = true;
      for (const gt_object& o : f.gt) {
        const i64 i = overlap(b, o.b);
        if (o.crowd ? 10 * i >= 3 * b.w * b.h
                    : (o.cat == g.cat && 10 * i >= 3 * (b.w * b.h + o.b.w * o.b.h - i)))
          clear = false;
      }
      if (clear) away = b;
    }
    if (!away) continue;
    const i64 s = r.between(20'000, 980'000);
    f.dt.push_back({g.cat, r.chance(s) ? jitter(r, g.b, 3'000, width, height) : *away, s});
  }
}

// The detections of an out-of-distribution probe frame: 2 to 12 boxes of any class, a third of them
// confident (0.5 to 0.97), the rest low (0.01 + 0.5 u^2).
void probe_detections(const world& wd, rng& r, frame& f, i64 width, i64 height) {
  const int n = static_cast<int>(r.between(2, 12));
  for (int k = 0; k < n; ++k) {
    const int c = wd.sample_category(r);
    const box b =
        place_box(r, draw_side(r, medium_edges),
                  sqrt_aspects[static_cast<std::size_t>(r.below(sqrt_aspects.size()))], width, height);
    i64 score = 0;
    if (r.chance(333'333)) {
      score = r.between(500'000, 970'000);
    } else {
      const i64 u = r.below(one_ppm);
      score = 10'000 + u * u / one_ppm * 500'000 / one_ppm;
    }
    f.dt.push_back({c, b, clamp_score(score)});
  }
}

// The end of every image's detections: score ties (a fraction quantised to two decimals; not for the
// calibrated detector, whose scores are its probabilities), the miscalibration (--miscalibration X: s + X (1
// - s) for X >= 0, s (1 + X) for X < 0), and a shuffle (detector output order is arbitrary; Fisher-Yates).
void finish_detections(const world& wd, rng& r, frame& f, bool ties) {
  if (ties) {
    for (detection& d : f.dt) {
      if (r.chance(150'000)) d.score = std::max<i64>((d.score + 5'000) / 10'000 * 10'000, 10'000);
    }
  }
  if (wd.miscalibration != 0) {
    for (detection& d : f.dt) {
      const i64 x = wd.miscalibration;
      d.score =
          clamp_score(x > 0 ? d.score + x * (one_ppm - d.score) / one_ppm : d.score + d.score * x / one_ppm);
    }
  }
  if (wd.shift == shift_kind::score)
    for (detection& d : f.dt) d.score = clamp_score(d.score * score_shift / one_ppm);
  for (std::size_t i = f.dt.size(); i > 1; --i) {
    std::swap(f.dt[i - 1], f.dt[static_cast<std::size_t>(r.below(static_cast<i64>(i)))]);
  }
}

// --embeddings D: the frame's embedding, D values in ppm from its own stream (so that the rest of the frame
// is what it was without one): x_k = a_k(weather) + a_k(time of day) + a_k(rig) + g_k + g_0 / 2, a table
// value a_k(condition) uniform in [-0.5, 0.5] per condition and dimension, g_0..g_D independent
// (approximately) standard normal: scenes differ in their mean, and dimensions are correlated through g_0.
void make_embedding(u64 seed, u64 index, const image_meta& m, shift_kind shift, std::vector<i64>& x) {
  rng r(stream_key(seed, 5, index));
  const i64 common = r.gauss_ppm();
  const std::size_t conditions[3] = {m.weather, 16 + m.timeofday, 32 + m.rig};
  for (std::size_t k = 0; k < x.size(); ++k) {
    i64 v = r.gauss_ppm() + common / 2;
    for (const std::size_t c : conditions)
      v += static_cast<i64>(mix64(stream_key(0, 6 + c, k)) % 1'000'001) - 500'000;
    if (shift == shift_kind::embedding && k < std::max<std::size_t>(x.size() / 4, 1)) v += embedding_shift;
    x[k] = v;
  }
}

// Ground truth and detections of one image.
void make_frame(const world& wd, u64 index, frame& f) {
  rng r(stream_key(wd.seed, 3, index));
  f.gt.clear();
  f.dt.clear();
  const image_meta& m = f.meta;
  const i64 width = m.width * px;
  const i64 height = m.height * px;
  const auto ncat = static_cast<int>(wd.cats.size());

  // Ground truth.
  int count = 0;
  if (!r.chance(p_image_without_objects)) {
    count = r.binomial_half(2 * static_cast<int>(density_lambda[r.pick(density_weight)]));
  }
  for (int k = 0; k < count; ++k) {
    const int c = wd.sample_category(r);
    const category& cat = wd.cats[static_cast<std::size_t>(c)];
    i64 side = 0;
    switch (r.pick(size_mix[static_cast<std::size_t>(cat.size_profile)])) {
      case 0:
        side = draw_side(r, small_edges);
        break;
      case 1:
        side = draw_side(r, medium_edges);
        break;
      default:
        side = draw_side(r, large_edges);
        break;
    }
    const i64 aspect = cat.sqrt_aspect * r.between(850, 1150) / 1000;
    if (m.new_rig) side = std::max<i64>(side * new_rig_side / 1000, px);
    const box b = place_box(r, side, aspect, width, height);
    f.gt.push_back({c, b, annotation_area(r, b), false});
  }
  if (r.chance(p_image_with_crowd)) {
    // A crowd region: one of the three most frequent categories, medium or (mostly) large, wide.
    const int c = static_cast<int>(r.below(std::min(ncat, 3)));
    const i64 side = r.chance(150'000) ? draw_side(r, medium_edges) : draw_side(r, large_edges);
    const box b = place_box(r, side, r.between(1100, 2000), width, height);
    const auto at = static_cast<std::ptrdiff_t>(r.below(static_cast<i64>(f.gt.size()) + 1));
    f.gt.insert(f.gt.begin() + at, gt_object{c, b, annotation_area(r, b), true});
  }

  if (m.probe) {  // an out-of-distribution probe: no object of a known class, whatever the detector says
    f.gt.clear();
    probe_detections(wd, r, f, width, height);
    finish_detections(wd, r, f, false);
    return;
  }
  if (wd.calibrated) {
    calibrated_detections(r, f, width, height);
    finish_detections(wd, r, f, false);
    return;
  }

  // The detector.
  if (r.chance(p_image_detector_dropped)) return;
  const condition& we = weathers[m.weather];
  const condition& tod = times_of_day[m.timeofday];
  const condition& rig = rigs[m.rig];
  const condition& prov = provenances[m.provenance];
  const i64 scene_recall = we.recall * tod.recall / one_ppm * rig.recall / one_ppm * prov.recall / one_ppm *
                           (m.new_rig ? new_rig_recall : one_ppm) / one_ppm *
                           (m.degraded ? night_recall_shift : one_ppm) / one_ppm;
  const i64 penalty = we.score_penalty + tod.score_penalty + rig.score_penalty + prov.score_penalty;
  const i64 scene_jitter =
      we.jitter * tod.jitter / 1000 * rig.jitter / 1000 * prov.jitter / 1000;  // per mille
  const i64 hallucination = 5'000 + we.hallucination + tod.hallucination + rig.hallucination;
  const i64 confusion = 30'000 + (one_ppm - scene_recall) / 5;

  for (const gt_object& g : f.gt) {
    if (g.crowd) {
      // Detections of individual members inside the crowd region.
      const int n = static_cast<int>(r.between(1, 8));
      for (int k = 0; k < n; ++k) {
        const i64 w = std::max<i64>(g.b.w * r.between(80, 300) / 1000, px);
        const i64 h = std::max<i64>(g.b.h * r.between(150, 700) / 1000, px);
        const i64 x = g.b.x + r.between(0, g.b.w - std::min(w, g.b.w));
        const i64 y = g.b.y + r.between(0, g.b.h - std::min(h, g.b.h));
        const box b = clip_box(x, y, x + w, y + h, width, height);
        f.dt.push_back({g.cat, b, clamp_score(450'000 - penalty + 150'000 * r.gauss_ppm() / one_ppm)});
      }
      continue;
    }
    const category& cat = wd.cats[static_cast<std::size_t>(g.cat)];
    i64 size_recall = 980'000;
    if (side_below(g.b, 8)) {
      size_recall = 500'000;
    } else if (side_below(g.b, 16)) {
      size_recall = 700'000;
    } else if (side_below(g.b, 32)) {
      size_recall = 820'000;
    } else if (side_below(g.b, 64)) {
      size_recall = 920'000;
    } else if (side_below(g.b, 96)) {
      size_recall = 960'000;
    }
    const i64 recall = scene_recall * size_recall / one_ppm * cat.recall / one_ppm;
    if (r.chance(recall)) {
      i64 sigma = r.between(15'000, 70'000) * scene_jitter / 1000;  // ppm of the box side
      if (side_below(g.b, 32)) sigma = sigma * 13 / 10;
      const box b = jitter(r, g.b, sigma, width, height);
      // Scores rise with the detector's recall in these conditions and fall with localisation noise.
      i64 score = 300'000 + recall * 600'000 / one_ppm - penalty - (sigma - 15'000) +
                  120'000 * r.gauss_ppm() / one_ppm;
      int c = g.cat;
      if (r.chance(confusion)) {
        c = cat.confused_with;
        score = score * 85 / 100;
      }
      f.dt.push_back({c, b, clamp_score(score)});
      if (r.chance(70'000)) {  // duplicate: a second, looser box with a lower score
        const box d = jitter(r, g.b, sigma * 2, width, height);
        f.dt.push_back({c, d, clamp_score(score * r.between(300'000, 900'000) / one_ppm)});
      }
      if (r.chance(40'000)) {
        f.dt.push_back({g.cat, mislocate(r, g.b, width, height),
                        clamp_score(250'000 - penalty + 120'000 * r.gauss_ppm() / one_ppm)});
      }
    } else if (r.chance(300'000)) {
      f.dt.push_back({g.cat, mislocate(r, g.b, width, height),
                      clamp_score(250'000 - penalty + 120'000 * r.gauss_ppm() / one_ppm)});
    }
  }

  // Background false positives: more in busy scenes; mostly low scores, a few confident hallucinations.
  const int background =
      r.binomial_half(2 * static_cast<int>(std::min<std::size_t>(21 + 3 * f.gt.size(), 120)));
  for (int k = 0; k < background; ++k) {
    const int c = wd.sample_category(r);
    i64 side = 0;
    switch (r.pick(std::array<i64, 3>{50, 35, 15})) {
      case 0:
        side = draw_side(r, small_edges);
        break;
      case 1:
        side = draw_side(r, medium_edges);
        break;
      default:
        side = draw_side(r, large_edges);
        break;
    }
    if (m.new_rig) side = std::max<i64>(side * new_rig_side / 1000, px);
    const box b = place_box(r, side, sqrt_aspects[static_cast<std::size_t>(r.below(sqrt_aspects.size()))],
                            width, height);
    i64 score = 0;
    if (r.chance(hallucination)) {
      score = r.between(450'000, 950'000);
    } else {
      const i64 u = r.below(one_ppm);
      score = 10'000 + u * u / one_ppm * u / one_ppm * 550'000 / one_ppm;  // 0.01 + 0.55 u^3
    }
    f.dt.push_back({c, b, clamp_score(score)});
  }

  finish_detections(wd, r, f, true);
}

// ---------------------------------------------------------------------------------------------------------
// Output

class output_file {
 public:
  explicit output_file(std::string path) : path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr)
      throw std::runtime_error("cannot open '" + path_ + "' for writing: " + std::strerror(errno));
    buffer_.reserve(capacity + 4096);
  }
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file() {
    if (file_ != nullptr) std::fclose(file_);
  }

  std::string& buffer() noexcept { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= capacity) flush();
  }
  void close() {
    flush();
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  static constexpr std::size_t capacity = std::size_t{1} << 20;
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      throw std::runtime_error("cannot write '" + path_ + "': " + std::strerror(errno));
    }
    buffer_.clear();
  }
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
};

void put_int(std::string& out, i64 v) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// A non-negative fixed-point value v / 10^decimals in shortest decimal form ("12.5", "3", "0.000123").
void put_fixed(std::string& out, i64 v, int decimals) {
  i64 scale = 1;
  for (int k = 0; k < decimals; ++k) scale *= 10;
  put_int(out, v / scale);
  i64 frac = v % scale;
  if (frac == 0) return;
  int digits = decimals;
  while (frac % 10 == 0) {
    frac /= 10;
    --digits;
  }
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, frac);
  out.push_back('.');
  out.append(static_cast<std::size_t>(digits - (res.ptr - buf)), '0');
  out.append(buf, res.ptr);
}

void put_box(std::string& out, const box& b) {
  out += '[';
  put_fixed(out, b.x, 2);
  out += ", ";
  put_fixed(out, b.y, 2);
  out += ", ";
  put_fixed(out, b.w, 2);
  out += ", ";
  put_fixed(out, b.h, 2);
  out += ']';
}

void put_attributes(std::string& out, const image_meta& m) {
  out += "\"attributes\": {\"weather\": \"";
  out += weathers[m.weather].name;
  out += "\", \"timeofday\": \"";
  out += times_of_day[m.timeofday].name;
  out += "\", \"rig\": \"";
  out += m.new_rig ? new_rig_name : rigs[m.rig].name;
  if (m.probes) {
    out += "\", \"probe\": \"";
    out += m.probe ? "ood" : "in";
  }
  out += "\"}, \"provenance\": \"";
  out += provenances[m.provenance].name;
  out += '"';
}

// {"id": .., "width": .., "height": .., "file_name": .., "attributes": {..}, "provenance": ..}
void put_image(std::string& out, const image_meta& m) {
  out += "{\"id\": ";
  put_int(out, m.id);
  out += ", \"width\": ";
  put_int(out, m.width);
  out += ", \"height\": ";
  put_int(out, m.height);
  char name[32];
  std::snprintf(name, sizeof name, "%012lld.jpg", static_cast<long long>(m.id));
  out += ", \"file_name\": \"";
  out += name;
  out += "\", ";
  put_attributes(out, m);
  out += '}';
}

// {"id": .., ["image_id": ..,] "category_id": .., "bbox": [..], "area": .., "iscrowd": ..}
void put_gt(std::string& out, const world& wd, const gt_object& g, i64 id, const i64* image_id) {
  out += "{\"id\": ";
  put_int(out, id);
  if (image_id != nullptr) {
    out += ", \"image_id\": ";
    put_int(out, *image_id);
  }
  out += ", \"category_id\": ";
  put_int(out, wd.cats[static_cast<std::size_t>(g.cat)].id);
  out += ", \"bbox\": ";
  put_box(out, g.b);
  out += ", \"area\": ";
  put_fixed(out, g.area, 2);
  out += ", \"iscrowd\": ";
  out += g.crowd ? '1' : '0';
  out += '}';
}

// {["image_id": ..,] "category_id": .., "bbox": [..], "score": ..}
void put_dt(std::string& out, const world& wd, const detection& d, const i64* image_id) {
  out += '{';
  if (image_id != nullptr) {
    out += "\"image_id\": ";
    put_int(out, *image_id);
    out += ", ";
  }
  out += "\"category_id\": ";
  put_int(out, wd.cats[static_cast<std::size_t>(d.cat)].id);
  out += ", \"bbox\": ";
  put_box(out, d.b);
  out += ", \"score\": ";
  put_fixed(out, d.score, 6);
  out += '}';
}

void put_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
}

// ---------------------------------------------------------------------------------------------------------
// Command line

struct options {
  i64 images = 0;
  int categories = 10;
  u64 seed = 0;
  std::string gt_path;
  std::string dt_path;
  std::string jsonl_path;
  bool coco_val = false;
  bool help = false;
  bool calibrated = false;  // --detector calibrated
  i64 miscalibration = 0;   // ppm
  i64 ood_probes = 0;       // ppm of the images
  shift_kind shift = shift_kind::none;
  int embeddings = 0;  // --embeddings D (0: none)
};

constexpr i64 max_images = 10'000'000;
constexpr int max_categories = 1000;

constexpr std::string_view usage =
    "usage: stratum_synth --images N --seed S --gt GT.json --dt DT.json [--categories K] [--jsonl "
    "FRAMES.jsonl]\n"
    "       stratum_synth --coco-val --seed S --gt GT.json --dt DT.json [--jsonl FRAMES.jsonl]\n"
    "\n"
    "Writes a synthetic COCO ground-truth file and a COCO results file (and optionally the same data as a "
    "JSONL\n"
    "frame stream), deterministically: the same arguments give byte-identical files on any machine.\n"
    "\n"
    "  --images N        number of images, 1 to 10000000\n"
    "  --seed S          random seed, 0 to 18446744073709551615\n"
    "  --categories K    number of categories, 1 to 1000 (default 10)\n"
    "  --gt PATH         ground truth output (COCO: images, annotations, categories)\n"
    "  --dt PATH         detections output (COCO results list)\n"
    "  --jsonl PATH      also write one JSON object per image (frame_id, attributes, provenance, size, gt, "
    "dt)\n"
    "  --coco-val        COCO-val2017-like scale: 5000 images, 80 categories (not with "
    "--images/--categories)\n"
    "  --detector M      default (the model of docs/generator.md) or calibrated (each score is the\n"
    "                    probability that the detection is a true positive)\n"
    "  --shift KIND      a production window with a known shift: night (night share +30 points), rig\n"
    "                    (rig_c frames from a new camera rig_d: objects 0.6x the side, recall 0.8x),\n"
    "                    score (every score 0.85x), prior (class frequencies 1/sqrt(rank) instead of\n"
    "                    1/rank), recall (recall 0.8x on night frames: a model that regressed at\n"
    "                    night), embedding (the embeddings moved by 0.3 sd in a quarter of their\n"
    "                    dimensions), none (default)\n"
    "  --embeddings D    each frame of the JSONL stream carries an embedding of D values (1 to 256;\n"
    "                    needs --jsonl)\n"
    "  --miscalibration X  every score s becomes s + X (1 - s) (X in (0, 1]: overconfident) or s (1 + X)\n"
    "                    (X in [-1, 0): underconfident); default 0\n"
    "  --ood-probes P    a share P in [0, 1] of the images are out-of-distribution probes (attribute\n"
    "                    probe=ood, the others probe=in): no object, only false positives\n"
    "  --help            this text\n";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class T>
[[nodiscard]] T parse_integer(std::string_view name, std::string_view text, T lo, T hi) {
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::result_out_of_range ||
      (ec == std::errc{} && ptr == text.data() + text.size() && (value < lo || value > hi))) {
    throw usage_error(std::string(name) + " must be an integer from " + std::to_string(lo) + " to " +
                      std::to_string(hi) + ", got '" + std::string(text) + "'");
  }
  if (ec != std::errc{} || ptr != text.data() + text.size()) {
    throw usage_error(std::string(name) + " expects an integer, got '" + std::string(text) + "'");
  }
  return value;
}

// A decimal number with at most six decimals ("0.3", "-0.25", "1") in millionths, in [lo, hi].
[[nodiscard]] i64 parse_ppm(std::string_view name, std::string_view text, i64 lo, i64 hi) {
  auto bad = [&] {
    return usage_error(std::string(name) + " expects a number from " + std::to_string(lo / one_ppm) + " to " +
                       std::to_string(hi / one_ppm) + " with at most six decimals, got '" +
                       std::string(text) + "'");
  };
  std::string_view t = text;
  const bool negative = !t.empty() && t.front() == '-';
  if (negative) t.remove_prefix(1);
  const auto dot = t.find('.');
  const std::string_view whole = t.substr(0, dot),
                         frac = dot == std::string_view::npos ? "" : t.substr(dot + 1);
  if (whole.empty() || whole.size() > 7 || frac.size() > 6 || (dot != std::string_view::npos && frac.empty()))
    throw bad();
  i64 v = 0;
  for (const char c : whole) {
    if (c < '0' || c > '9') throw bad();
    v = v * 10 + (c - '0');
  }
  i64 f = 0;
  for (std::size_t k = 0; k < 6; ++k) {
    const char c = k < frac.size() ? frac[k] : '0';
    if (c < '0' || c > '9') throw bad();
    f = f * 10 + (c - '0');
  }
  v = v * one_ppm + f;
  if (negative) v = -v;
  if (v < lo || v > hi) throw bad();
  return v;
}

[[nodiscard]] options parse_options(int argc, char** argv) {
  options o;
  bool have_images = false, have_seed = false, have_categories = false;
  std::vector<std::string> seen;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (std::find(seen.begin(), seen.end(), arg) != seen.end()) {
      throw usage_error("option " + std::string(arg) + " given twice");
    }
    seen.emplace_back(arg);
    if (arg == "--coco-val") {
      if (inline_value) throw usage_error("--coco-val takes no value");
      o.coco_val = true;
      continue;
    }
    if (arg != "--images" && arg != "--seed" && arg != "--categories" && arg != "--gt" && arg != "--dt" &&
        arg != "--jsonl" && arg != "--detector" && arg != "--miscalibration" && arg != "--ood-probes" &&
        arg != "--shift" && arg != "--embeddings") {
      throw usage_error("unknown argument '" + std::string(argv[i]) + "'");
    }
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else {
      if (i + 1 >= argc) throw usage_error("option " + std::string(arg) + " needs a value");
      value = argv[++i];
    }
    if (arg == "--images") {
      o.images = parse_integer<i64>("--images", value, 1, max_images);
      have_images = true;
    } else if (arg == "--seed") {
      o.seed = parse_integer<u64>("--seed", value, 0, ~u64{0});
      have_seed = true;
    } else if (arg == "--categories") {
      o.categories = parse_integer<int>("--categories", value, 1, max_categories);
      have_categories = true;
    } else if (arg == "--detector") {
      if (value != "default" && value != "calibrated")
        throw usage_error("--detector expects default or calibrated, got '" + std::string(value) + "'");
      o.calibrated = value == "calibrated";
    } else if (arg == "--shift") {
      if (value == "none")
        o.shift = shift_kind::none;
      else if (value == "night")
        o.shift = shift_kind::night;
      else if (value == "rig")
        o.shift = shift_kind::rig;
      else if (value == "score")
        o.shift = shift_kind::score;
      else if (value == "prior")
        o.shift = shift_kind::prior;
      else if (value == "recall")
        o.shift = shift_kind::recall;
      else if (value == "embedding")
        o.shift = shift_kind::embedding;
      else
        throw usage_error("--shift expects none, night, rig, score, prior, recall or embedding, got '" +
                          std::string(value) + "'");
    } else if (arg == "--embeddings") {
      o.embeddings = parse_integer<int>("--embeddings", value, 1, 256);
    } else if (arg == "--miscalibration") {
      o.miscalibration = parse_ppm("--miscalibration", value, -one_ppm, one_ppm);
    } else if (arg == "--ood-probes") {
      o.ood_probes = parse_ppm("--ood-probes", value, 0, one_ppm);
    } else {
      if (value.empty()) throw usage_error("option " + std::string(arg) + " needs a non-empty path");
      (arg == "--gt" ? o.gt_path : arg == "--dt" ? o.dt_path : o.jsonl_path) = std::string(value);
    }
  }
  if (o.coco_val) {
    if (have_images || have_categories) {
      throw usage_error(
          "--coco-val fixes 5000 images and 80 categories: do not combine it with --images or "
          "--categories");
    }
    o.images = 5000;
    o.categories = 80;
  } else if (!have_images) {
    throw usage_error("missing --images N (or --coco-val)");
  }
  if (!have_seed) throw usage_error("missing --seed S");
  if (o.embeddings > 0 && o.jsonl_path.empty())
    throw usage_error("--embeddings writes the JSONL stream's embeddings: give --jsonl PATH");
  if (o.shift == shift_kind::embedding && o.embeddings == 0)
    throw usage_error("--shift embedding moves the embeddings: give --embeddings D");
  if (o.gt_path.empty()) throw usage_error("missing --gt PATH");
  if (o.dt_path.empty()) throw usage_error("missing --dt PATH");
  if (o.gt_path == o.dt_path ||
      (!o.jsonl_path.empty() && (o.jsonl_path == o.gt_path || o.jsonl_path == o.dt_path))) {
    throw usage_error("--gt, --dt and --jsonl must be different files");
  }
  return o;
}

struct summary {
  i64 gt = 0, crowd = 0, dt = 0, small = 0, medium = 0, large = 0, images_without_gt = 0,
      images_without_dt = 0;
};

[[nodiscard]] summary generate(const options& o) {
  std::vector<category> cats = make_categories(o.categories);
  if (o.shift == shift_kind::prior)  // class frequencies 1/sqrt(rank): the rarer classes more frequent
    for (std::size_t i = 0; i < cats.size(); ++i)
      cats[i].frequency = 10'000'000'000 / isqrt(static_cast<i64>(i + 1) * 1'000'000);  // sum < 2^32
  const category_sampler sampler(cats);
  const world wd{o.seed, std::move(cats), sampler, o.calibrated, o.miscalibration, o.shift};

  output_file gt_file(o.gt_path);
  output_file dt_file(o.dt_path);
  std::optional<output_file> jsonl_file;
  if (!o.jsonl_path.empty()) jsonl_file.emplace(o.jsonl_path);

  // Pass 1: the images array (metadata streams only, cheap). Pass 2 regenerates the same metadata and draws
  // each image's content, so memory stays bounded whatever the number of images.
  std::string& g = gt_file.buffer();
  g += "{\"info\": {\"description\": \"stratum_synth synthetic dataset\", \"version\": \"";
  put_int(g, model_version);
  g += "\", \"seed\": ";
  g += std::to_string(o.seed);
  g += "}, \"images\": [";
  i64 previous_id = 0;
  for (i64 i = 0; i < o.images; ++i) {
    const image_meta m = make_image_meta(o.seed, static_cast<u64>(i), previous_id, o.ood_probes, o.shift);
    previous_id = m.id;
    if (i > 0) g += ", ";
    put_image(g, m);
    gt_file.maybe_flush();
  }
  g += "], \"annotations\": [";

  std::string& d = dt_file.buffer();
  d += '[';
  summary s;
  frame f;
  std::vector<i64> embedding(static_cast<std::size_t>(o.embeddings));
  previous_id = 0;
  i64 next_ann_id = 1;
  for (i64 i = 0; i < o.images; ++i) {
    f.meta = make_image_meta(o.seed, static_cast<u64>(i), previous_id, o.ood_probes, o.shift);
    previous_id = f.meta.id;
    make_frame(wd, static_cast<u64>(i), f);
    const i64 first_ann_id = next_ann_id;
    for (const gt_object& obj : f.gt) {
      if (next_ann_id > 1) g += ", ";
      put_gt(g, wd, obj, next_ann_id++, &f.meta.id);
      if (obj.crowd) {
        ++s.crowd;
      } else if (obj.area < 32 * 32 * 100) {
        ++s.small;
      } else if (obj.area < 96 * 96 * 100) {
        ++s.medium;
      } else {
        ++s.large;
      }
    }
    for (const detection& det : f.dt) {
      if (s.dt++ > 0) d += ", ";
      put_dt(d, wd, det, &f.meta.id);
    }
    s.gt += static_cast<i64>(f.gt.size());
    s.images_without_gt += f.gt.empty() ? 1 : 0;
    s.images_without_dt += f.dt.empty() ? 1 : 0;
    gt_file.maybe_flush();
    dt_file.maybe_flush();
    if (jsonl_file) {
      std::string& j = jsonl_file->buffer();
      j += "{\"frame_id\": ";
      put_int(j, f.meta.id);
      j += ", ";
      put_attributes(j, f.meta);
      j += ", \"width\": ";
      put_int(j, f.meta.width);
      j += ", \"height\": ";
      put_int(j, f.meta.height);
      j += ", \"gt\": [";
      for (std::size_t k = 0; k < f.gt.size(); ++k) {
        if (k > 0) j += ", ";
        put_gt(j, wd, f.gt[k], first_ann_id + static_cast<i64>(k), nullptr);
      }
      j += "], \"dt\": [";
      for (std::size_t k = 0; k < f.dt.size(); ++k) {
        if (k > 0) j += ", ";
        put_dt(j, wd, f.dt[k], nullptr);
      }
      j += ']';
      if (!embedding.empty()) {
        make_embedding(o.seed, static_cast<u64>(i), f.meta, o.shift, embedding);
        j += ", \"embedding\": [";
        for (std::size_t k = 0; k < embedding.size(); ++k) {
          if (k > 0) j += ", ";
          if (embedding[k] < 0) j += '-';
          put_fixed(j, embedding[k] < 0 ? -embedding[k] : embedding[k], 6);
        }
        j += ']';
      }
      j += "}\n";
      jsonl_file->maybe_flush();
    }
  }
  g += "], \"categories\": [";
  for (std::size_t k = 0; k < wd.cats.size(); ++k) {
    if (k > 0) g += ", ";
    g += "{\"id\": ";
    put_int(g, wd.cats[k].id);
    g += ", \"name\": ";
    put_json_string(g, wd.cats[k].name);
    g += '}';
  }
  g += "]}\n";
  d += "]\n";
  gt_file.close();
  dt_file.close();
  if (jsonl_file) jsonl_file->close();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    o = parse_options(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "stratum_synth: error: %s\n(run stratum_synth --help for the usage)\n", e.what());
    return 2;
  }
  if (o.help) {
    std::fwrite(usage.data(), 1, usage.size(), stdout);
    return 0;
  }
  try {
    const summary s = generate(o);
    const i64 boxes = s.small + s.medium + s.large;
    auto pct = [boxes](i64 n) {
      return boxes == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(boxes);
    };
    std::printf(
        "stratum_synth: %lld images (%lld without ground truth, %lld without detections), %d categories, "
        "%lld ground-truth boxes (%lld crowd; non-crowd by area: small %.1f%%, medium %.1f%%, large %.1f%%), "
        "%lld detections\n",
        static_cast<long long>(o.images), static_cast<long long>(s.images_without_gt),
        static_cast<long long>(s.images_without_dt), o.categories, static_cast<long long>(s.gt),
        static_cast<long long>(s.crowd), pct(s.small), pct(s.medium), pct(s.large),
        static_cast<long long>(s.dt));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stratum_synth: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
