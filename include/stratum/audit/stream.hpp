// The audit over a stream of frames (core/frame.hpp: a JSONL stream, an adapter, shards of a data set on
// several workers or machines): each frame is matched once, as the batch audit matches its image
// (coco/frame_matcher.hpp), into operating records (operating.hpp), and its id, attributes and provenance are
// kept; nothing else of the frame is. finalize() gives the audit_result of audit.hpp, equal to run_audit's on
// the same images whatever the split of the stream and the arrival order: the counts, chosen thresholds,
// findings and production estimates are all computed from the records and the frames' metadata, never from
// their order.
//
//   audit::audit_stream au(categories, params);
//   for each frame f:  au.add(f);              // or coco::run_stream(source, au, threads)
//   au.merge_serialized(bytes_from_a_worker);  // shards merge, in any order
//   (coco::run_stream and coco::frames_from_coco come with this header, from coco/stream.hpp)
//   audit::audit_result r = au.finalize(slice_specs, audit_options);
//
// The state (audit_stream_state) follows the state concept (core/state.hpp, docs/concepts.md): the default
// value is the identity; += merges; == compares frames and records as multisets; serialize writes the common
// wire format in canonical order (kind 49, docs/serialization.md):
//   header dims T, K, the "all" area index, 0, 0 (those of the records); fingerprint: the caller's
//   (audit_stream puts its resolved parameters');
//   payload: u64 ground_truths, u64 detections, u64 n, n frames sorted (by id, then provenance, then
//   attributes), each i64 id, string provenance, u64 a, a x (string key, string value) in input order, where
//   a string is u64 length + bytes; then u64 size + the serialized operating records (kind 48, nested).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../coco/frame_matcher.hpp"
#include "../coco/stream.hpp"
#include "../core/error.hpp"
#include "../core/frame.hpp"
#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "audit.hpp"
#include "operating.hpp"

namespace stratum::audit {

/// The mergeable state of an audit stream: the evaluated frames' metadata, the object counts read and the
/// operating records.
struct audit_stream_state {
  static constexpr state_kind kind = state_kind::audit_stream;
  static constexpr std::uint16_t format_version = 1;

  std::uint64_t ground_truths = 0;  // objects read, including those of frames or categories not evaluated
  std::uint64_t detections = 0;
  std::vector<coco::image_info> frames;  // the evaluated frames (id, attributes, provenance), arrival order
  operating_records records;

  [[nodiscard]] bool is_identity() const noexcept {
    return ground_truths == 0 && detections == 0 && frames.empty() && records.categories() == 0;
  }

  /// Merges a state of the same shape (the records'); the identity on either side is neutral.
  audit_stream_state& operator+=(const audit_stream_state& o) {
    if (&o == this) return *this += audit_stream_state(o);
    if (o.is_identity()) return *this;
    if (is_identity()) return *this = o;
    records += o.records;  // checks the shape first
    ground_truths += o.ground_truths;
    detections += o.detections;
    frames.insert(frames.end(), o.frames.begin(), o.frames.end());
    return *this;
  }

