// The evidence pack (docs/evidence_pack.md): from an audit (its counts, findings, bootstrap, curves, error
// analysis and calibration) and a reviewer's criteria, one document in three forms: evidence.json (schema
// docs/evidence.schema.json, "schema_version" below), evidence.md and evidence.html. The three are built
// from one model: every number a table shows is made from the JSON value it shows (report/evidence_doc.hpp).
//
// Sections: summary (the boundary statement, the verdict per criterion), scenario coverage, the failure map,
// classes (rates, precision-recall and F1-against-threshold curves with the operating point), calibration
// (reliability diagrams), errors (TIDE's decomposition, the confusion matrix), synthetic evidence, drift,
// known weaknesses and residual risk, and the decision trail. The failure map, classes, calibration and
// errors are those of the audit's first operating point; criteria may name any.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../audit/audit.hpp"
#include "../audit/bootstrap.hpp"
#include "../audit/calibration.hpp"
#include "../audit/curves.hpp"
#include "../audit/errors.hpp"
#include "../audit/findings.hpp"
#include "../baseline/file.hpp"
#include "../detail/sha256.hpp"
#include "../version.hpp"
#include "criteria.hpp"
#include "evidence_doc.hpp"
#include "evidence_render.hpp"

namespace stratum::report {

inline constexpr int evidence_schema_version = 1;

inline constexpr const char* evidence_boundary =
    "This pack is engineering validation evidence: measured failure rates, their confidence intervals and "
    "the reviewer's criteria on the data named in the decision trail. It is not a safety certification and "
    "does not by itself establish that the system is safe to deploy.";

/// Everything a pack is made from. Pointers may be null where a part was not computed (then its section
/// says so); `r`, `found`, `errors` and `criteria` are required.
struct evidence_inputs {
  const audit::audit_result* r = nullptr;
  const std::vector<audit::findings>* found = nullptr;  // per operating point
  const audit::audit_bootstrap* bootstrap = nullptr;
  const std::vector<audit::operating_curves>* curves = nullptr;
  const std::vector<audit::operating_errors>* errors = nullptr;
  const std::vector<audit::operating_calibration>* calibration = nullptr;
  const criteria_set* criteria = nullptr;
  std::vector<baseline::input_file> inputs;  // the data (roles "ground truth", "detections", "frames")
  baseline::input_file criteria_file;
  std::string command_line, created_utc, run_by;
  std::vector<std::pair<std::string, std::string>> parameters;  // name, value in words
  /// With a frozen baseline: the compared windows (stream order), the baseline and window files, and the
  /// drift options in words.
  const std::vector<drift_window>* drift = nullptr;
  baseline::input_file baseline_file, window_file;
  std::string drift_options;
};

struct evidence_pack {
  std::string json, markdown, html;
  std::size_t pass = 0, fail = 0, inconclusive = 0;
};

namespace evidence_detail {

inline std::string class_label(const audit::audit_result& r, std::size_t k) {
  const auto id = r.category_id(k);
  if (id == audit::class_agnostic_id) return "all (class-agnostic)";
  return r.category_names[k].empty() ? "class " + std::to_string(id) : r.category_names[k];
}

inline jv str_array(const std::vector<std::string>& v) {
  jv a = jv::array();
  for (const auto& s : v) a.push(jv::str(s));
  return a;
}

/// A rate with its interval into node n[key] = {value, lower, upper}; the cells value and "[lower, upper]".
inline std::vector<cell> put_estimate(const node& n, const std::string& key, double v, double lo, double hi) {
  const auto e = n.at(key);
  auto cv = e.num("value", v);
  auto cl = e.num("lower", lo);
  auto cu = e.num("upper", hi);
  return {cv, cl, cu};
}

}  // namespace evidence_detail

/// Builds the pack. input_error (naming "criteria[i].<field>") for criteria that do not fit the audit.
[[nodiscard]] inline evidence_pack build_evidence(const evidence_inputs& in) {
  using namespace evidence_detail;
  if (!in.r || !in.found || !in.errors || !in.criteria) throw usage_error("build_evidence: missing inputs");
  const auto& r = *in.r;
  const auto& cs = *in.criteria;
  if (r.points.empty()) throw usage_error("build_evidence: the audit has no operating point");
  const auto& op = r.points[0];
  const auto& fd = (*in.found)[0];
  const std::size_t K = r.category_names.size();
  const audit::operating_calibration* cal0 =
      in.calibration && !in.calibration->empty() ? &(*in.calibration)[0] : nullptr;

  jv root = jv::object();
  const node top{&root, ""};
  top.set("format", jv::str("stratum-evidence"));
  top.set("schema_version", jv::integer(evidence_schema_version));
  top.set("title", jv::str("Evidence pack"));
  top.set("boundary", jv::str(evidence_boundary));
  (void)top.at("summary");  // the summary first in the file; filled once the verdicts are counted
  std::vector<section> doc;

  // ---- criteria: resolve every one first (bad criteria are refused before anything is written)
  std::vector<criterion_target> targets;
  for (std::size_t i = 0; i < cs.criteria.size(); ++i)
    targets.push_back(resolve(cs, i, r, cal0 != nullptr, in.drift));
  evidence_pack pack;
  section summary{"summary", "Summary and verdicts", {}};
  summary.para(evidence_boundary);
  const node crit = top.at("criteria");
  *crit.v = jv::array();
  auto& ct = summary.add_table("criteria",
                               {"criterion", "metric", "class", "slice", "limit", "value", "lower", "upper",
                                "n", "verdict", "why", "n to decide"},
                               true);
  std::vector<std::string> weak_fail, weak_inconclusive;
  for (std::size_t i = 0; i < cs.criteria.size(); ++i) {
    const auto& c = cs.criteria[i];
    const auto& t = targets[i];
    const auto* cal =
        in.calibration && t.point < in.calibration->size() ? &(*in.calibration)[t.point] : nullptr;
    measurement m;
    judgment j;
    if (c.what == metric::drift) {
      // every window judged; the worst verdict (FAIL, then INCONCLUSIVE, then PASS) and its window reported
      const std::string cname = t.k ? r.category_names[*t.k] : "";
      auto rank = [](verdict v) { return v == verdict::fail ? 2 : v == verdict::inconclusive ? 1 : 0; };
      bool first = true;
      for (const auto& w : *in.drift) {
        const auto mw = measure_drift(c, cname, w);
        auto jw = judge(c, mw, r.options.conf);
        if (in.drift->size() > 1) jw.reason = "window " + std::to_string(w.index) + ": " + jw.reason;
        if (first || rank(jw.v) > rank(j.v)) m = mw, j = jw;
        first = false;
      }
    } else {
      m = measure(c, t, r, in.bootstrap, cal);
      j = judge(c, m, r.options.conf);
    }
    const auto& mi = info(c.what);
    const node n = crit.push();
    n.integer("index", static_cast<std::int64_t>(i));
    n.set("id", jv::str(c.id));
    n.set("metric", jv::str(mi.name));
    n.set("feature", jv::str(c.feature));
    n.set("class", jv::str(c.cls));
    n.set("slice", jv::str(c.slice));
    auto c_iou = n.num("iou", c.what == metric::drift ? c.iou.value_or(NAN) : r.points[t.point].iou);
    n.set("direction", jv::str(name(c.dir)));
    auto c_limit = n.num("limit", c.limit);
    n.integer("min_n", static_cast<std::int64_t>(c.min_n));
    n.set("note", jv::str(c.note));
    auto c_v = n.num("value", m.value);
    auto c_lo = n.num("lower", m.lower);
    auto c_hi = n.num("upper", m.upper);
    n.set("interval", jv::str(m.interval));
    auto c_n = n.count("n", m.n);
    n.set("unit", jv::str(mi.unit));
    n.set("verdict", jv::str(name(j.v)));
    n.set("reason", jv::str(j.reason));
    cell c_need{"-", "", ""};
    if (j.needed_n)
      c_need = n.integer("needed_n", *j.needed_n);
    else
      n.set("needed_n", jv{});
    const std::string label = c.id.empty() ? "criterion " + std::to_string(i) : c.id;
    // the metric in words with its direction (and the IoU of an audit rate); the IoU number is in the JSON
    (void)c_iou;
    const std::string metric_words =
        (c.what == metric::drift ? "drift of " + c.feature : std::string(mi.label)) +
        (c.what == metric::drift || c.what == metric::ece ? "" : " @" + show(r.points[t.point].iou)) +
        (c.dir == direction::at_most ? ", at most" : ", at least");
    ct.rows.push_back({{label},
                       {metric_words},
                       {c.cls},
                       {c.slice, {}, "slice"},
                       c_limit,
                       c_v,
                       c_lo,
                       c_hi,
                       c_n,
                       {name(j.v), {}, name(j.v)},
                       {j.reason, {}, "why"},
                       c_need});
    const std::string what =
        label + ": " + mi.label + " of " + c.cls + " in " + c.slice + " " +
        (c.dir == direction::at_most ? "at most " : "at least ") + show(c.limit) + " - " + j.reason +
        (j.needed_n ? " (about " + std::to_string(*j.needed_n) + " " + mi.unit + " would decide it)" : "");
    if (j.v == verdict::pass) ++pack.pass;
    if (j.v == verdict::fail) ++pack.fail, weak_fail.push_back(what);
    if (j.v == verdict::inconclusive) ++pack.inconclusive, weak_inconclusive.push_back(what);
  }
  {
    const node s = top.at("summary");
    s.set("reviewer", jv::str(cs.reviewer));
    s.set("notes", jv::str(cs.notes));
    const node v = s.at("verdicts");
    auto cp = v.count("PASS", pack.pass);
    auto cf = v.count("FAIL", pack.fail);
    auto ci = v.count("INCONCLUSIVE", pack.inconclusive);
    auto cimg = s.count("frames", r.p->img_ids.size());
    auto cgt = s.count("ground_truths", r.n_ground_truths);
    auto cdt = s.count("detections", r.n_detections);
    auto ccl = s.count("classes", K);
    s.set("thresholds", jv::str(r.options.thresholds.str()));
    s.set("confidence_level", jv::num(r.options.conf.level()));
    auto& st = summary.add_table(
        "verdicts", {"PASS", "FAIL", "INCONCLUSIVE", "frames", "objects", "detections", "classes"});
    st.rows.push_back({cp, cf, ci, cimg, cgt, cdt, ccl});
    summary.para(
        "Reviewer: " + cs.reviewer + ". Operating point: IoU " + show(op.iou) + ", " +
        r.options.thresholds.str() + "; intervals at " + show(r.options.conf.level()) +
        " confidence. A criterion passes when its whole interval is on the right side of the limit, fails "
        "when the whole interval is on the wrong side, and is inconclusive otherwise or when the slice "
        "lacks the evidence." +
        (cs.notes.empty() ? "" : " Notes: " + cs.notes));
  }
  // boundary, verdict counts, what they mean, then the criteria
  std::rotate(summary.blocks.begin() + 1, summary.blocks.begin() + 2, summary.blocks.end());
  doc.push_back(std::move(summary));

  // ---- scenario coverage
  section cov{"coverage", "Scenario coverage", {}};
  std::vector<std::string> keys = cs.odd_order;
  for (const auto& spec : r.specs)
    for (const auto& k : spec.keys)
      if (k != "provenance" && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  const auto seen = audit::attribute_values(r.images, keys);
  std::vector<std::string> outside_odd, unmeasured_cells;
  {
    const node c = top.at("coverage");
    c.set(
        "declared", cs.odd.empty() ? jv{} : [&] {
          jv o = jv::object();
          for (const auto& k : cs.odd_order) o[k] = str_array(cs.odd.at(k));
          return o;
        }());
    const node attrs = c.at("attributes");
    *attrs.v = jv::array();
    auto& at = cov.add_table("coverage-values", {"attribute", "value", "frames", "real share", "declared"});
    for (const auto& k : keys) {
      std::vector<std::string> values;
      if (cs.odd.count(k)) values = cs.odd.at(k);
      for (const auto& v : seen.at(k))
        if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
      for (const auto& v : values) {
        std::uint64_t frames = 0, real = 0;
        for (const auto& im : r.images)
          if (const auto* x = coco::detail::frame_value(im, k); x && *x == v) {
            ++frames;
            real += im.provenance == "real";
          }
        const bool declared =
            !cs.odd.count(k) || std::find(cs.odd.at(k).begin(), cs.odd.at(k).end(), v) != cs.odd.at(k).end();
        const node a = attrs.push();
        a.set("key", jv::str(k));
        a.set("value", jv::str(v));
        auto cfr = a.count("frames", frames);
        auto crs =
            a.num("real_share", frames ? static_cast<double>(real) / static_cast<double>(frames) : NAN);
        a.set("declared", jv::boolean(declared));
        if (!declared) outside_odd.push_back(k + "=" + v + " (" + std::to_string(frames) + " frames)");
        at.rows.push_back({{k},
                           {v},
                           frames ? cfr : cell{"0", cfr.ref, "num unmeasured"},
                           crs,
                           {declared ? (cs.odd.count(k) ? "yes" : "(no odd given)") : "NO: outside the odd",
                            {},
                            declared ? "" : "fail"}});
        if (frames == 0) unmeasured_cells.push_back(k + "=" + v);
      }
    }
    // attribute x attribute matrices
    const node mats = c.at("matrices");
    *mats.v = jv::array();
    for (std::size_t a = 0; a < keys.size(); ++a)
      for (std::size_t b = a + 1; b < keys.size(); ++b) {
        auto vals = [&](const std::string& k) {
          std::vector<std::string> v;
          if (cs.odd.count(k)) v = cs.odd.at(k);
          for (const auto& x : seen.at(k))
            if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
          return v;
        };
        const auto rows = vals(keys[a]), cols = vals(keys[b]);
        std::vector<std::uint64_t> frames(rows.size() * cols.size(), 0), real(rows.size() * cols.size(), 0);
        for (const auto& im : r.images) {
          const auto* x = coco::detail::frame_value(im, keys[a]);
          const auto* y = coco::detail::frame_value(im, keys[b]);
          if (!x || !y) continue;
          const auto i = static_cast<std::size_t>(std::find(rows.begin(), rows.end(), *x) - rows.begin());
          const auto j = static_cast<std::size_t>(std::find(cols.begin(), cols.end(), *y) - cols.begin());
          ++frames[i * cols.size() + j];
          real[i * cols.size() + j] += im.provenance == "real";
        }
        const node m = mats.push();
        m.set("row_key", jv::str(keys[a]));
        m.set("col_key", jv::str(keys[b]));
        m.set("row_values", str_array(rows));
        m.set("col_values", str_array(cols));
        const node fr = m.at("frames");
        const node rs = m.at("real_share");
        *fr.v = jv::array(), *rs.v = jv::array();
        jv unm = jv::array();
        std::vector<std::string> head = {keys[a] + " (rows) / " + keys[b] + " (columns)"};
        for (const auto& cname : cols) head.push_back(cname);
        auto& mt = cov.add_table("", head);
        for (std::size_t i = 0; i < rows.size(); ++i) {
          const node fri = fr.push(), rsi = rs.push();
          *fri.v = jv::array(), *rsi.v = jv::array();
          std::vector<cell> row = {{rows[i]}};
          for (std::size_t j = 0; j < cols.size(); ++j) {
            const auto f = frames[i * cols.size() + j];
            const auto ref = fri.ptr + "/" + std::to_string(j);
            fri.v->push(jv::integer(static_cast<std::int64_t>(f)));
            const double share =
                f ? static_cast<double>(real[i * cols.size() + j]) / static_cast<double>(f) : NAN;
            rsi.v->push(std::isfinite(share) ? jv::num(share) : jv{});
            if (f == 0) {
              const auto cell_name = keys[a] + "=" + rows[i] + "&" + keys[b] + "=" + cols[j];
              unm.push(jv::str(cell_name));
              unmeasured_cells.push_back(cell_name);
              row.push_back({"0", ref, "num unmeasured"});
            } else {
              row.push_back({show(static_cast<std::int64_t>(f)), ref, "num"});
            }
          }
          mt.rows.push_back(std::move(row));
        }
        m.set("unmeasured", std::move(unm));
      }
    c.set("outside_odd", str_array(outside_odd));
    cov.para(
        "Frames per attribute value and per pair of attributes (the operational design domain's declared "
        "values first; unmeasured cells shaded). Real share: the share of a value's frames whose provenance "
        "is real.");
    std::rotate(cov.blocks.begin(), cov.blocks.end() - 1, cov.blocks.end());  // the paragraph first
  }
  doc.push_back(std::move(cov));

  // ---- failure map
  section fm{"failure-map", "Failure map", {}};
  {
    const node f = top.at("failure_map");
    f.num("iou", op.iou);
    const node ms = f.at("metrics");
    *ms.v = jv::array();
    fm.para(
        "Each slice's rate at IoU " + show(op.iou) +
        " with its interval, worst first, against the limit of a "
        "criterion on the same metric over every class (when there is one). Green: the interval is on the "
        "right side of the limit; amber: it contains it; red: it is on the wrong side.");
    struct fm_metric {
      metric m;
      bool at_most;
    };
    for (const auto& fmm : {fm_metric{metric::miss_rate, true}, fm_metric{metric::precision, false},
                            fm_metric{metric::fppi, true}, fm_metric{metric::image_false_alarm_rate, true}}) {
      const metric mm = fmm.m;
      const bool at_most = fmm.at_most;
      const auto& mi = info(mm);
      std::optional<double> limit;
      for (std::size_t i = 0; i < cs.criteria.size(); ++i)
        if (cs.criteria[i].what == mm && cs.criteria[i].cls == "all" && targets[i].point == 0 && !limit)
          limit = cs.criteria[i].limit;
      struct row {
        std::string name;
        measurement m;
      };
      std::vector<row> rows;
      criterion probe;
      probe.what = mm;
      for (std::size_t s = 0; s <= op.slices.size(); ++s) {
        criterion_target t;
        if (s > 0) t.slice = s - 1;
        rows.push_back({s == 0 ? "all" : op.slices[s - 1].name, measure(probe, t, r, in.bootstrap, nullptr)});
      }
      std::stable_sort(rows.begin() + 1, rows.end(), [&](const row& a, const row& b) {
        const double x = std::isnan(a.m.value) ? -1e300 : a.m.value,
                     y = std::isnan(b.m.value) ? -1e300 : b.m.value;
        return at_most ? x > y : x < y;
      });
      const node me = ms.push();
      me.set("metric", jv::str(mi.name));
      me.set("label", jv::str(mi.label));
      me.set("direction", jv::str(at_most ? "at_most" : "at_least"));
      me.set("limit", limit ? jv::num(*limit) : jv{});
      const node rs = me.at("rows");
      *rs.v = jv::array();
      auto& tb =
          fm.add_table("fm-" + std::string(mi.name), {"slice", mi.label, "lower", "upper", mi.unit}, true);
      std::vector<forest_row> fr;
      for (const auto& rw : rows) {
        const node x = rs.push();
        x.set("slice", jv::str(rw.name));
        auto cv = x.num("value", rw.m.value);
        auto cl = x.num("lower", rw.m.lower);
        auto cu = x.num("upper", rw.m.upper);
        auto cn = x.count("n", rw.m.n);
        tb.rows.push_back({{rw.name}, cv, cl, cu, cn});
        fr.push_back({rw.name, rw.m.value, rw.m.lower, rw.m.upper});
      }
      fm.figure(
          forest_svg(fr, limit, at_most, std::string(mi.label) + " per slice"),
          std::string(mi.label) + " per slice with its interval" + (limit ? ", limit " + show(*limit) : ""));
      std::swap(fm.blocks[fm.blocks.size() - 1],
                fm.blocks[fm.blocks.size() - 2]);  // the plot above its table
    }
  }
  doc.push_back(std::move(fm));

  // ---- classes
  section cl{"classes", "Classes: rates and curves", {}};
  {
    const node c = top.at("classes");
    *c.v = jv::array();
    auto& tb = cl.add_table("classes",
                            {"class", "id", "threshold", "objects", "tp", "fp", "fn", "miss rate", "lower",
                             "upper", "precision", "lower", "upper", "FPPI", "F1", "best-F1 threshold"},
                            true);
    const audit::operating_curves* cv = in.curves && !in.curves->empty() ? &(*in.curves)[0] : nullptr;
    for (std::size_t k = 0; k < K; ++k) {
      const auto& cnt = op.all.per_category[k];
      const auto rt = r.rates(cnt);
      const node x = c.push();
      x.set("name", jv::str(class_label(r, k)));
      x.integer("id", r.category_id(k));
      auto cth = x.num("threshold", op.thresholds[k].value_or(NAN));
      auto cng = x.count("objects", cnt.n_gt);
      auto ctp = x.count("tp", cnt.tp);
      auto cfp = x.count("fp", cnt.fp);
      auto cfn = x.count("fn", cnt.fn);
      auto mr = put_estimate(x, "miss_rate", rt.miss_rate.value, rt.miss_rate.lower, rt.miss_rate.upper);
      auto pr = put_estimate(x, "precision", rt.precision.value, rt.precision.lower, rt.precision.upper);
      auto cfppi = x.num("fppi", rt.fppi.value);
      auto cf1 = x.num("f1", rt.f1.value);
      auto cbest = x.num("best_f1_threshold", op.best_f1[k] ? op.best_f1[k]->threshold : NAN);
      tb.rows.push_back({{class_label(r, k)},
                         {std::to_string(r.category_id(k)), {}, "num"},
                         cth,
                         cng,
                         ctp,
                         cfp,
                         cfn,
                         mr[0],
                         mr[1],
                         mr[2],
                         pr[0],
                         pr[1],
                         pr[2],
                         cfppi,
                         cf1,
                         cbest});
      if (cv) {
        const auto& curve = cv->all.per_category[k];
        jv pts = jv::array();
        series p{"precision-recall", "p", {}}, f1{"F1", "f", {}}, pre{"precision", "p", {}},
            rec{"recall", "r", {}};
        for (const auto& pt : curve.points) {
          jv a = jv::array();
          a.push(jv::num(pt.threshold)), a.push(jv::num(pt.precision)), a.push(jv::num(pt.recall)),
              a.push(jv::num(pt.f1));
          pts.push(std::move(a));
          p.points.emplace_back(pt.recall, pt.precision);
          f1.points.emplace_back(std::clamp(pt.threshold, 0.0, 1.0), pt.f1);
          pre.points.emplace_back(std::clamp(pt.threshold, 0.0, 1.0), pt.precision);
          rec.points.emplace_back(std::clamp(pt.threshold, 0.0, 1.0), pt.recall);
        }
        const node cu = x.at("curve");
        cu.set("columns", str_array({"threshold", "precision", "recall", "f1"}));
        cu.set("points", std::move(pts));
        cu.set("operating",
               curve.operating ? jv::integer(static_cast<std::int64_t>(*curve.operating)) : jv{});
        std::vector<marker> pm, fmk;
        if (curve.operating) {
          const auto& o = curve.points[*curve.operating];
          pm.push_back({o.recall, o.precision, "operating point: threshold " + show(o.threshold)});
          fmk.push_back({std::clamp(o.threshold, 0.0, 1.0), o.f1, "operating point: F1 " + show(o.f1)});
        }
        cl.figure(lines_svg({p}, pm, "recall", "precision", class_label(r, k) + ": precision-recall"),
                  class_label(r, k) + ": precision against recall; dot: the operating point");
        cl.figure(lines_svg({pre, rec, f1}, fmk, "score threshold", "value",
                            class_label(r, k) + ": against threshold"),
                  class_label(r, k) +
                      ": precision, recall and F1 against the score threshold; dot: the operating point");
      }
    }
    cl.para("Per class over every frame at IoU " + show(op.iou) +
            " (miss rate and precision with their intervals; "
            "FPPI: false positives per frame).");
    std::rotate(cl.blocks.begin(), cl.blocks.end() - 1, cl.blocks.end());
  }
  doc.push_back(std::move(cl));

  // ---- calibration
  section ca{"calibration", "Calibration", {}};
  if (!cal0) {
    top.set("calibration", jv{});
    ca.para("Not computed (the report was run without calibration).");
  } else {
    const node c = top.at("calibration");
    c.num("iou", cal0->iou);
    c.set("scope", jv::str("detections at or above their class's operating threshold"));
    c.set("intervals", jv::str(cal0->replicates ? "image bootstrap percentile, " +
                                                      std::to_string(cal0->replicates) + " replicates"
                                                : "none (run with the bootstrap)"));
    ca.para(
        "Does the confidence say how often a detection is right? Over the detections at or above the "
        "operating "
        "threshold: ECE (" +
        std::to_string(cal0->options.bins) +
        " equal-width bins) with its image-bootstrap interval, and overconfidence (mean confidence minus "
        "precision). A bar below the diagonal: detections at that confidence are right less often than it "
        "says.");
    auto& tb = ca.add_table(
        "calibration",
        {"scope", "detections", "ECE", "lower", "upper", "overconfidence", "FP at high confidence"}, true);
    const node rows = c.at("rows");
    *rows.v = jv::array();
    auto add = [&](const std::string& scope, const audit::calibration_summary& s, bool plot) {
      const node x = rows.push();
      x.set("scope", jv::str(scope));
      auto cd = x.count("detections", s.detections);
      auto e = put_estimate(x, "ece", s.ece, s.lower[0], s.upper[0]);
      auto co = x.num("overconfidence", s.overconfidence);
      auto ch = x.count("high_confidence_fp", s.high_confidence_fp);
      jv rel = jv::array();
      std::vector<reliability_bar> bars;
      for (const auto& b : s.reliability) {
        jv a = jv::array();
        a.push(jv::num(b.lower)), a.push(jv::num(b.upper)),
            a.push(jv::integer(static_cast<std::int64_t>(b.count))), a.push(jv::num(b.mean_confidence)),
            a.push(jv::num(b.accuracy));
        rel.push(std::move(a));
        bars.push_back({b.lower, b.upper, b.mean_confidence, b.accuracy, b.count});
      }
      x.set("reliability_columns", str_array({"lower", "upper", "count", "mean_confidence", "precision"}));
      x.set("reliability", std::move(rel));
      tb.rows.push_back({{scope}, cd, e[0], e[1], e[2], co, ch});
      if (plot)
        ca.figure(reliability_svg(bars, scope + ": reliability"), scope + ": precision per confidence bin");
    };
    add("all", cal0->all.all.above, true);
    for (std::size_t k = 0; k < K; ++k) add(class_label(r, k), cal0->all.per_category[k].above, true);
    for (std::size_t s = 0; s < op.slices.size(); ++s) add(op.slices[s].name, cal0->slices[s].above, false);
    // the table after the paragraph, the figures after the table
    std::stable_partition(ca.blocks.begin(), ca.blocks.end(),
                          [](const block& b) { return b.k != block::kind::figure; });
  }
  doc.push_back(std::move(ca));

  // ---- errors
  section er{"errors", "Where the errors come from", {}};
  {
    const auto& e = (*in.errors)[0].all;
    const node x = top.at("errors");
    er.para(
        "TIDE's error types at IoU " + show(op.iou) +
        ": the false positives of each type and the COCO AP points "
        "each would give back if fixed (classification, localisation, both, duplicate, background; missed: "
        "ground truths never detected). Then the confusion matrix at the operating point: rows the true "
        "class, "
        "columns the detected class.");
    const node td = x.at("tide");
    *td.v = jv::array();
    std::vector<std::string> head = {"class", "AP"};
    for (std::size_t f = 0; f < audit::n_error_types; ++f)
      head.push_back(std::string(audit::correction_names[f]) + " AP");
    for (std::size_t f = 0; f < audit::n_error_types; ++f)
      head.push_back(std::string(audit::correction_names[f]) + " n");
    auto& tt = er.add_table("tide", head, true);
    auto add = [&](const std::string& label, const audit::tide_block& b) {
      const node y = td.push();
      y.set("class", jv::str(label));
      std::vector<cell> row = {{label}, y.num("ap", b.ap.value_or(NAN))};
      const node cost = y.at("ap_cost"), cnt = y.at("counts");
      for (std::size_t f = 0; f < audit::n_error_types; ++f)
        row.push_back(cost.num(audit::correction_names[f], b.cost(f).value_or(NAN)));
      for (std::size_t f = 0; f < audit::n_error_types; ++f)
        row.push_back(cnt.count(audit::correction_names[f], b.counts[f]));
      tt.rows.push_back(std::move(row));
    };
    add("all", e.tide.all);
    for (std::size_t k = 0; k < K; ++k) add(class_label(r, k), e.tide.per_category[k]);
    const node cm = x.at("confusion");
    std::vector<std::string> labels;
    for (std::size_t k = 0; k < K; ++k) labels.push_back(class_label(r, k));
    auto rows = labels, cols = labels;
    rows.push_back("background");
    cols.push_back("missed");
    cm.set("rows", str_array(rows));
    cm.set("columns", str_array(cols));
    const node counts = cm.at("counts");
    *counts.v = jv::array();
    std::vector<std::string> h = {"true (rows) / detected (columns)"};
    h.insert(h.end(), cols.begin(), cols.end());
    auto& mt = er.add_table("confusion", h);
    for (std::size_t i = 0; i <= K; ++i) {
      const node row = counts.push();
      *row.v = jv::array();
      std::vector<cell> cells = {{rows[i]}};
      for (std::size_t j = 0; j <= K; ++j) {
        const auto v = e.confusion.at(i, j);
        cells.push_back({show(static_cast<std::int64_t>(v)), row.ptr + "/" + std::to_string(j), "num"});
        row.v->push(jv::integer(static_cast<std::int64_t>(v)));
      }
      mt.rows.push_back(std::move(cells));
    }
  }
  doc.push_back(std::move(er));

  // ---- synthetic evidence
  section sy{"synthetic", "Synthetic evidence", {}};
  std::vector<std::string> weak_synthetic, weak_thin;
  {
    sy.para(
        "Frames and objects per slice by provenance. A slice whose frames are not mostly real (real share "
        "below "
        "one half) rests on synthetic or augmented evidence; its real-only miss rate is shown next to it.");
    const node x = top.at("synthetic_evidence");
    *x.v = jv::array();
    auto& tb = sy.add_table("synthetic",
                            {"slice", "frames", "real", "synthetic", "augmented", "unstated", "real share",
                             "objects", "real-only miss rate", "mostly not real"},
                            true);
    for (std::size_t s = 0; s <= op.slices.size(); ++s) {
      const auto& ev = s == 0 ? fd.all : fd.slices[s - 1];
      const std::string nm = s == 0 ? "all" : op.slices[s - 1].name;
      const node y = x.push();
      y.set("slice", jv::str(nm));
      std::uint64_t frames = 0, objects = 0;
      for (int p = 0; p < 4; ++p) frames += ev.mix.images[p], objects += ev.mix.objects[p];
      auto cf = y.count("frames", frames);
      std::vector<cell> row = {{nm}, cf};
      for (int p = 0; p < 4; ++p) row.push_back(y.count(audit::provenance_mix::names[p], ev.mix.images[p]));
      row.push_back(y.num("real_share", ev.mix.real_image_share()));
      row.push_back(y.count("objects", objects));
      row.push_back(y.num("real_only_miss_rate", r.rates(ev.real_only.all).miss_rate.value));
      y.set("mostly_not_real", jv::boolean(ev.mostly_not_real));
      row.push_back({ev.mostly_not_real ? "yes" : "no", {}, ev.mostly_not_real ? "inconclusive" : ""});
      tb.rows.push_back(std::move(row));
      if (ev.mostly_not_real)
        weak_synthetic.push_back(nm + ": real share " + show(ev.mix.real_image_share()) + " of " +
                                 std::to_string(frames) + " frames");
      for (const auto& th : ev.thin)
        weak_thin.push_back(nm + ": " + th.rate + " half-width " + show(th.half_width) + " > target " +
                            show(fd.max_half_width) + " on " + std::to_string(th.have_n) + "; about " +
                            std::to_string(th.needed_n) + " needed");
    }
  }
  doc.push_back(std::move(sy));

  // ---- drift
  section dr{"drift", "Drift against a frozen baseline", {}};
  std::vector<std::string> weak_drift;
  if (!in.drift || in.drift->empty()) {
    top.set("drift", jv{});
    dr.para(
        "No baseline was given: this pack holds no drift comparison. After release, compare production "
        "windows "
        "with the frozen validation run (stratum baseline freeze, stratum drift; docs/drift.md).");
  } else {
    const auto& ws = *in.drift;
    const node x = top.at("drift");
    const auto hex = [](const baseline::input_file& f) { return stratum::detail::sha256::hex(f.sha256); };
    x.set("baseline", jv::str(in.baseline_file.path));
    x.set("baseline_sha256", jv::str(hex(in.baseline_file)));
    x.set("window", jv::str(in.window_file.path));
    x.set("window_sha256", jv::str(hex(in.window_file)));
    x.set("options", jv::str(in.drift_options));
    dr.para(
        "The production window(s) of " + in.window_file.path + " against the frozen baseline " +
        in.baseline_file.path +
        " (docs/drift.md): per slice, class and feature the effect (PSI, KS D or "
        "Wasserstein, the shift with its interval) and a frame-clustered test; with labels, the rates at the "
        "frozen operating points and COCO's AP per slice and class; every p-value adjusted over the whole "
        "family of a window. " +
        in.drift_options);
    // the series
    auto& wt = dr.add_table("drift-windows", {"window", "value", "first frame", "frames", "detections",
                                              "tests", "flagged", "better", "labelled"});
    const node wn = x.at("windows");
    *wn.v = jv::array();
    std::vector<std::string> labels;
    std::vector<double> flagged_per_window;
    for (const auto& w : ws) {
      const node y = wn.push();
      auto ci = y.count("index", w.index);
      y.set("label", jv::str(w.label));
      auto cfirst = y.count("first_frame", w.first);
      auto cf = y.count("frames", w.r.window_frames);
      auto cd = y.count("detections", w.r.window_detections);
      auto ct2 = y.count("tested", w.r.tested());
      auto cfl = y.count("flagged", w.r.flagged());
      auto cb = y.count("better", w.r.improved());
      y.set("labelled", jv::boolean(w.r.labelled));
      y.set("ap_compared", jv::boolean(w.r.ap_compared));
      wt.rows.push_back({ci,
                         {w.label.empty() ? "-" : w.label},
                         cfirst,
                         cf,
                         cd,
                         ct2,
                         cfl,
                         cb,
                         {w.r.labelled ? "yes" : "no"}});
      labels.push_back(w.label.empty() ? std::to_string(w.index) : w.label);
      flagged_per_window.push_back(static_cast<double>(w.r.flagged()));
    }
    if (ws.size() > 1)
      dr.figure(bars_svg(labels, flagged_per_window, "flagged tests", "flagged tests per window"),
                "the window series: flagged tests per window");
    // the flagged tests, alarms first, largest effect first
    struct flagged_test {
      const drift_window* w;
      const baseline::drift_test* t;
    };
    std::vector<flagged_test> fl;
    for (const auto& w : ws)
      for (const auto& t : w.r.tests)
        if (t.status == "shift" || t.status == "warn" || t.status == "alarm" || t.status == "better")
          fl.push_back({&w, &t});
    auto grade = [](const std::string& st) {
      return st == "alarm" ? 3 : st == "warn" ? 2 : st == "shift" ? 1 : 0;
    };
    std::stable_sort(fl.begin(), fl.end(), [&](const flagged_test& a2, const flagged_test& b2) {
      if (grade(a2.t->status) != grade(b2.t->status)) return grade(a2.t->status) > grade(b2.t->status);
      return a2.t->effect() > b2.t->effect();
    });
    const node fn = x.at("flagged");
    *fn.v = jv::array();
    auto& ft = dr.add_table("drift-flagged",
                            {"window", "status", "set", "class", "feature", "effect", "shift", "lower",
                             "upper", "baseline", "window value", "adjusted p"},
                            true);
    std::vector<forest_row> shifts;
    for (const auto& f : fl) {
      const auto& t = *f.t;
      const node y = fn.push();
      auto cw = y.count("window", f.w->index);
      y.set("status", jv::str(t.status));
      y.set("set", jv::str(t.set));
      y.set("class", jv::str(t.cls));
      const std::string feature = t.is_rate() ? t.feature + " @" + show(t.iou) : t.feature;
      y.set("feature", jv::str(feature));
      auto ce = y.num("effect", t.effect());
      y.set("shift_of", jv::str(t.shift_name));
      auto cs2 = y.num("shift", t.shift);
      auto clo = y.num("lower", t.shift_lower);
      auto cu = y.num("upper", t.shift_upper);
      auto cbv = y.num("baseline_value", t.base_value);
      auto cwv = y.num("window_value", t.window_value);
      auto cp = y.num("p_adjusted", t.p_adjusted);
      ft.rows.push_back({cw,
                         {t.status,
                          {},
                          t.status == "alarm"    ? "FAIL"
                          : t.status == "better" ? "PASS"
                                                 : "INCONCLUSIVE"},
                         {t.set},
                         {t.cls.empty() ? "all" : t.cls},
                         {feature},
                         ce,
                         cs2,
                         clo,
                         cu,
                         cbv,
                         cwv,
                         cp});
      if (t.status != "better") {
        weak_drift.push_back("window " + std::to_string(f.w->index) + ": " + t.set +
                             (t.cls.empty() ? "" : " / " + t.cls) + " " + feature + " " + t.status + ", " +
                             t.shift_name + " " + show(t.base_value) + " -> " + show(t.window_value) +
                             " (adjusted p " + show(t.p_adjusted) + ")");
        if (std::isfinite(t.shift_lower) && shifts.size() < 40)
          shifts.push_back({"w" + std::to_string(f.w->index) + " " + t.set +
                                (t.cls.empty() ? "" : "/" + t.cls) + " " + feature,
                            t.shift, t.shift_lower, t.shift_upper, t.status == "alarm" ? "bad" : "mid"});
      }
    }
    if (fl.empty()) dr.para("No test flagged in any window.");
    if (!shifts.empty()) {
      dr.figure(forest_svg(shifts, 0.0, true, "flagged shifts with their intervals", "no change"),
                "each flagged test's shift (window minus baseline) with its interval; the dashed line is no "
                "change");
      std::swap(dr.blocks[dr.blocks.size() - 1],
                dr.blocks[dr.blocks.size() - 2]);  // the plot above its table
    }
    // per feature: the pooled test (every frame, every class; the scenario mix per attribute) of the window
    // with the most flagged tests, and how many of the feature's tests were flagged there
    const drift_window* worst = &ws.front();
    for (const auto& w : ws)
      if (w.r.flagged() > worst->r.flagged()) worst = &w;
    const node en = x.at("features");
    en.set("window", jv::integer(static_cast<std::int64_t>(worst->index)));
    const node rows = en.at("rows");
    *rows.v = jv::array();
    dr.para(
        "Per feature, the pooled effect (every frame and class; the scenario mix per attribute) in window " +
        std::to_string(worst->index) + (ws.size() > 1 ? " (the one with the most flagged tests)" : "") +
        ", and how many of the feature's tests (per slice and class) were flagged there.");
    auto& et = dr.add_table("drift-effects",
                            {"feature", "set", "effect measure", "effect", "shift", "lower", "upper",
                             "status", "flagged tests", "tests"},
                            true);
    std::map<std::string, std::pair<std::size_t, std::size_t>> per_feature;  // flagged, tested
    for (const auto& t : worst->r.tests) {
      const std::string feature = t.is_rate() ? t.feature + " @" + show(t.iou) : t.feature;
      auto& pf = per_feature[feature];
      pf.first += t.status == "shift" || t.status == "warn" || t.status == "alarm";
      pf.second += !std::isnan(t.p_value);
    }
    for (const auto& t : worst->r.tests) {
      const bool pooled = t.cls.empty() && (t.set == "all" || t.feature == "scenario mix");
      if (!pooled) continue;
      const std::string feature = t.is_rate() ? t.feature + " @" + show(t.iou) : t.feature;
      const std::string measure = t.per_frame()              ? "relative change"
                                  : t.is_rate() || t.is_ap() ? "absolute change"
                                  : t.is_embedding()         ? t.second_name
                                                             : "PSI";
      const node y = rows.push();
      y.set("feature", jv::str(feature));
      y.set("set", jv::str(t.set));
      y.set("measure", jv::str(measure));
      auto ce = y.num("effect", t.effect());
      auto csh = y.num("shift", t.shift);
      auto clo2 = y.num("lower", t.shift_lower);
      auto cup2 = y.num("upper", t.shift_upper);
      y.set("status", jv::str(t.status));
      const auto& pf = per_feature[feature];
      auto cfl = y.count("flagged_tests", pf.first);
      auto cte = y.count("tests", pf.second);
      et.rows.push_back({{feature}, {t.set}, {measure}, ce, csh, clo2, cup2, {t.status}, cfl, cte});
    }
  }
  doc.push_back(std::move(dr));

  // ---- known weaknesses and residual risk
  section wk{"weaknesses", "Known weaknesses and residual risk", {}};
  {
    const node x = top.at("weaknesses");
    *x.v = jv::array();
    std::vector<std::string> items;
    auto add = [&](const char* kind, const std::string& what) {
      const node y = x.push();
      y.set("kind", jv::str(kind));
      y.set("detail", jv::str(what));
      items.push_back(std::string(kind) + ": " + what);
    };
    for (const auto& w : weak_fail) add("FAIL", w);
    for (const auto& w : weak_inconclusive) add("INCONCLUSIVE", w);
    for (const auto& cf : fd.cliffs)
      if (cf.flagged)
        add("cliff", op.slices[cf.slice].name + ": " + cf.rate + " " + show(cf.slice_rate) + " vs " +
                         show(cf.rest_rate) + " in the rest, adjusted p " + show(cf.p_adjusted));
    for (const auto& w : weak_thin) add("thin evidence", w);
    for (const auto& w : weak_synthetic) add("mostly not real", w);
    for (const auto& w : unmeasured_cells) add("unmeasured", w);
    for (const auto& u : fd.unmeasured)
      if (std::find(unmeasured_cells.begin(), unmeasured_cells.end(), u.name) == unmeasured_cells.end())
        add("unmeasured", u.name);
    for (const auto& w : outside_odd) add("outside the odd", w);
    for (const auto& w : weak_drift) add("drift", w);
    wk.para(
        std::to_string(items.size()) +
        " items: every criterion that failed or was inconclusive, every slice "
        "measurably worse than the rest (cliff), below the evidence target or resting mostly on synthetic "
        "frames, every scenario cell never measured, and every value seen outside the declared operational "
        "design domain, and every drift test flagged against the baseline. Residual risk: what is listed "
        "here is known; what the data does not cover is not "
        "measured by this pack.");
    if (items.empty()) items.push_back("none found");
    wk.list(items);
  }
  doc.push_back(std::move(wk));

  // ---- decision trail
  section tr{"trail", "Decision trail", {}};
  {
    const node x = top.at("trail");
    x.set("stratum_version", jv::str(STRATUM_VERSION));
    x.set("command", jv::str(in.command_line));
    x.set("created", jv::str(in.created_utc));
    x.set("run_by", jv::str(in.run_by));
    x.set("reviewer", jv::str(cs.reviewer));
    const node ps = x.at("parameters");
    *ps.v = jv::object();
    for (const auto& [k, v] : in.parameters) ps.set(k, jv::str(v));
    const node fs = x.at("inputs");
    *fs.v = jv::array();
    auto& tb = tr.add_table("inputs", {"role", "path", "bytes", "SHA-256"});
    auto add_file = [&](const node& y, const baseline::input_file& f) {
      y.set("role", jv::str(f.role));
      y.set("path", jv::str(f.path));
      auto cb = y.count("bytes", f.size);
      const auto hex = stratum::detail::sha256::hex(f.sha256);
      y.set("sha256", jv::str(hex));
      tb.rows.push_back({{f.role}, {f.path}, cb, {hex}});
    };
    for (const auto& f : in.inputs) add_file(fs.push(), f);
    if (in.drift && !in.drift->empty()) {
      add_file(fs.push(), in.baseline_file);
      add_file(fs.push(), in.window_file);
    }
    add_file(x.at("criteria_file"), in.criteria_file);
    const node d = x.at("decision");
    for (const char* k : {"decision", "decided_by", "date", "rationale"}) d.set(k, jv{});
    tr.para("stratum " + std::string(STRATUM_VERSION) + ", created " + in.created_utc + " by " + in.run_by +
            "; reviewer named in the criteria: " + cs.reviewer + ".");
    tr.para("Command: " + in.command_line);
    auto& pt = tr.add_table("parameters", {"parameter", "value"});
    for (const auto& [k, v] : in.parameters) pt.rows.push_back({{k}, {v}});
    tr.para(
        "Reviewer's decision (to be completed by the reviewer; the JSON's trail.decision holds the same "
        "fields): decision (ship / do not ship / ship with conditions): ________ ; decided by: ________ ; "
        "date: ________ ; rationale and conditions: ________");
  }
  doc.push_back(std::move(tr));

  root.dump(pack.json);
  pack.json += '\n';
  const std::string title = "Evidence pack: " + std::to_string(pack.pass) + " PASS, " +
                            std::to_string(pack.fail) + " FAIL, " + std::to_string(pack.inconclusive) +
                            " INCONCLUSIVE";
  pack.markdown = render_markdown(title, doc);
  pack.html = render_html(title, doc);
  return pack;
}

}  // namespace stratum::report
