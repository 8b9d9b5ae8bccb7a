// stratum: command-line front end.
//
//   stratum coco GT.json DT.json [--use-cats 0|1] [--iou-thrs a,b,...] [--max-dets a,b,c] [--params P.json]
//                [--slice-by k1,k2,...] [--joint k1*k2]... [--threads N] [--json]
//
// Exit status: 0 on success, 1 on bad input data, 2 on bad usage.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <stratum/coco/slices.hpp>
#include <stratum/io/coco_json.hpp>

namespace {

using namespace stratum;

const char* const kUsage =
    "usage: stratum coco GT.json DT.json [options]\n"
    "  COCO bbox evaluation, numbers identical to pycocotools COCOeval.\n"
    "options:\n"
    "  --use-cats 0|1        match per category (1, default) or class-agnostically (0)\n"
    "  --iou-thrs a,b,...    IoU thresholds (default 0.50:0.05:0.95)\n"
    "  --max-dets a,b,c      detections per image (default 1,10,100)\n"
    "  --params FILE.json    parameters as pycocotools' Params (iouThrs, maxDets, areaRng, areaRngLbl, useCats)\n"
    "  --slice-by k1,k2,...  also evaluate each value of each attribute key (e.g. weather=rain);\n"
    "                        the key 'provenance' slices by provenance\n"
    "  --joint k1*k2         also evaluate each joint cell of the keys (repeatable)\n"
    "  --threads N           worker threads (default: all cores); results do not depend on N\n"
    "  --json                print one JSON object instead of the summary\n";

[[noreturn]] void usage_fail(const std::string& msg) {
  throw usage_error(msg);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) {
    if (cur.empty()) usage_fail("empty item in list '" + s + "'");
    out.push_back(cur);
  }
  if (out.empty()) usage_fail("empty list");
  return out;
}

double parse_double(const std::string& s, const std::string& opt) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') usage_fail(opt + ": '" + s + "' is not a number");
  return v;
}

long parse_long(const std::string& s, const std::string& opt) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0') usage_fail(opt + ": '" + s + "' is not an integer");
  return v;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string stats_json(const std::array<double, 12>& st) {
  std::string out = "[";
  for (std::size_t i = 0; i < st.size(); ++i) out += (i ? ", " : "") + num(st[i]);
  return out + "]";
}

std::string per_category_json(const coco::evaluation& ev, const std::string& indent) {
  std::string out = "{";
  const std::size_t K = ev.arrays.K;
  for (std::size_t k = 0; k < K; ++k) {
    const auto c = ev.category(k);
    const std::string id = ev.p.use_cats ? std::to_string(ev.p.cat_ids[k]) : "all";
    out += (k ? ",\n" : "\n") + indent + "  " + json_string(id) + ": {\"ap\": " + num(c.ap) + ", \"ap50\": " +
           num(c.ap50) + ", \"ap75\": " + num(c.ap75) + ", \"ar100\": " + num(c.ar100) + "}";
  }
  return out + "\n" + indent + "}";
}

void print_summary(const coco::evaluation& ev, std::FILE* out) {
  const auto& p = ev.p;
  const auto& md = p.max_dets;
  const int m0 = md[0], m1 = md[std::min<std::size_t>(1, md.size() - 1)], m2 = md[std::min<std::size_t>(2, md.size() - 1)];
  struct line {
    bool ap;
    double iou;
    const char* area;
    int max_det;
  };
  const line lines[12] = {{true, -1, "all", 100},     {true, 0.5, "all", m2},     {true, 0.75, "all", m2},
                          {true, -1, "small", m2},    {true, -1, "medium", m2},  {true, -1, "large", m2},
                          {false, -1, "all", m0},     {false, -1, "all", m1},    {false, -1, "all", m2},
                          {false, -1, "small", m2},   {false, -1, "medium", m2}, {false, -1, "large", m2}};
  for (int i = 0; i < 12; ++i) {
    const auto& l = lines[i];
    char iou[32];
    if (l.iou < 0)
      std::snprintf(iou, sizeof iou, "%0.2f:%0.2f", p.iou_thrs.front(), p.iou_thrs.back());
    else
      std::snprintf(iou, sizeof iou, "%0.2f", l.iou);
    std::fprintf(out, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                 l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", iou, l.area, l.max_det,
                 ev.stats[static_cast<std::size_t>(i)]);
  }
}