  friend bool operator==(const audit_stream_state& a, const audit_stream_state& b) {
    if (a.ground_truths != b.ground_truths || a.detections != b.detections ||
        a.frames.size() != b.frames.size() || !(a.records == b.records))
      return false;
    const auto x = sorted(a.frames), y = sorted(b.frames);
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i])) return false;
    return true;
  }

  /// The common wire format (kind 49), with `fingerprint` in the header (0: none).
  [[nodiscard]] std::vector<std::byte> serialize(std::uint64_t fingerprint = 0) const {
    stratum::detail::byte_writer w;
    const auto nested = records.serialize();
    const auto rh = stratum::detail::read_state_header(nested.data(), nested.size(), operating_records::kind,
                                                       operating_records::format_version);
    stratum::detail::begin_state(w, kind, format_version, {rh.dims[0], rh.dims[1], rh.dims[2], 0, 0},
                                 fingerprint);
    w.u64(ground_truths);
    w.u64(detections);
    const auto fs = sorted(frames);
    w.u64(fs.size());
    for (const auto& f : fs) {
      w.i64(f.id);
      put(w, f.provenance);
      w.u64(f.attrs.size());
      for (const auto& [k, v] : f.attrs) {
        put(w, k);
        put(w, v);
      }
    }
    w.u64(nested.size());
    w.bytes(nested.data(), nested.size());
    return stratum::detail::finish_state(w);
  }

  /// The state back, whatever fingerprint it carries; input_error naming the offset on bad bytes.
  [[nodiscard]] static audit_stream_state deserialize(std::span<const std::byte> bytes) {
    const auto h = stratum::detail::read_state_header(bytes.data(), bytes.size(), kind, format_version);
    return read_payload(bytes.data(), h);
  }
  /// The same, but the state must carry `fingerprint`.
  [[nodiscard]] static audit_stream_state deserialize(std::span<const std::byte> bytes,
                                                      std::uint64_t fingerprint) {
    return read_payload(bytes.data(), stratum::detail::read_state_header(
                                          bytes.data(), bytes.size(), kind, format_version, fingerprint,
                                          "this audit's", "parameters or categories"));
  }

 private:
  static void put(stratum::detail::byte_writer& w, const std::string& s) {
    stratum::detail::put_string(w, s);
  }
  static std::string get(stratum::detail::byte_reader& r, const char* what) {
    return stratum::detail::get_string(r, what);
  }
  static bool less(const coco::image_info& a, const coco::image_info& b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.provenance != b.provenance) return a.provenance < b.provenance;
    return a.attrs < b.attrs;
  }
  static bool same(const coco::image_info& a, const coco::image_info& b) {
    return a.id == b.id && a.provenance == b.provenance && a.attrs == b.attrs;
  }
  static std::vector<coco::image_info> sorted(std::vector<coco::image_info> v) {
    std::sort(v.begin(), v.end(), less);
    return v;
  }
  static audit_stream_state read_payload(const std::byte* p, const stratum::detail::state_header& h) {
    auto r = stratum::detail::payload_reader(p, h);
    if (h.dims[3] != 0 || h.dims[4] != 0) r.fail("dimensions 4 and 5 of an audit stream state must be 0");
    audit_stream_state s;
    s.ground_truths = r.u64();
    s.detections = r.u64();
    const auto n = r.u64();
    r.need_array(n, 24, "frames");  // id, provenance length, attribute count
    s.frames.resize(static_cast<std::size_t>(n));
    for (auto& f : s.frames) {
      f.id = r.i64();
      f.provenance = get(r, "a provenance");
      const auto a = r.u64();
      r.need_array(a, 16, "attributes");
      f.attrs.resize(static_cast<std::size_t>(a));
      for (auto& [k, v] : f.attrs) {
        k = get(r, "an attribute key");
        v = get(r, "an attribute value");
      }
    }
    if (!std::is_sorted(s.frames.begin(), s.frames.end(), less)) r.fail("frames are not in canonical order");
    const auto size = r.u64();
    const auto at = r.offset();
    r.need_array(size, 1, "the operating records");
    try {
      s.records =
          operating_records::deserialize(std::span<const std::byte>(p + at, static_cast<std::size_t>(size)));
    } catch (const input_error& e) {
      throw input_error("serialized state: the operating records, nested at offset " + std::to_string(at) +
                        ": " + e.what());
    }
    r.skip(static_cast<std::size_t>(size));
    const auto rh = stratum::detail::read_state_header(
        p + at, static_cast<std::size_t>(size), operating_records::kind, operating_records::format_version);
    if (rh.dims[0] != h.dims[0] || rh.dims[1] != h.dims[1] || rh.dims[2] != h.dims[2])
      r.fail("the nested operating records have another shape than the header's");
    r.finish();
    if (s.records.categories() == 0 && !s.is_identity())
      r.fail("a state without a shape holds frames or counts");
    return s;
  }
};

/// Sorts frames' metadata by id and returns the ids; input_error when an id comes twice.
inline std::vector<std::int64_t> sort_by_id(std::vector<coco::image_info>& frames) {
  std::sort(frames.begin(), frames.end(),
            [](const coco::image_info& a, const coco::image_info& b) { return a.id < b.id; });
  std::vector<std::int64_t> ids;
  ids.reserve(frames.size());
  for (const auto& f : frames) {
    if (!ids.empty() && ids.back() == f.id)
      throw input_error("stream: frame " + std::to_string(f.id) + " was added more than once");
    ids.push_back(f.id);
  }
  return ids;
}

/// The streaming audit: frames in, an audit_result out (see the header comment).
class audit_stream {
 public:
  using state_type = audit_stream_state;

  /// `categories`: every category of the stream (ids unique); `p`: evaluation parameters (p.cat_ids and
  /// p.img_ids, when given, restrict the evaluation as in pycocotools; frames not in p.img_ids are skipped);
  /// `calibration_ious`: the IoU thresholds (each one of p's) at which the records keep what calibration
  /// needs (audit/calibration.hpp; boxes normalised by each frame's width and height). Throws usage_error on
  /// invalid parameters or duplicate ids, input_error on an IoU that is not one of p's.
  explicit audit_stream(std::vector<coco::category_info> categories, coco::params p = {},
                        const std::vector<double>& calibration_ious = {})
      : fm_(categories, coco::resolve_declared(categories, std::move(p))) {
    auto c = std::make_shared<config>(config{std::move(categories), fm_.parameters(), false,
                                             coco::detail::id_index(fm_.parameters()->img_ids),
                                             calibration_mask(*fm_.parameters(), calibration_ious)});
    c->restrict_images = !c->p->img_ids.empty();
    cfg_ = std::move(c);
    state_ = empty_state();
  }

