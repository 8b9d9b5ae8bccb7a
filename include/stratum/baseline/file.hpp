// The baseline file: a validation run frozen as the reference that a deployed model is later compared with
// (docs/drift.md). It holds what the run was (the library version, the evaluation parameters, the categories,
// the slicing, the operating thresholds, the SHA-256 of every input file) and its states in the common wire
// format: today the audit stream state (audit/stream.hpp, kind 49), from which every rate and AP of the run
// is recomputed exactly.
//
// Layout (docs/serialization.md, "Baseline file"):
//   [0, C)        the content: a state of the common format, kind 64 (64-byte header with the FNV-1a 64
//                 checksum, then the payload below)
//   [C, C + 32)   SHA-256 of bytes [0, C): the digest a release record quotes
//   [C + 32, +8)  creation time, i64 seconds since 1970-01-01 UTC (0: not recorded)
//   [C + 40, +8)  FNV-1a 64 of the 8 bytes of the creation time
// The creation time lies outside the content, so freezing the same input twice gives the same content and the
// same SHA-256; the files differ only in the last 16 bytes (and not at all with creation time 0). Every byte
// is still covered by a check.
//
// Payload, version 1 (strings: u64 length + bytes):
//   string writer (STRATUM_VERSION)
//   parameters: u64 T, T f64 iou_thrs; u64 R, R f64 rec_thrs; u64 M, M i64 max_dets; u64 A,
//     A x (f64 lo, f64 hi, string label); u8 use_cats; u64 C, C i64 cat_ids; u64 I, I i64 img_ids
//   categories: u64 n, n x (i64 id, string name)
//   slicing: u64 S, S x (u64 k, k strings)
//   operating points: u64 P, P x (f64 iou, u64 K, K x (u8 set, f64 threshold)); string policy;
//     u8 interval method (0 wilson, 1 jeffreys, 2 clopper-pearson); f64 confidence level
//   inputs: u64 n, n x (string role, string path, u64 size, 32 bytes SHA-256)
//   states: u64 n, n x (u64 size, the bytes of a complete state); version 1: exactly one, the audit stream
//     state, whose fingerprint must equal the header's (that of the parameters and categories above);
//     version 2: two, the audit stream state and the drift profile (profile.hpp, kind 65) of the same
//     frames, whose categories are the file's and whose slicing is the file's.
// A file without a drift profile is written as version 1, byte for byte as before; both versions are read.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../audit/audit.hpp"
#include "../audit/stream.hpp"
#include "../coco/params.hpp"
#include "../coco/slices.hpp"
#include "../core/error.hpp"
#include "../core/state.hpp"
#include "../detail/binary.hpp"
#include "../detail/sha256.hpp"
#include "../version.hpp"
#include "profile.hpp"

namespace stratum::baseline {

/// An input file of the frozen run and its digest.
struct input_file {
  std::string role;  // "ground truth", "detections", "frames"
  std::string path;  // as given on the command line
  std::uint64_t size = 0;
  detail::sha256::digest_type sha256{};
  friend bool operator==(const input_file&, const input_file&) = default;
};

/// The thresholds of one operating point: per category index, the score threshold (none: the rule found
/// none, every detection of the class dropped).
struct operating_thresholds {
  double iou = 0.5;
  std::vector<std::optional<double>> thresholds;
  friend bool operator==(const operating_thresholds&, const operating_thresholds&) = default;
};

/// A frozen validation run. Regular value type; serialize(time) / deserialize(bytes) (layout above).
struct baseline_file {
  static constexpr state_kind kind = state_kind::baseline_file;
  static constexpr std::uint16_t format_version = 2;
  static constexpr std::size_t trailer_size = 48;

  std::string writer = STRATUM_VERSION;
  coco::params params;  // as resolved (cat_ids filled; img_ids as given: empty = every frame)
  std::vector<coco::category_info> categories;
  std::vector<coco::slice_spec> slicing;
  std::vector<operating_thresholds> points;
  std::string policy;  // how the thresholds were set, in words (threshold_policy::str)
  audit::interval_method method = audit::interval_method::wilson;
  double confidence_level = 0.95;
  std::vector<input_file> inputs;
  audit::audit_stream_state audit;  // the run's frames and operating records
  profile drift;                    // the run's drift profile (the identity in a version-1 file)
  std::int64_t created = 0;         // seconds since the epoch, 0: not recorded (outside the content)