int cmd_coco(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  coco::params p;
  bool json = false, have_params_file = false;
  unsigned threads = 0;
  std::string params_file;
  std::vector<coco::slice_spec> specs;
  struct override_t {
    bool use_cats = false, iou = false, max_dets = false;
  } ov;
  coco::params cli;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_fail(a + " needs a value");
      return args[++i];
    };
    if (a == "--json") {
      json = true;
    } else if (a == "--use-cats") {
      const auto& v = value();
      if (v != "0" && v != "1") usage_fail("--use-cats: expected 0 or 1, got '" + v + "'");
      cli.use_cats = v == "1";
      ov.use_cats = true;
    } else if (a == "--iou-thrs") {
      cli.iou_thrs.clear();
      for (const auto& s : split(value(), ',')) cli.iou_thrs.push_back(parse_double(s, a));
      ov.iou = true;
    } else if (a == "--max-dets") {
      cli.max_dets.clear();
      for (const auto& s : split(value(), ',')) {
        const long v = parse_long(s, a);
        if (v < 1 || v > 1000000) usage_fail("--max-dets: values must be in [1, 1000000]");
        cli.max_dets.push_back(static_cast<int>(v));
      }
      std::sort(cli.max_dets.begin(), cli.max_dets.end());
      ov.max_dets = true;
    } else if (a == "--params") {
      params_file = value();
      have_params_file = true;
    } else if (a == "--slice-by") {
      for (const auto& k : split(value(), ',')) specs.push_back({{k}});
    } else if (a == "--joint") {
      specs.push_back({split(value(), '*')});
    } else if (a == "--threads") {
      const long v = parse_long(value(), a);
      if (v < 0 || v > 1024) usage_fail("--threads: expected 0 (all cores) to 1024");
      threads = static_cast<unsigned>(v);
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      usage_fail("unknown option " + a);
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 2) usage_fail("coco needs GT.json and DT.json");
  if (have_params_file) p = io::load_coco_params(params_file);
  if (ov.use_cats) p.use_cats = cli.use_cats;
  if (ov.iou) p.iou_thrs = cli.iou_thrs;
  if (ov.max_dets) p.max_dets = cli.max_dets;
  p.validate();

  const auto gt = io::load_coco_ground_truth(pos[0]);
  const auto dt = io::load_coco_results(pos[1], gt);
  const auto res = coco::evaluate_sliced(gt, dt, p, specs, threads);
  const auto& ev = res.all;
  if (!json) {
    print_summary(ev, stdout);
    for (std::size_t s = 0; s < res.slices.size(); ++s) {
      std::printf("\n%s (%zu images)\n", res.slices[s].name.c_str(), res.slices[s].images.size());
      print_summary(res.per_slice[s], stdout);
    }
    return 0;
  }
  std::string out = "{\n  \"n_images\": " + std::to_string(ev.p.img_ids.size()) +
                    ",\n  \"n_ground_truths\": " + std::to_string(gt.size()) +
                    ",\n  \"n_detections\": " + std::to_string(dt.size()) + ",\n  \"stats\": " + stats_json(ev.stats) +
                    ",\n  \"per_category\": " + per_category_json(ev, "  ");
  if (!specs.empty()) {
    out += ",\n  \"slices\": {";
    for (std::size_t s = 0; s < res.slices.size(); ++s) {
      out += (s ? ",\n    " : "\n    ") + json_string(res.slices[s].name) + ": {\"n_images\": " +
             std::to_string(res.slices[s].images.size()) + ", \"stats\": " + stats_json(res.per_slice[s].stats) +
             ", \"per_category\": " + per_category_json(res.per_slice[s], "    ") + "}";
    }
    out += "\n  }";
  }
  out += "\n}\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "-h" || args[0] == "--help") {
      std::fputs(kUsage, args.empty() ? stderr : stdout);
      return args.empty() ? 2 : 0;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "coco") return cmd_coco(args);
    usage_fail("unknown command '" + cmd + "'");
  } catch (const stratum::usage_error& e) {
    std::fprintf(stderr, "stratum: %s\n%s", e.what(), kUsage);
    return 2;
  } catch (const stratum::input_error& e) {
    std::fprintf(stderr, "stratum: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stratum: error: %s\n", e.what());
    return 1;
  }
}