  /// An audit stream with the same configuration and an empty state (the identity of merge).
  [[nodiscard]] audit_stream fresh() const {
    audit_stream a(*this);
    a.state_ = empty_state();
    return a;
  }

  [[nodiscard]] const std::vector<coco::category_info>& categories() const noexcept { return cfg_->cats; }
  /// The parameters, resolved except for img_ids (which finalize fills with the frames seen when empty).
  [[nodiscard]] const coco::resolved_params& parameters() const noexcept { return cfg_->p; }
  [[nodiscard]] const state_type& state() const noexcept { return state_; }
  [[nodiscard]] std::size_t frames() const noexcept { return state_.frames.size(); }
  [[nodiscard]] std::uint64_t ground_truths() const noexcept { return state_.ground_truths; }
  [[nodiscard]] std::uint64_t detections() const noexcept { return state_.detections; }

  /// Validates and matches one frame (coco::frame_matcher: input_error naming the frame and the field on
  /// bad input; the state is unchanged then).
  void add(const frame& f) {
    fm_.validate(f);
    state_.ground_truths += f.gt.size();
    state_.detections += f.dt.size();
    if (cfg_->restrict_images && cfg_->images.find(f.id) == coco::detail::id_index::npos) return;
    state_.frames.push_back({f.id, 0, 0, f.attrs, f.provenance});
    if (cfg_->calibration_mask) state_.records.image_size(f.width, f.height);
    fm_.match(f, state_.records);
  }

  /// Merges a state of this configuration (usage_error on another shape).
  audit_stream& merge(const state_type& o) {
    state_ += o;
    return *this;
  }
  /// Merges another audit stream of the same parameters and categories.
  audit_stream& merge(const audit_stream& o) {
    if (o.fingerprint() != fingerprint() || o.cfg_->p->img_ids != cfg_->p->img_ids)
      throw usage_error("audit_stream::merge: the two streams are configured differently");
    return merge(o.state_);
  }
  audit_stream& operator+=(const audit_stream& o) { return merge(o); }

  /// The fingerprint of the resolved parameters (what shapes the state).
  [[nodiscard]] std::uint64_t fingerprint() const noexcept { return cfg_->p.fingerprint(); }
  /// The state in the common wire format (kind 49), carrying this audit's fingerprint.
  [[nodiscard]] std::vector<std::byte> serialize() const { return state_.serialize(fingerprint()); }
  /// Merges a state serialized by an audit stream of the same configuration (same fingerprint); input_error
  /// on bad bytes or another fingerprint, the state unchanged then.
  audit_stream& merge_serialized(std::span<const std::byte> bytes) {
    return merge(state_type::deserialize(bytes, fingerprint()));
  }

  /// The audit of every frame added (audit_of in audit.hpp): slicings `specs`, operating points `o`. Throws
  /// input_error when a frame id was added more than once (possible across merged states).
  [[nodiscard]] audit_result finalize(const std::vector<coco::slice_spec>& specs,
                                      const audit_options& o = {}) const {
    const auto& c = *cfg_;
    auto frames = state_.frames;
    auto ids = sort_by_id(frames);
    coco::resolved_params rp = c.p;
    std::vector<coco::image_info> images;
    if (c.restrict_images) {  // every listed image is evaluated; one that never arrived has no attributes
      const coco::detail::id_index seen(ids);
      for (const auto id : rp->img_ids) {
        const auto at = seen.find(id);
        images.push_back(at == coco::detail::id_index::npos ? coco::image_info{id, 0, 0, {}, {}}
                                                            : frames[at]);
      }
    } else {
      rp = c.p.with_images(std::move(ids));
      images = std::move(frames);
    }
    auto records = state_.records.categories() ? state_.records : operating_records(rp, c.calibration_mask);
    return audit_of(std::move(rp), std::move(records), std::move(images), category_names(c.cats, c.p),
                    state_.ground_truths, state_.detections, specs, o);
  }

 private:
  struct config {
    std::vector<coco::category_info> cats;
    coco::resolved_params p;
    bool restrict_images = false;
    coco::detail::id_index images;
    std::uint64_t calibration_mask = 0;
  };

  [[nodiscard]] state_type empty_state() const {
    state_type s;
    s.records = operating_records(cfg_->p, cfg_->calibration_mask);
    return s;
  }

  coco::frame_matcher fm_;
  std::shared_ptr<const config> cfg_;
  state_type state_;
};

}  // namespace stratum::audit