  /// The fingerprint of the parameters and categories, as audit::audit_stream computes it: the header's.
  [[nodiscard]] std::uint64_t fingerprint() const {
    return audit::audit_stream(categories, params).fingerprint();
  }

  friend bool operator==(const baseline_file& a, const baseline_file& b) {
    return a.writer == b.writer && same_params(a.params, b.params) && same_categories(a, b) &&
           same_slicing(a.slicing, b.slicing) && a.points == b.points && a.policy == b.policy &&
           a.method == b.method && a.confidence_level == b.confidence_level && a.inputs == b.inputs &&
           a.audit == b.audit && a.drift == b.drift && a.created == b.created;
  }

  /// The content (kind 64, with its FNV-1a checksum), its SHA-256, and the creation time with its checksum.
  [[nodiscard]] std::vector<std::byte> serialize() const {
    auto out = content();
    const auto sha = detail::sha256::of(out);
    for (const auto b : sha) out.push_back(static_cast<std::byte>(b));
    detail::byte_writer t;
    t.i64(created);
    const auto time_sum = detail::fnv1a64(t.data(), 8);
    t.u64(time_sum);
    out.insert(out.end(), t.data(), t.data() + t.size());
    return out;
  }

  /// The SHA-256 of the content (what serialize() writes after it).
  [[nodiscard]] detail::sha256::digest_type content_sha256() const { return detail::sha256::of(content()); }

  /// Reads a baseline file. Throws input_error naming the offset and the field on truncated, corrupt
  /// (either checksum, the SHA-256 or an invalid field), newer-version or other-kind input.
  [[nodiscard]] static baseline_file deserialize(std::span<const std::byte> bytes) {
    const std::byte* p = bytes.data();
    const std::size_t n = bytes.size();
    // The content's size comes from its header; read_state_header reports a short or corrupt header.
    std::size_t content_size = n;
    if (n >= detail::state_header_size) {
      detail::byte_reader r(p + 48, 8, 48);
      const auto payload = r.u64();
      if (payload <= n - detail::state_header_size)
        content_size = detail::state_header_size + static_cast<std::size_t>(payload);
    }
    const auto h = detail::read_state_header(p, content_size, kind, format_version);
    if (n - content_size < trailer_size)
      throw input_error("baseline file: truncated: the trailer (SHA-256, creation time) needs " +
                        std::to_string(trailer_size) + " bytes at offset " + std::to_string(content_size) +
                        ", have " + std::to_string(n - content_size));
    if (n - content_size > trailer_size)
      throw input_error("baseline file: " + std::to_string(n - content_size - trailer_size) +
                        " trailing bytes after the trailer at offset " +
                        std::to_string(content_size + trailer_size));
    const auto sha = detail::sha256::of(p, content_size);
    for (std::size_t i = 0; i < sha.size(); ++i)
      if (static_cast<std::uint8_t>(p[content_size + i]) != sha[i])
        throw input_error("baseline file: SHA-256 mismatch at offset " + std::to_string(content_size) +
                          " (stored " + hex_at(p + content_size) + ", computed " + detail::sha256::hex(sha) +
                          " over offsets 0-" + std::to_string(content_size - 1) +
                          "): the content is corrupt");
    detail::byte_reader t(p + content_size + 32, 16, content_size + 32);
    const auto created = t.i64();
    const auto time_sum = t.u64();
    if (time_sum != detail::fnv1a64(p + content_size + 32, 8))
      throw input_error("baseline file: checksum mismatch of the creation time at offset " +
                        std::to_string(content_size + 40) + ": the trailer is corrupt");
    auto b = read_payload(p, h);
    b.created = created;
    return b;
  }

 private:
  static bool same_params(const coco::params& a, const coco::params& b) {
    return a.iou_thrs == b.iou_thrs && a.rec_thrs == b.rec_thrs && a.max_dets == b.max_dets &&
           a.area_rngs == b.area_rngs && a.use_cats == b.use_cats && a.img_ids == b.img_ids &&
           a.cat_ids == b.cat_ids;
  }
  static bool same_categories(const baseline_file& a, const baseline_file& b) {
    if (a.categories.size() != b.categories.size()) return false;
    for (std::size_t i = 0; i < a.categories.size(); ++i)
      if (a.categories[i].id != b.categories[i].id || a.categories[i].name != b.categories[i].name)
        return false;
    return true;
  }
  static bool same_slicing(const std::vector<coco::slice_spec>& a, const std::vector<coco::slice_spec>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].keys != b[i].keys) return false;
    return true;
  }
  static std::string hex_at(const std::byte* p) {
    detail::sha256::digest_type d{};
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(p[i]);
    return detail::sha256::hex(d);
  }
  static void put(detail::byte_writer& w, const std::string& s) { detail::put_string(w, s); }
  static std::string get(detail::byte_reader& r, const char* what) { return detail::get_string(r, what); }
  /// u64 n, then n elements, each at least `min_size` bytes, read by `each` into v.
  template <class T, class F>
  static void read_vector(detail::byte_reader& r, std::vector<T>& v, std::size_t min_size, const char* what,
                          F&& each) {
    const auto n = r.u64();
    r.need_array(n, min_size, what);
    v.resize(static_cast<std::size_t>(n));
    for (auto& x : v) each(x);
  }
  static double finite(detail::byte_reader& r, const char* what) {
    const auto at = r.offset();
    const double v = r.f64();
    if (!std::isfinite(v))
      throw input_error("serialized state: at offset " + std::to_string(at) + ": " + what +
                        " is not a finite number");
    return v;
  }

  [[nodiscard]] std::vector<std::byte> content() const {
    const auto fp = fingerprint();
    detail::byte_writer w;
    detail::begin_state(
        w, kind, drift.is_identity() ? 1 : format_version,
        {static_cast<std::uint32_t>(params.iou_thrs.size()), static_cast<std::uint32_t>(categories.size()),
         static_cast<std::uint32_t>(slicing.size()), static_cast<std::uint32_t>(points.size()), 0},
        fp);
    put(w, writer);
    w.u64(params.iou_thrs.size());
    for (const double v : params.iou_thrs) w.f64(v);
    w.u64(params.rec_thrs.size());
    for (const double v : params.rec_thrs) w.f64(v);
    w.u64(params.max_dets.size());
    for (const int v : params.max_dets) w.i64(v);
    w.u64(params.area_rngs.size());
    for (const auto& a : params.area_rngs) {
      w.f64(a.lo);
      w.f64(a.hi);
      put(w, a.label);
    }
    w.u8(params.use_cats ? 1 : 0);
    w.u64(params.cat_ids.size());
    for (const auto v : params.cat_ids) w.i64(v);
    w.u64(params.img_ids.size());
    for (const auto v : params.img_ids) w.i64(v);
    w.u64(categories.size());
    for (const auto& c : categories) {
      w.i64(c.id);
      put(w, c.name);
    }
    w.u64(slicing.size());
    for (const auto& s : slicing) {
      w.u64(s.keys.size());
      for (const auto& k : s.keys) put(w, k);
    }
    w.u64(points.size());
    for (const auto& op : points) {
      w.f64(op.iou);
      w.u64(op.thresholds.size());
      for (const auto& t : op.thresholds) {
        w.u8(t ? 1 : 0);
        w.f64(t.value_or(0.0));
      }
    }
    put(w, policy);
    w.u8(static_cast<std::uint8_t>(method));
    w.f64(confidence_level);
    w.u64(inputs.size());
    for (const auto& in : inputs) {
      put(w, in.role);
      put(w, in.path);
      w.u64(in.size);
      w.bytes(in.sha256.data(), in.sha256.size());
    }
    const auto nested = audit.serialize(fp);
    w.u64(drift.is_identity() ? 1 : 2);
    w.u64(nested.size());
    w.bytes(nested.data(), nested.size());
    if (!drift.is_identity()) {
      const auto prof = drift.serialize();
      w.u64(prof.size());
      w.bytes(prof.data(), prof.size());
    }
    return detail::finish_state(w);
  }

  static baseline_file read_payload(const std::byte* p, const detail::state_header& h) {
    auto r = detail::payload_reader(p, h);
    if (h.dims[4] != 0) r.fail("dimension 5 of a baseline file must be 0");
    baseline_file b;
    b.writer = get(r, "the writer's version");
    auto& prm = b.params;
    read_vector(r, prm.iou_thrs, 8, "IoU thresholds", [&](double& v) { v = finite(r, "an IoU threshold"); });
    read_vector(r, prm.rec_thrs, 8, "recall thresholds",
                [&](double& v) { v = finite(r, "a recall threshold"); });
    read_vector(r, prm.max_dets, 8, "max_dets", [&](int& v) {
      const auto at = r.offset();
      const auto m = r.i64();
      if (m < 1 || m > 1000000)
        throw input_error("serialized state: at offset " + std::to_string(at) + ": max_dets " +
                          std::to_string(m) + " is not in [1, 1000000]");
      v = static_cast<int>(m);
    });
    read_vector(r, prm.area_rngs, 24, "area ranges", [&](coco::area_range& a) {
      a.lo = finite(r, "an area range's lower end");
      a.hi = finite(r, "an area range's upper end");
      a.label = get(r, "an area range's label");
    });
    const auto uc = r.u8();
    if (uc > 1) r.fail("use_cats must be 0 or 1");
    prm.use_cats = uc == 1;
    read_vector(r, prm.cat_ids, 8, "cat_ids", [&](std::int64_t& v) { v = r.i64(); });
    read_vector(r, prm.img_ids, 8, "img_ids", [&](std::int64_t& v) { v = r.i64(); });
    try {
      prm.validate();
    } catch (const usage_error& e) {
      r.fail(std::string("the parameters are invalid: ") + e.what());
    }
    read_vector(r, b.categories, 16, "categories", [&](coco::category_info& c) {
      c.id = r.i64();
      c.name = get(r, "a category name");
    });
    read_vector(r, b.slicing, 8, "slicings", [&](coco::slice_spec& s) {
      read_vector(r, s.keys, 8, "a slicing's keys", [&](std::string& key) { key = get(r, "a slicing key"); });
    });
    read_vector(r, b.points, 16, "operating points", [&](operating_thresholds& op) {
      op.iou = finite(r, "an operating point's IoU");
      read_vector(r, op.thresholds, 9, "thresholds", [&](std::optional<double>& t) {
        const auto set = r.u8();
        if (set > 1) r.fail("a threshold's flag must be 0 or 1");
        const double v = finite(r, "a threshold");
        if (set) t = v;
      });
    });
    b.policy = get(r, "the threshold policy");
    const auto m = r.u8();
    if (m > 2) r.fail("interval method " + std::to_string(m) + " is unknown");
    b.method = static_cast<audit::interval_method>(m);
    b.confidence_level = finite(r, "the confidence level");
    if (!(b.confidence_level > 0 && b.confidence_level < 1)) r.fail("the confidence level is not in (0, 1)");
    read_vector(r, b.inputs, 56, "inputs", [&](input_file& in) {
      in.role = get(r, "an input's role");
      in.path = get(r, "an input's path");
      in.size = r.u64();
      for (auto& x : in.sha256) x = r.u8();
    });
    const auto at_states = r.offset();
    const auto ns = r.u64();
    if (ns != h.version)
      throw input_error("serialized state: at offset " + std::to_string(at_states) + ": " +
                        std::to_string(ns) + " nested states, version " + std::to_string(h.version) +
                        (h.version == 1
                             ? " holds exactly one (the audit stream state)"
                             : " holds exactly two (the audit stream state and the drift profile)"));
    const auto size = r.u64();
    const auto at = r.offset();
    r.need_array(size, 1, "the audit stream state");
    std::uint64_t fp = 0;
    std::size_t evaluated = 0;  // categories of the evaluation (1 when use_cats = 0)
    try {
      const audit::audit_stream as(b.categories, b.params);
      fp = as.fingerprint();
      evaluated = as.parameters().dims().K;
    } catch (const usage_error& e) {
      r.fail(std::string("the categories do not fit the parameters: ") + e.what());
    }
    if (fp != h.fingerprint)
      throw input_error("serialized state: at offset 40: fingerprint " + detail::hex64(h.fingerprint) +
                        " is not that of the file's parameters and categories (" + detail::hex64(fp) + ")");
    try {
      b.audit = audit::audit_stream_state::deserialize(
          std::span<const std::byte>(p + at, static_cast<std::size_t>(size)), fp);
    } catch (const input_error& e) {
      throw input_error("serialized state: the audit stream state, nested at offset " + std::to_string(at) +
                        ": " + e.what());
    }
    r.skip(static_cast<std::size_t>(size));
    if (h.version >= 2) {
      const auto psize = r.u64();
      const auto pat = r.offset();
      r.need_array(psize, 1, "the drift profile");
      try {
        b.drift = profile::deserialize(std::span<const std::byte>(p + pat, static_cast<std::size_t>(psize)));
      } catch (const input_error& e) {
        throw input_error("serialized state: the drift profile, nested at offset " + std::to_string(pat) +
                          ": " + e.what());
      }
      std::vector<std::int64_t> ids;
      for (const auto& c : b.categories) ids.push_back(c.id);
      if (b.drift.is_identity() || b.drift.category_ids() != ids ||
          !same_slicing(b.drift.slicing(), b.slicing))
        throw input_error("serialized state: the drift profile, nested at offset " + std::to_string(pat) +
                          ": its categories or slicing are not the file's");
      r.skip(static_cast<std::size_t>(psize));
    }
    r.finish();
    if (h.dims[0] != prm.iou_thrs.size() || h.dims[1] != b.categories.size() ||
        h.dims[2] != b.slicing.size() || h.dims[3] != b.points.size())
      r.fail("the header's dimensions are not those of the payload");
    if (b.audit.records.categories() != 0 && b.audit.records.categories() != evaluated)
      r.fail("the audit state's categories are not those of the parameters");
    for (const auto& op : b.points)
      if (op.thresholds.size() != evaluated)
        r.fail("an operating point has another number of thresholds than the audit state has categories");
    return b;
  }
};

/// Freezes a run: `au` has seen every frame, `r` is its audit (au.finalize(specs, o)); `params` are the
/// parameters `au` was built with, `inputs` the files read, `created` the creation time (0: none) and
/// `drift` the frames' drift profile (freeze_profile; the identity: none, a version-1 file).
[[nodiscard]] inline baseline_file freeze(const audit::audit_stream& au, const coco::params& params,
                                          const audit::audit_result& r,
                                          const std::vector<coco::slice_spec>& specs,
                                          const audit::audit_options& o, std::vector<input_file> inputs,
                                          std::int64_t created, profile drift = {}) {
  baseline_file b;
  b.params = params;
  b.categories = au.categories();
  b.slicing = specs;
  for (const auto& op : r.points) b.points.push_back({op.iou, op.thresholds});
  b.policy = o.thresholds.str();
  b.method = o.method;
  b.confidence_level = o.conf.level();
  b.inputs = std::move(inputs);
  b.audit = au.state();
  b.drift = std::move(drift);
  b.created = created;
  if (b.fingerprint() != au.fingerprint())
    throw usage_error("baseline::freeze: `params` are not those the audit stream was built with");
  return b;
}

/// The audit of the frozen run at its operating point `i`, with the frozen thresholds (a class for which the
/// rule had found none keeps none: its detections are all dropped).
[[nodiscard]] inline audit::audit_result audit_of(const baseline_file& b, std::size_t i) {
  const auto& op = b.points.at(i);
  audit::audit_stream au(b.categories, b.params);
  au.merge(b.audit);
  audit::audit_options o;
  o.ious = {op.iou};
  o.method = b.method;
  o.conf = confidence(b.confidence_level);
  o.thresholds.what = audit::threshold_policy::kind::per_category;
  const auto& rp = au.parameters();
  for (std::size_t k = 0; k < op.thresholds.size(); ++k)
    o.thresholds.per_category[rp->use_cats ? rp->cat_ids[k] : audit::class_agnostic_id] =
        op.thresholds[k].value_or(std::numeric_limits<double>::max());
  return au.finalize(b.slicing, o);
}

}  // namespace stratum::baseline
