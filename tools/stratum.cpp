// stratum: command-line front end.
//
//   stratum coco GT.json DT.json [--use-cats 0|1] [--iou-thrs a,b,...] [--max-dets a,b,c] [--params P.json]
//                [--slice-by k1,k2,...] [--joint k1*k2]... [--threads N] [--bins B] [--json]
//   stratum stream FRAMES.jsonl|- [--categories GT.json] [the same evaluation options]
//   stratum convert GT.json DT.json [--attributes FILE ...] [-o FRAMES.jsonl]
//   stratum convert GT [DT] --to coco|scalabel|yolo|kitti|voc -o DIR
//   stratum audit GT.json DT.json [the evaluation options] [--iou 0.5[,0.75]]
//                 [--score-threshold S | --thresholds FILE.json | --choose RULE] [--interval M] [--confidence
//                 C]
//   stratum baseline freeze GT.json DT.json | --stream FRAMES.jsonl [options] -o FILE [--no-timestamp]
//   stratum baseline show FILE
//   stratum drift BASELINE FRAMES.jsonl|- | BASELINE GT.json DT.json [drift options]
//
// Exit status: 0 on success, 1 on bad input data, 2 on bad usage.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <stratum/audit/audit.hpp>
#include <stratum/audit/calibration.hpp>
#include <stratum/audit/curves.hpp>
#include <stratum/audit/errors.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/baseline/drift.hpp>
#include <stratum/baseline/file.hpp>
#include <stratum/baseline/performance.hpp>
#include <stratum/baseline/profile.hpp>
#include <stratum/coco/bootstrap.hpp>
#include <stratum/coco/slices.hpp>
#include <stratum/coco/stream.hpp>
#include <stratum/detail/sha256.hpp>
#include <stratum/io/attribute_table.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/criteria_json.hpp>
#include <stratum/io/jsonl.hpp>
#include <stratum/io/label_formats.hpp>
#include <stratum/io/production_json.hpp>
#include <stratum/io/yolo.hpp>
#include <stratum/report/audit_json.hpp>
#include <stratum/report/audit_text.hpp>
#include <stratum/report/drift.hpp>
#include <stratum/report/evaluation_json.hpp>
#include <stratum/report/evidence.hpp>

namespace {

using namespace stratum;

const char* const kUsage =
    "usage: stratum coco GT.json DT.json [options]\n"
    "       stratum stream FRAMES.jsonl|- [--categories GT.json] [options]\n"
    "       stratum convert GT.json DT.json [--attributes FILE ...] [-o FRAMES.jsonl]\n"
    "       stratum convert GT.json [DT.json] --to coco|scalabel|yolo|kitti|voc [--attributes FILE ...] -o "
    "DIR\n"
    "       stratum audit GT.json DT.json [options] [audit options]\n"
    "       stratum audit --stream FRAMES.jsonl|- [--categories GT.json] [options] [audit options]\n"
    "       stratum baseline freeze GT.json DT.json | --stream FRAMES.jsonl [options] [operating-point\n"
    "                               options] -o FILE [--no-timestamp] [--no-profile]\n"
    "       stratum baseline show FILE\n"
    "       stratum drift BASELINE FRAMES.jsonl|- | BASELINE GT.json DT.json [drift options]\n"
    "       stratum report GT.json DT.json | --stream FRAMES.jsonl [audit options] --criteria FILE -o DIR\n"
    "                      [--no-calibration] [--no-bootstrap] [--baseline FILE --window FRAMES.jsonl\n"
    "                      [--window-frames N | --window-by KEY] [drift options]]\n"
    "  coco:    COCO bbox evaluation, numbers identical to pycocotools COCOeval.\n"
    "  stream:  the same evaluation over a JSONL frame stream (docs/stream_format.md; '-' reads\n"
    "           stdin), read and matched frame by frame in bounded memory; the same numbers as coco.\n"
    "  convert: writes ground truth + detections (any format read) as a JSONL frame stream (header\n"
    "           line first) to stdout or to -o FILE; with --to, as COCO (DIR/gt.json, DIR/dt.json),\n"
    "           Scalabel (DIR/gt.json, DIR/dt.json), YOLO (DIR/labels/, DIR/predictions/,\n"
    "           DIR/classes.txt, DIR/image_sizes.csv), KITTI (DIR/labels/, DIR/predictions/,\n"
    "           DIR/classes.txt) or Pascal VOC (DIR/Annotations/, DIR/results/, DIR/classes.txt); the\n"
    "           detections are optional then.\n"
    "  audit:   the failure map at operating points (docs/audit.md): misses, false alarms, precision,\n"
    "           false positives per image, image-level rates, each with its interval, pooled, per\n"
    "           class and per slice (worst first), and where the errors come from (TIDE's error\n"
    "           types with the AP each costs; the confusion matrix); with --stream, over a JSONL\n"
    "           frame stream, the same output as the audit of the same images in COCO files.\n"
    "  baseline freeze: freezes a validation run as the reference of later drift checks (docs/drift.md):\n"
    "           the parameters, categories, slicing, the operating thresholds (set or chosen as in\n"
    "           audit: --iou, --score-threshold, --thresholds, --choose, --interval, --confidence), the\n"
    "           SHA-256 of every input and the run's audit state; --no-timestamp records no creation time\n"
    "           (then freezing the same input twice gives the same file); the drift profile of the\n"
    "           frames (scores, box sizes, aspect ratios, class mix, detections per frame, scenario\n"
    "           mix; scores must lie in [0, 1]) is frozen too unless --no-profile\n"
    "  baseline show: what a baseline file holds and its run's audit, recomputed from the file\n"
    "  drift:   a window of frames (a JSONL stream, or a COCO file's images with its results; labels\n"
    "           are not needed) against the baseline's drift profile (docs/drift.md): per slice, class\n"
    "           and feature the effect (PSI, KS D or Wasserstein, the shift with its interval) and a\n"
    "           frame-clustered test; with labels (ground truths in the window), the miss, false\n"
    "           discovery, false-positive-per-frame and image rates at the frozen operating points\n"
    "           against the baseline's (the change with its interval, frame-clustered tests) and\n"
    "           COCO's AP per slice and class (image-level bootstrap, tested against the baseline's AP\n"
    "           at the window's size); every p-value adjusted over the whole family; without labels\n"
    "           too, the expected precision from the scores through the baseline's calibration (the\n"
    "           gap to the measured one where labelled)\n"
    "  report:  the evidence pack a release reviewer signs against (docs/evidence_pack.md): the audit\n"
    "           (with calibration, curves and a 200-replicate image bootstrap unless switched off;\n"
    "           --bootstrap B and --seed S as in audit) judged against the reviewer's criteria file\n"
    "           (PASS / FAIL / INCONCLUSIVE on the interval), written to DIR as evidence.json,\n"
    "           evidence.md and evidence.html (one self-contained file); with --baseline and --window,\n"
    "           the window (or a series: --window-frames N, --window-by KEY) compared with the frozen\n"
    "           baseline as in drift, its flagged tests and effects in the pack\n"
    "drift options:\n"
    "  --alpha A             family-wise level of the flags (default 0.05)\n"
    "  --adjust holm|bh      Holm (family-wise, default) or Benjamini-Hochberg (false discovery rate)\n"
    "  --psi-warn X          a flagged shift with PSI >= X is a warning (default 0.1)\n"
    "  --psi-alarm Y         a flagged shift with PSI >= Y is an alarm (default 0.25)\n"
    "  --min-frames N        frames with a value needed on each side for a test (default 30)\n"
    "  --rate-warn X         a rate flagged as worse by a change of X or more is a warning (default\n"
    "                        0.02); false positives per frame: a relative change against the PSI limits\n"
    "  --rate-alarm Y        ... an alarm from a change of Y (default 0.05)\n"
    "  --embedding-warn X    a flagged embedding shift with a Mahalanobis distance of X baseline\n"
    "                        standard deviations or more is a warning (default 1)\n"
    "  --embedding-alarm Y   ... an alarm from Y (default 2)\n"
    "  --ap-warn X           with labels, an AP flagged as lower by X or more is a warning (default\n"
    "                        0.02)\n"
    "  --ap-alarm Y          ... an alarm from a drop of Y (default 0.05)\n"
    "  --ap-replicates B     bootstrap replicates of each side's AP (default 200; 0: AP not compared)\n"
    "  --ap-seed S           the replicates' seed (default 0; the window's are drawn with S + 1,\n"
    "                        the baseline's AP at the window's size with S + 2)\n"
    "  --ap-max-detections N a window keeps the records of up to N kept detections for its AP\n"
    "                        (default 5000000, about 200 MB); a larger window is not compared\n"
    "  --threads N           workers for the AP replicates (default 1; 0: all cores)\n"
    "  --min-calibration N   baseline detections of a class (at or above its threshold) needed to\n"
    "                        calibrate it for the expected precision (default 30)\n"
    "  --ignore-labels       compare no rates even if the window has ground truths (the expected\n"
    "                        precision as it would be without labels)\n"
    "  --window N            one comparison per N consecutive frames of the stream (a series); the\n"
    "                        memory holds the baseline and one window\n"
    "  --window-by KEY       one comparison per value of attribute KEY (e.g. day), the frames of each\n"
    "                        value together in the stream\n"
    "  --all                 list every test, not only the flagged ones\n"
    "  --json                one JSON object (with --window: one per window, one per line)\n"
    "audit options:\n"
    "  --iou a[,b]           IoU thresholds of the operating points, each one of the evaluation's\n"
    "                        (default 0.5)\n"
    "  --score-threshold S   one score threshold for every class (default 0.5)\n"
    "  --thresholds F.json   per class: {\"<category id>\": S, ...} (\"all\" when --use-cats 0)\n"
    "  --choose RULE         per class, chosen on this data: f1 (F1-optimal), precision>=P (the lowest\n"
    "                        threshold reaching P) or recall>=R (the highest reaching R)\n"
    "  --interval M          binomial intervals: wilson (default), jeffreys or clopper-pearson\n"
    "  --confidence C        interval confidence level in (0, 1) (default 0.95)\n"
    "  --max-halfwidth H     flag rates whose interval half-width exceeds H, with the sample size\n"
    "                        needed to reach it\n"
    "  --adjust holm|bh      multiple-comparison adjustment of the cliffs (default holm)\n"
    "  --production MIX.json the rates re-weighted to a production mix of scenario cells, and PPV at\n"
    "                        production prevalences (docs/audit.md)\n"
    "  --bootstrap B         image-level bootstrap with B replicates: percentile intervals of every rate\n"
    "                        (thresholds fixed) and the design effect of miss rate, precision and FPPI;\n"
    "                        with --calibration, of every calibration estimator too (the same replicates)\n"
    "  --curves M            (with --json) precision, recall and F1 against the score threshold per class\n"
    "                        and slice, thinned to M points plus the operating point and the F1 optimum\n"
    "  --calibration         does the confidence say how often a detection is right: ECE, MCE, ACE,\n"
    "                        Brier, l2 (plug-in and debiased), D-ECE, LaECE, overconfidence and confident\n"
    "                        false positives, pooled, per class and per slice, over the detections above\n"
    "                        the threshold and over all evaluated ones (docs/calibration.md); scores must\n"
    "                        lie in [0, 1]\n"
    "  --bins B              (with --calibration) bins of ECE, MCE, ACE, l2 and the reliability curve\n"
    "                        (default 15)\n"
    "  --high-confidence H   (with --calibration) a false positive with confidence >= H is a silent\n"
    "                        failure (default 0.9)\n"
    "  --ood-attribute K=V   (with --calibration) frames with attribute K = V (or provenance=V) are\n"
    "                        out-of-distribution probes: every detection there is a false positive; their\n"
    "                        count, confidences and histogram are reported\n"
    "options (coco and stream):\n"
    "  --use-cats 0|1        match per category (1, default) or class-agnostically (0)\n"
    "  --iou-thrs a,b,...    IoU thresholds (default 0.50:0.05:0.95)\n"
    "  --max-dets a,b,c      detections per image (default 1,10,100)\n"
    "  --params FILE.json    parameters as pycocotools' Params (iouThrs, maxDets, areaRng, areaRngLbl,\n"
    "                        useCats, imgIds, catIds)\n"
    "  --slice-by k1,k2,...  also evaluate each value of each attribute key (e.g. weather=rain);\n"
    "                        the key 'provenance' slices by provenance\n"
    "  --joint k1*k2         also evaluate each joint cell of the keys (repeatable)\n"
    "  --attributes FILE     scene attributes from a table (CSV with a header, or JSONL), one row per "
    "image,\n"
    "                        joined before slicing; values kept as written; a column 'provenance' gives the\n"
    "                        provenance (coco, stream, audit, report, baseline freeze, drift, convert;\n"
    "                        docs/adapters.md)\n"
    "  --attributes-key K[=COLUMN]  what the table's key column (default: its first) names: id (image or\n"
    "                        frame id, default) or file_name (the ground truth's images[].file_name, with\n"
    "                        or without the extension; COCO files only)\n"
    "  --attributes-missing error|skip  images without a row, rows naming no image and repeated rows are\n"
    "                        an error (default) or counted and reported (skip: such images are in no slice\n"
    "                        of the table's columns)\n"
    "  --format F            the ground truth's format: coco, yolo, kitti or voc (a directory of label\n"
    "                        files), scalabel (BDD100K/Scalabel JSON) or auto (default: a directory with\n"
    "                        .xml files or Annotations/ is VOC, another is YOLO or KITTI by its lines'\n"
    "                        field count, a JSON file is recognised from its keys); a DT directory is\n"
    "                        read in the ground truth's folder format (VOC: results files\n"
    "                        <any>_<class>.txt), a DT file is recognised the same way\n"
    "  --classes FILE        (YOLO, Scalabel, KITTI or VOC labels) the class names, one per line, in\n"
    "                        index order; category i + 1 is line i + 1; for Scalabel instead of\n"
    "                        config.categories, for KITTI and VOC instead of their own classes\n"
    "                        (docs/adapters.md)\n"
    "  --image-set FILE      (VOC labels) the image stems to read, one per line (ImageSets/Main/test.txt);\n"
    "                        default: every .xml file\n"
    "  --kitti-difficulty L  (KITTI labels) easy, moderate or hard: objects beyond the level's occlusion,\n"
    "                        truncation or minimum height are ignored, and Van / Person_sitting objects\n"
    "                        ignored as Car / Pedestrian, as KITTI's evaluation does; all (default): none\n"
    "  --image-sizes FILE    (YOLO labels) a table file_name,width,height (CSV or JSONL); YOLO boxes are\n"
    "                        divided by the image size. A DT directory holds YOLO predictions\n"
    "                        (class cx cy w h score)\n"
    "  --images DIR          (YOLO labels, instead of --image-sizes) the images: each size is read from\n"
    "                        its file's header (PNG, JPEG, GIF, BMP, WebP; no pixels decoded)\n"
    "  --bin KEY=E0,E1,...[:NAME,...]  slice a numeric attribute into ranges [E0,E1), ..., [En-1,En] (named\n"
    "                        by their edges, or by the names given); a value outside them is an error\n"
    "  --threads N           worker threads (default: all cores); results do not depend on N\n"
    "                        (stream: the main thread reads, N threads match; N = 1 reads and matches)\n"
    "  --json                print one JSON object instead of the summary\n"
    "  --bins B              bounded memory: every state keeps counts in B score bins (1..16777216)\n"
    "                        instead of the detections, so memory does not grow with them; each AP\n"
    "                        number is printed as a proven bracket [lower, upper] around pycocotools'\n"
    "                        value, AR exactly (docs/bounded_mode.md). Scores must lie in [0, 1]\n"
    "  --bootstrap B         (coco) image-level bootstrap with B replicates: percentile intervals of the\n"
    "                        12 numbers, pooled and per slice (docs/coco.md)\n"
    "  --seed S              (coco, audit) bootstrap seed, 0..2^64-1 (default 0); same seed, same intervals\n"
    "  --confidence C        (coco) interval confidence level in (0, 1) (default 0.95)\n"
    "  --categories GT.json  (stream, audit --stream) the categories of this COCO ground truth; a\n"
    "                        header line in the stream, if any, must declare the same ids\n"
    "environment:\n"
    "  STRATUM_HUGEPAGES=0   do not re-execute with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (see below)\n"
    "When the kernel offers transparent huge pages on request (madvise mode), stratum re-executes\n"
    "itself once with glibc's malloc asking for them: large inputs then cost far fewer page faults.\n";

// Page faults are a large share of an evaluation's time: every 4 KiB page of the parsed files and of the
// evaluation state faults once. glibc (2.35+) asks for transparent huge pages for its heap when the tunable
// glibc.malloc.hugetlb=1 is set, but tunables are read only at process start, so the program re-executes
// itself once with it. Nothing happens when the user already set it, opted out, the kernel has THP off or
// always on (then it is not needed), the program runs under valgrind, or exec fails (the run continues as
// it is).
void reexec_with_huge_pages(char** argv) {
#if defined(__linux__) && defined(__GLIBC__)
  const char* opt = std::getenv("STRATUM_HUGEPAGES");
  if (opt != nullptr && std::strcmp(opt, "0") == 0) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr) return;
  // Under valgrind the program must stay the process valgrind runs (an exec would leave the tool).
  const char* preload = std::getenv("LD_PRELOAD");
  if (preload != nullptr && std::strstr(preload, "vgpreload") != nullptr) return;
  std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (f == nullptr) return;
  char mode[128] = {};
  const bool read = std::fgets(mode, sizeof mode, f) != nullptr;
  std::fclose(f);
  if (!read || std::strstr(mode, "[madvise]") == nullptr) return;
  char self[4096];
  const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0 || static_cast<std::size_t>(len) >= sizeof self - 1) return;
  self[len] = '\0';
  std::string value = "glibc.malloc.hugetlb=1";
  if (tunables != nullptr && *tunables != '\0') value = std::string(tunables) + ":" + value;
  const std::string saved = tunables != nullptr ? tunables : "";
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  ::execv(self, argv);
  // exec failed: restore the environment and go on without huge pages
  if (tunables != nullptr) {
    ::setenv("GLIBC_TUNABLES", saved.c_str(), 1);
  } else {
    ::unsetenv("GLIBC_TUNABLES");
  }
#else
  (void)argv;
#endif
}

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

/// A seed: an integer in [0, max] (usage error naming `opt` otherwise).
std::uint64_t parse_seed(const std::string& v, const std::string& opt, std::uint64_t max, const char* range) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long seed = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || end == v.c_str() || *end != '\0' || errno == ERANGE || seed > max)
    usage_fail(opt + ": expected an integer in " + range + ", got '" + v + "'");
  return seed;
}

long parse_long(const std::string& s, const std::string& opt) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0') usage_fail(opt + ": '" + s + "' is not an integer");
  return v;
}

/// The start of pycocotools' summarize() line for `l`: " Average Precision  (AP) @[ IoU=... ] = ".
void print_summary_label(const coco::stat_info& l, const coco::params& p, std::FILE* out) {
  char iou[32];
  if (l.iou < 0)
    std::snprintf(iou, sizeof iou, "%0.2f:%0.2f", p.iou_thrs.front(), p.iou_thrs.back());
  else
    std::snprintf(iou, sizeof iou, "%0.2f", l.iou);
  std::fprintf(out, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = ",
               l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", iou, l.area,
               coco::max_dets_of(l, p));
}

/// pycocotools' summarize() printout, one line per number of coco::stat_table.
void print_summary(const coco::evaluation& ev, std::FILE* out) {
  for (const auto& l : coco::stat_table) {
    print_summary_label(l, ev.p, out);
    std::fprintf(out, "%0.3f\n", ev.stats[l.id]);
  }
}

/// The same printout for a bounded-memory evaluation: AP lines as [lower, upper], AR lines exact.
void print_summary(const coco::binned_evaluation& ev, std::FILE* out) {
  std::fprintf(out, "bounded mode: %zu score bins; each AP brackets pycocotools' value, AR is exact\n",
               ev.bins);
  for (const auto& l : coco::stat_table) {
    print_summary_label(l, ev.p, out);
    const double lo = ev.stats.lower[coco::index(l.id)], hi = ev.stats.upper[coco::index(l.id)];
    if (l.ap)
      std::fprintf(out, "[%0.3f, %0.3f]\n", lo, hi);
    else
      std::fprintf(out, "%0.3f\n", lo);
  }
}

/// How the ground truth is read beyond the file itself: a scene-attribute table joined to its images or the
/// frames (--attributes and its options), --bin ranges, and a YOLO folder's class list and sizes.
struct attribute_args {
  std::string file;
  io::attribute_join_options join;
  bool key_given = false, missing_given = false;
  std::vector<io::attribute_bins> bins;
  std::string classes_file, sizes_file, images_dir;         // YOLO labels: --classes, --image-sizes, --images
  std::string image_set;                                    // VOC labels: --image-set
  io::kitti_difficulty kitti = io::kitti_difficulty::none;  // KITTI labels: --kitti-difficulty
  io::label_format format = io::label_format::automatic;    // --format
  bool format_given = false;
  unsigned threads = 0;  // workers reading a folder of label files (--threads)
};

/// Reads one attribute-table option at args[i] (and its value); false when args[i] is none of them.
bool parse_attribute_option(const std::vector<std::string>& args, std::size_t& i, attribute_args& a) {
  const auto& opt = args[i];
  if (opt != "--attributes" && opt != "--attributes-key" && opt != "--attributes-missing" && opt != "--bin" &&
      opt != "--classes" && opt != "--image-sizes" && opt != "--images" && opt != "--format" &&
      opt != "--image-set" && opt != "--kitti-difficulty")
    return false;
  if (i + 1 >= args.size()) usage_fail(opt + " needs a value");
  const std::string& v = args[++i];
  if (opt == "--kitti-difficulty") {
    a.kitti = io::parse_kitti_difficulty(v);
  } else if (opt == "--format") {
    if (a.format_given) usage_fail("--format given twice");
    a.format = io::parse_label_format(v);
    a.format_given = true;
  } else if (opt == "--classes" || opt == "--image-sizes" || opt == "--images" || opt == "--image-set") {
    if (v.empty()) usage_fail(opt + " needs a non-empty path");
    (opt == "--classes"     ? a.classes_file
     : opt == "--images"    ? a.images_dir
     : opt == "--image-set" ? a.image_set
                            : a.sizes_file) = v;
  } else if (opt == "--attributes") {
    if (v.empty()) usage_fail("--attributes needs a non-empty path");
    a.file = v;
  } else if (opt == "--attributes-key") {
    const auto eq = v.find('=');
    const std::string field = v.substr(0, eq);
    if (field == "id") {
      a.join.key = io::attribute_join_options::key_kind::id;
    } else if (field == "file_name") {
      a.join.key = io::attribute_join_options::key_kind::file_name;
    } else {
      usage_fail("--attributes-key: expected id or file_name, optionally =COLUMN (got '" + v + "')");
    }
    a.join.column = eq == std::string::npos ? "" : v.substr(eq + 1);
    if (eq != std::string::npos && a.join.column.empty())
      usage_fail("--attributes-key " + v + ": the column is empty");
    a.key_given = true;
  } else if (opt == "--attributes-missing") {
    if (v != "error" && v != "skip")
      usage_fail("--attributes-missing: expected error or skip, got '" + v + "'");
    a.join.skip_missing = v == "skip";
    a.missing_given = true;
  } else {
    auto b = io::parse_attribute_bins(v);
    for (const auto& other : a.bins)
      if (other.key == b.key) usage_fail("--bin " + b.key + " is given twice");
    a.bins.push_back(std::move(b));
  }
  return true;
}

void check_attribute_args(const attribute_args& a) {
  if (a.file.empty() && a.key_given) usage_fail("--attributes-key needs --attributes FILE");
  if (a.file.empty() && a.missing_given) usage_fail("--attributes-missing needs --attributes FILE");
}

/// The joiner of --attributes, or nothing.
std::optional<io::attribute_joiner> attribute_joiner_of(const attribute_args& a) {
  if (a.file.empty()) return std::nullopt;
  return io::attribute_joiner(io::load_attribute_table(a.file), a.join);
}

/// What a join did, on stderr (one line, so logs say which table sliced the run).
void print_join_report(const io::attribute_joiner& j) {
  std::fprintf(stderr, "stratum: %s\n", j.report().summary(j.table().source, j.key_description()).c_str());
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

/// A ground truth (a COCO file, a directory of YOLO, KITTI or VOC labels, or a Scalabel file) with the
/// attribute table joined to its images and the --bin ranges applied; `read_as` receives its format.
coco::ground_truth load_ground_truth(const std::string& path, const attribute_args& a,
                                     io::label_format* read_as = nullptr) {
  std::string note;
  auto gt = io::load_labels(
      path, {a.format, a.classes_file, a.sizes_file, a.images_dir, a.image_set, a.threads, a.kitti}, &note,
      read_as);
  if (!note.empty()) std::fprintf(stderr, "stratum: %s\n", note.c_str());
  if (auto j = attribute_joiner_of(a)) {
    io::join_attributes(gt, *j, path);
    print_join_report(*j);
  }
  io::apply_attribute_bins(gt, a.bins, path);
  return gt;
}

/// A ground truth and its detections: a COCO results file, a Scalabel file with scores, or a directory of
/// the ground truth's folder format (YOLO or KITTI prediction files, VOC results files).
struct labelled_inputs {
  coco::ground_truth gt;
  coco::detection_set dt;
};
labelled_inputs load_inputs(const std::string& gt_path, const std::string& dt_path, const attribute_args& a) {
  io::label_format read_as{};
  labelled_inputs in{load_ground_truth(gt_path, a, &read_as), {}};
  in.dt = io::load_detections(dt_path, in.gt, io::label_format::automatic, read_as, a.threads);
  return in;
}

struct eval_options {
  coco::params p;
  bool json = false;
  std::size_t bootstrap = 0;  // coco only: replicates (0 = no intervals)
  std::uint64_t seed = 0;
  confidence conf{};
  std::size_t bins = 0;  // 0: exact mode
  unsigned threads = 0;
  std::vector<coco::slice_spec> specs;
  std::string categories_file;  // stream only
  attribute_args attrs;
  std::vector<std::string> positional;
};

/// Parses the evaluation options shared by coco, stream and audit; returns false when help was printed.
/// `stream`: --categories is accepted; `bootstrap`: --bootstrap, --seed and --confidence are.
bool parse_eval_options(const std::vector<std::string>& args, bool stream, eval_options& o, bool bootstrap) {
  bool have_params_file = false;
  std::string params_file;
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
    if (parse_attribute_option(args, i, o.attrs)) {
      continue;
    } else if (a == "--json") {
      o.json = true;
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
      for (const auto& k : split(value(), ',')) o.specs.push_back({{k}});
    } else if (a == "--joint") {
      o.specs.push_back({split(value(), '*')});
    } else if (a == "--threads") {
      const long v = parse_long(value(), a);
      if (v < 0 || v > 1024) usage_fail("--threads: expected 0 (all cores) to 1024");
      o.threads = static_cast<unsigned>(v);
    } else if (bootstrap && a == "--bootstrap") {
      const long v = parse_long(value(), a);
      if (v < 1 || v > 1000000) usage_fail("--bootstrap: expected 1 to 1000000 replicates");
      o.bootstrap = static_cast<std::size_t>(v);
    } else if (bootstrap && a == "--seed") {
      o.seed = parse_seed(value(), a, std::numeric_limits<std::uint64_t>::max(), "[0, 2^64 - 1]");
    } else if (bootstrap && a == "--confidence") {
      const double v = parse_double(value(), a);
      if (!(v > 0 && v < 1)) usage_fail("--confidence: expected a level in (0, 1)");
      o.conf = confidence(v);
    } else if (a == "--bins") {
      const long v = parse_long(value(), a);
      if (v < 1 || v > (1L << 24)) usage_fail("--bins: expected 1 to 16777216 score bins");
      o.bins = static_cast<std::size_t>(v);
    } else if (stream && a == "--categories") {
      o.categories_file = value();
      if (o.categories_file.empty()) usage_fail("--categories needs a non-empty path");
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return false;
    } else if (a.size() > 1 && a[0] == '-') {
      usage_fail("unknown option " + a);
    } else {
      o.positional.push_back(a);
    }
  }
  if (o.bins > 0 && o.bootstrap > 0) usage_fail("--bins and --bootstrap: the bootstrap needs the exact mode");
  check_attribute_args(o.attrs);
  o.attrs.threads = o.threads;
  if (have_params_file) o.p = io::load_coco_params(params_file);
  if (ov.use_cats) o.p.use_cats = cli.use_cats;
  if (ov.iou) o.p.iou_thrs = cli.iou_thrs;
  if (ov.max_dets) o.p.max_dets = cli.max_dets;
  return true;
}

std::string fixed3(double v) {
  if (v < 0 || !std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string interval3(const coco::stats_intervals& ci, std::size_t i) {
  if (!std::isfinite(ci.lower[i])) return "[n/a]";
  return "[" + fixed3(ci.lower[i]) + ", " + fixed3(ci.upper[i]) + "]";
}

/// One line per slice (the pool first): images, AP, AP50, AP75, APs/m/l, AR100 and, with a bootstrap, the
/// intervals of AP and AR100.
void print_slice_table(const coco::sliced_evaluation& res, const coco::sliced_intervals* ci) {
  std::size_t w = 5;
  for (const auto& sl : res.slices) w = std::max(w, sl.name.size());
  const int nw = static_cast<int>(w);
  const coco::params& p = res.all.p;
  std::printf("\nper slice: AP and AR at IoU=%0.2f:%0.2f, area=all, maxDets=%d", p.iou_thrs.front(),
              p.iou_thrs.back(), p.max_dets.back());
  if (ci != nullptr)
    std::printf("; %s image-bootstrap percentile intervals (%zu replicates, seed %llu)",
                ci->conf.percent().c_str(), ci->replicates, static_cast<unsigned long long>(ci->seed));
  if (ci != nullptr)
    std::printf("; 'AP vs all': the paired interval of slice AP - pooled AP lies below / above 0");
  using coco::stat;
  std::printf("\n%-*s %7s %6s%s%s %6s %6s %6s %6s %6s %6s%s\n", nw, "slice", "images", coco::name(stat::ap),
              ci ? "  interval      " : "", ci ? "  AP vs all" : "", coco::name(stat::ap50),
              coco::name(stat::ap75), coco::name(stat::ap_small), coco::name(stat::ap_medium),
              coco::name(stat::ap_large), coco::name(stat::ar100), ci ? "  interval" : "");
  auto row = [&](const std::string& name, std::size_t n, const coco::evaluation& ev,
                 const coco::stats_intervals* iv, const coco::stats_intervals* delta) {
    const auto& st = ev.stats;
    std::string ap_ci, ar_ci, vs;
    if (iv != nullptr) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "  %-14s", interval3(*iv, coco::index(stat::ap)).c_str());
      ap_ci = buf;
      ar_ci = "  " + interval3(*iv, coco::index(stat::ar100));
      const char* mark = "";
      const auto iap = coco::index(stat::ap);
      if (delta != nullptr)
        mark = !std::isfinite(delta->lower[iap]) ? "n/a"
               : delta->upper[iap] < 0           ? "below"
               : delta->lower[iap] > 0           ? "above"
                                                 : "-";
      std::snprintf(buf, sizeof buf, "  %-9s", mark);
      vs = buf;
    }
    std::printf("%-*s %7zu %6s%s%s %6s %6s %6s %6s %6s %6s%s\n", nw, name.c_str(), n,
                fixed3(st[stat::ap]).c_str(), ap_ci.c_str(), vs.c_str(), fixed3(st[stat::ap50]).c_str(),
                fixed3(st[stat::ap75]).c_str(), fixed3(st[stat::ap_small]).c_str(),
                fixed3(st[stat::ap_medium]).c_str(), fixed3(st[stat::ap_large]).c_str(),
                fixed3(st[stat::ar100]).c_str(), ar_ci.c_str());
  };
  row("all", p.img_ids.size(), res.all, ci ? &ci->all : nullptr, nullptr);
  for (std::size_t s = 0; s < res.slices.size(); ++s)
    row(res.slices[s].name, res.slices[s].images.size(), res.slices[s].eval,
        ci ? &ci->slices[s].value : nullptr, ci ? &ci->slices[s].delta : nullptr);
}

std::string bracket3(const coco::binned_stats& st, coco::stat i) {
  const auto k = coco::index(i);
  if (st.lower[k] < 0) return "-";
  return "[" + fixed3(st.lower[k]) + ", " + fixed3(st.upper[k]) + "]";
}

/// The slice table of a bounded-memory evaluation: AP, AP50 and AP75 as brackets, AR100 exact.
void print_slice_table(const coco::sliced_binned_evaluation& res) {
  std::size_t w = 5;
  for (const auto& sl : res.slices) w = std::max(w, sl.name.size());
  const int nw = static_cast<int>(w);
  const coco::params& p = res.all.p;
  using coco::stat;
  std::printf("\nper slice: AP and AR at IoU=%0.2f:%0.2f, area=all, maxDets=%d; AP as [lower, upper]\n",
              p.iou_thrs.front(), p.iou_thrs.back(), p.max_dets.back());
  std::printf("%-*s %7s %-15s %-15s %-15s %6s\n", nw, "slice", "images", coco::name(stat::ap),
              coco::name(stat::ap50), coco::name(stat::ap75), coco::name(stat::ar100));
  auto row = [&](const std::string& name, std::size_t n, const coco::binned_stats& st) {
    std::printf("%-*s %7zu %-15s %-15s %-15s %6s\n", nw, name.c_str(), n, bracket3(st, stat::ap).c_str(),
                bracket3(st, stat::ap50).c_str(), bracket3(st, stat::ap75).c_str(),
                fixed3(st.lower[coco::index(stat::ar100)]).c_str());
  };
  row("all", p.img_ids.size(), res.all.stats);
  for (const auto& sl : res.slices) row(sl.name, sl.images.size(), sl.eval.stats);
}

void print_result(const coco::sliced_binned_evaluation& res, const eval_options& o, std::uint64_t n_gt,
                  std::uint64_t n_dt) {
  if (!o.json) {
    print_summary(res.all, stdout);
    if (!o.specs.empty()) print_slice_table(res);
    return;
  }
  std::fputs(report::evaluation_json(res, n_gt, n_dt, !o.specs.empty()).c_str(), stdout);
}

void print_result(const coco::sliced_evaluation& res, const eval_options& o, std::uint64_t n_gt,
                  std::uint64_t n_dt, const coco::sliced_intervals* ci = nullptr) {
  if (!o.json) {
    print_summary(res.all, stdout);
    if (!o.specs.empty() || ci != nullptr) print_slice_table(res, ci);
    return;
  }
  std::fputs(report::evaluation_json(res, n_gt, n_dt, !o.specs.empty(), ci).c_str(), stdout);
}

/// The frames of a stream command, with the attribute table joined by frame id and the --bin ranges applied.
class frame_source {
 public:
  frame_source(io::jsonl_reader reader, const attribute_args& a, bool report)
      : reader_(std::move(reader)), bins_(a.bins), report_(report) {
    if (!a.file.empty() && a.join.key != io::attribute_join_options::key_kind::id)
      usage_fail("--attributes-key: the frames of a stream carry no file name; key the table by id");
    if (!a.classes_file.empty() || !a.sizes_file.empty() || !a.images_dir.empty() || !a.image_set.empty() ||
        a.format_given || a.kitti != io::kitti_difficulty::none)
      usage_fail(
          "--format, --classes, --image-sizes, --images, --image-set and --kitti-difficulty describe a "
          "ground-truth file or folder, not a stream");
    joiner_ = attribute_joiner_of(a);
  }
  bool next(coco::frame& f) {
    if (!reader_.next(f)) {
      if (joiner_ && !finished_) {
        joiner_->finish();
        if (report_) print_join_report(*joiner_);
      }
      finished_ = true;
      return false;
    }
    if (joiner_ || !bins_.empty()) {
      const std::string where = reader_.source() + ": line " + std::to_string(reader_.line()) + " (frame " +
                                std::to_string(f.id) + ")";
      if (joiner_) joiner_->apply(f.id, nullptr, f.attrs, f.provenance, where);
      io::apply_attribute_bins(f.attrs, bins_, where);
    }
    return true;
  }
  [[nodiscard]] const std::vector<coco::category_info>& categories() const noexcept {
    return reader_.categories();
  }

 private:
  io::jsonl_reader reader_;
  std::optional<io::attribute_joiner> joiner_;
  std::vector<io::attribute_bins> bins_;
  bool report_ = true, finished_ = false;
};

/// The frames of a stream command: `path` or "-" (stdin), categories from o.categories_file if given, the
/// attribute table of --attributes joined (its report printed at the end when `report`).
frame_source open_stream(const std::string& path, const eval_options& o, bool report = true) {
  std::optional<std::vector<coco::category_info>> cats;
  if (!o.categories_file.empty()) cats = io::load_coco_ground_truth(o.categories_file).categories;
  if (path == "-") std::ios::sync_with_stdio(false);
  return frame_source(
      path == "-" ? io::jsonl_reader(std::cin, "<stdin>", cats) : io::jsonl_reader::open(path, cats), o.attrs,
      report);
}

int cmd_coco(const std::vector<std::string>& args) {
  eval_options o;
  if (!parse_eval_options(args, false, o, true)) return 0;
  if (o.positional.size() != 2) usage_fail("coco needs GT.json and DT.json");
  o.p.validate();

  const auto [gt, dt] = load_inputs(o.positional[0], o.positional[1], o.attrs);
  if (o.bins > 0) {
    print_result(coco::evaluate_sliced_binned(gt, dt, o.p, o.specs, o.bins, o.threads), o, gt.size(),
                 dt.size());
    return 0;
  }
  const auto res = coco::evaluate_sliced(gt, dt, o.p, o.specs, o.threads);
  if (o.bootstrap > 0) {
    const auto ci = coco::bootstrap_slices(gt, dt, res, {o.bootstrap, o.seed, o.conf, o.threads});
    print_result(res, o, gt.size(), dt.size(), &ci);
  } else {
    print_result(res, o, gt.size(), dt.size());
  }
  return 0;
}

int cmd_stream(const std::vector<std::string>& args) {
  eval_options o;
  if (!parse_eval_options(args, true, o, false)) return 0;
  if (o.positional.size() != 1) usage_fail("stream needs one FRAMES.jsonl (or - for stdin)");
  o.p.validate();

  frame_source reader = open_stream(o.positional[0], o);
  auto run = [&](auto& ev) {
    coco::run_stream([&reader](coco::frame& f) { return reader.next(f); }, ev, o.threads);
    print_result(ev.finalize(), o, ev.ground_truths(), ev.detections());
  };
  if (o.bins > 0) {
    coco::binned_stream_evaluator ev(reader.categories(), o.p, o.specs, o.bins);
    run(ev);
  } else {
    coco::stream_evaluator ev(reader.categories(), o.p, o.specs);
    run(ev);
  }
  return 0;
}

/// Reads a thresholds file: a JSON object mapping category ids ("all" for the pooled category) to scores.
std::map<std::int64_t, double> load_thresholds(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  simdjson::padded_string json;
  if (simdjson::padded_string::load(path).get(json)) throw input_error(path + ": cannot read file");
  if (parser.parse(json).get_object().get(obj))
    throw input_error(path + ": expected a JSON object {\"<category id>\": threshold, ...}");
  std::map<std::int64_t, double> out;
  for (auto [key, value] : obj) {
    const std::string k(key);
    std::int64_t id = audit::class_agnostic_id;
    if (k != "all") {
      const auto [p, ec] = std::from_chars(k.data(), k.data() + k.size(), id);
      if (ec != std::errc() || p != k.data() + k.size())
        throw input_error(path + ": key '" + k + "': expected a category id or \"all\"");
    }
    double v = 0;
    if (value.get_double().get(v) || !std::isfinite(v))
      throw input_error(path + ": category " + k + ": expected a finite number");
    out[id] = v;
  }
  return out;
}

/// The options of the audit's operating points (--iou, --score-threshold, --thresholds, --choose, --interval,
/// --confidence), shared by audit and baseline freeze: true when args[i] is one (its value consumed).
bool parse_operating_option(const std::vector<std::string>& args, std::size_t& i, audit::audit_options& ao,
                            int& threshold_options) {
  const auto& a = args[i];
  auto value = [&]() -> const std::string& {
    if (i + 1 >= args.size()) usage_fail(a + " needs a value");
    return args[++i];
  };
  if (a == "--iou") {
    ao.ious.clear();
    for (const auto& v : split(value(), ',')) ao.ious.push_back(parse_double(v, a));
  } else if (a == "--score-threshold") {
    ao.thresholds.what = audit::threshold_policy::kind::global;
    ao.thresholds.global = parse_double(value(), a);
    if (!std::isfinite(ao.thresholds.global)) usage_fail("--score-threshold: expected a finite number");
    ++threshold_options;
  } else if (a == "--thresholds") {
    ao.thresholds.what = audit::threshold_policy::kind::per_category;
    ao.thresholds.per_category = load_thresholds(value());
    ++threshold_options;
  } else if (a == "--choose") {
    ao.thresholds.what = audit::threshold_policy::kind::chosen;
    ao.thresholds.rule = audit::choice_rule::parse(value());
    ++threshold_options;
  } else if (a == "--interval") {
    ao.method = audit::parse_interval_method(value());
  } else if (a == "--confidence") {
    const double v = parse_double(value(), a);
    if (!(v > 0 && v < 1)) usage_fail("--confidence: expected a level in (0, 1)");
    ao.conf = confidence(v);
  } else {
    return false;
  }
  return true;
}

/// The audit of a JSONL frame stream (the main thread reads, o.threads match).
audit::audit_result audit_stream(const std::string& path, const eval_options& o,
                                 const audit::audit_options& ao) {
  frame_source reader = open_stream(path, o);
  audit::audit_stream au(reader.categories(), o.p, ao.calibration ? ao.ious : std::vector<double>{});
  coco::run_stream([&reader](coco::frame& f) { return reader.next(f); }, au, o.threads);
  return au.finalize(o.specs, ao);
}

/// Progress of a long run on stderr, only when stderr is a terminal: each stage as it starts, and its time
/// when it ends.
class stage_progress {
 public:
  stage_progress() : on_(isatty(2) != 0) {}
  void start(const std::string& what) {
    end();
    if (!on_) return;
    what_ = what;
    t0_ = std::chrono::steady_clock::now();
    std::fprintf(stderr, "stratum: %s...\n", what.c_str());
  }
  void end() {
    if (!on_ || what_.empty()) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    std::fprintf(stderr, "%sstratum: %s: done in %.1f s\n", counted_ ? "\n" : "", what_.c_str(), s);
    what_.clear();
    counted_ = false;
  }
  /// A counter of the stage's replicates, "stratum: <stage>: 37/200" rewritten in place at most five times a
  /// second (called from one worker thread while this thread waits); empty when stderr is not a terminal.
  std::function<void(std::size_t)> counter(std::size_t total) {
    if (!on_) return {};
    return [this, total, last = std::chrono::steady_clock::time_point{}](std::size_t n) mutable {
      const auto now = std::chrono::steady_clock::now();
      if (n < total && now - last < std::chrono::milliseconds(200)) return;
      last = now;
      std::fprintf(stderr, "\rstratum: %s: %zu/%zu", what_.c_str(), n, total);
      counted_ = true;
    };
  }
  ~stage_progress() { end(); }

 private:
  bool on_, counted_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point t0_;
};

/// An audit as the command line asked for it, with every part it computed.
struct audit_run {
  eval_options o;
  audit::audit_options ao;
  std::string stream_path;
  audit::audit_result res;
  std::vector<audit::findings> found;
  std::vector<audit::production_estimates> production;
  std::optional<audit::audit_bootstrap> bs;
  std::vector<audit::operating_curves> curves;
  std::vector<audit::operating_errors> errs;
  std::vector<audit::operating_calibration> cal;
  bool have_production = false;
  std::size_t curve_points = 0;
};

/// Defaults a caller sets before the audit options are parsed (stratum report: calibration, curves and the
/// bootstrap on unless switched off).
struct audit_defaults {
  bool calibration = false;
  std::size_t curve_points = 0;
  std::size_t bootstrap = 0;
};

/// Parses the audit's options and runs it; `d` the defaults (stratum report's differ from stratum audit's).
audit_run run_audit_command(const std::vector<std::string>& args, const audit_defaults& d = {}) {
  audit_run run;
  auto& ao = run.ao;
  ao.calibration = d.calibration;
  std::vector<std::string> rest;
  int threshold_options = 0;
  double max_half_width = 0;
  std::string production_file;
  std::string& stream_path = run.stream_path;
  bool streamed = false;
  std::size_t& curve_points = run.curve_points;  // 0: no curves
  curve_points = d.curve_points;
  audit::calibration_options co;
  bool high_confidence_given = false, bins_given = false;
  auto adjustment = stats::p_value_adjustment::holm;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_fail(a + " needs a value");
      return args[++i];
    };
    if (parse_operating_option(args, i, ao, threshold_options)) {
    } else if (a == "--production") {
      production_file = value();
    } else if (a == "--curves") {
      const long v = parse_long(value(), a);
      if (v < 2 || v > 1000000) usage_fail("--curves: expected 2 to 1000000 points per curve");
      curve_points = static_cast<std::size_t>(v);
    } else if (a == "--calibration") {
      ao.calibration = true;
    } else if (a ==
               "--bins") {  // the audit's: calibration bins (the evaluation's bounded mode is not offered)
      const long v = parse_long(value(), a);
      if (v < 1 || v > static_cast<long>(calibration::bin_edges::max_bins))
        usage_fail("--bins: expected 1 to 1048576 calibration bins");
      co.bins = static_cast<std::size_t>(v);
      bins_given = true;
    } else if (a == "--ood-attribute") {
      const auto& v = value();
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0)
        usage_fail("--ood-attribute: expected KEY=VALUE, got '" + v + "'");
      co.ood_key = v.substr(0, eq);
      co.ood_value = v.substr(eq + 1);
    } else if (a == "--high-confidence") {
      co.high_confidence = parse_double(value(), a);
      if (!(co.high_confidence >= 0 && co.high_confidence <= 1))
        usage_fail("--high-confidence: expected a level in [0, 1]");
      high_confidence_given = true;
    } else if (a == "--stream") {
      stream_path = value();
      if (stream_path.empty()) usage_fail("--stream needs a path (or - for stdin)");
      streamed = true;
    } else if (a == "--max-halfwidth") {
      max_half_width = parse_double(value(), a);
      if (!(max_half_width > 0 && max_half_width < 1))
        usage_fail("--max-halfwidth: expected a number in (0, 1)");
    } else if (a == "--adjust") {
      const auto& v = value();
      if (v == "holm")
        adjustment = stats::p_value_adjustment::holm;
      else if (v == "bh")
        adjustment = stats::p_value_adjustment::benjamini_hochberg;
      else
        usage_fail("--adjust: expected holm or bh, got '" + v + "'");
    } else {
      rest.push_back(a);
    }
  }
  if (threshold_options > 1) usage_fail("give one of --score-threshold, --thresholds and --choose");
  eval_options& o = run.o;
  o.bootstrap = d.bootstrap;
  if (!parse_eval_options(rest, streamed, o, true)) std::exit(0);
  if (streamed ? !o.positional.empty() : o.positional.size() != 2)
    usage_fail(streamed ? "audit --stream FRAMES.jsonl takes no other file"
                        : "audit needs GT.json and DT.json");
  if (bins_given && !ao.calibration)
    usage_fail("audit: --bins needs --calibration (the audit itself keeps every kept detection)");
  if (high_confidence_given && !ao.calibration) usage_fail("audit: --high-confidence needs --calibration");
  if (!co.ood_key.empty() && !ao.calibration) usage_fail("audit: --ood-attribute needs --calibration");
  o.p.validate();
  ao.threads = o.threads;
  stage_progress progress;
  if (streamed) {
    progress.start("reading and matching the frames of " + stream_path);
    run.res = audit_stream(stream_path, o, ao);
  } else {
    progress.start("reading " + o.positional[0] + " and " + o.positional[1]);
    const auto [gt, dt] = load_inputs(o.positional[0], o.positional[1], o.attrs);
    progress.start("matching " + std::to_string(dt.size()) + " detections on " +
                   std::to_string(gt.images.size()) + " images");
    run.res = audit::run_audit(gt, dt, o.p, o.specs, ao);
  }
  progress.start("counting, findings and errors");
  const auto& res = run.res;
  auto& found = run.found;
  for (const auto& op : res.points) found.push_back(audit::find(res, op, max_half_width, adjustment));
  auto& production = run.production;
  run.have_production = !production_file.empty();
  if (!production_file.empty()) {
    const auto mix = io::load_production_mix(production_file);
    audit::validate(mix, res, production_file);
    for (const auto& op : res.points) production.push_back(audit::estimate_production(res, op, mix));
  }
  auto& bs = run.bs;
  if (o.bootstrap > 0) {
    progress.start("image bootstrap: " + std::to_string(o.bootstrap) + " replicates of " +
                   std::to_string(res.p->img_ids.size()) + " images");
    bs = audit::bootstrap(res, {o.bootstrap, o.seed, ao.conf, o.threads, progress.counter(o.bootstrap)});
    progress.start("curves and errors");
  }
  auto& curves = run.curves;
  if (curve_points > 0)
    for (const auto& op : res.points) curves.push_back(audit::curves(res, op, curve_points));
  auto& errs = run.errs;
  for (const auto& op : res.points) errs.push_back(audit::errors(res, op));
  auto& cal = run.cal;
  if (ao.calibration)
    progress.start(o.bootstrap > 0
                       ? "calibration, with " + std::to_string(o.bootstrap) + " bootstrap replicates"
                       : std::string("calibration"));
  if (ao.calibration)
    for (const auto& op : res.points) {
      cal.push_back(audit::calibrate(res, op, co));
      if (o.bootstrap > 0)
        audit::bootstrap_calibration(
            res, op, cal.back(), {o.bootstrap, o.seed, ao.conf, o.threads, progress.counter(o.bootstrap)});
    }
  return run;
}

int cmd_audit(const std::vector<std::string>& args) {
  const auto run = run_audit_command(args);
  const report::audit_parts parts{&run.found,
                                  run.have_production ? &run.production : nullptr,
                                  run.bs ? &*run.bs : nullptr,
                                  run.curve_points > 0 ? &run.curves : nullptr,
                                  &run.errs,
                                  run.ao.calibration ? &run.cal : nullptr};
  if (run.o.json)
    std::fputs(report::audit_json(run.res, parts).c_str(), stdout);
  else
    report::print_audit(run.res, stdout, parts);
  return 0;
}

/// Writes `text` to `path`; input_error naming the file when it cannot.
void write_text(const std::string& path, const std::string& text) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw input_error(path + ": cannot open for writing: " + std::strerror(errno));
  if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size() || std::fflush(f.get()) != 0)
    throw input_error(path + ": write error: " + std::strerror(errno));
}

std::string utc_time(std::int64_t t);
baseline::input_file input_of(const std::string& role, const std::string& path);

/// Who runs this: $USER (or the login name) at the host name.
std::string run_by() {
  const char* u = std::getenv("USER");
  std::string user = u && *u ? u : "";
  if (user.empty())
    if (const char* l = getlogin(); l) user = l;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  return (user.empty() ? "unknown" : user) + "@" + (host[0] ? host : "unknown");
}

/// Writes a ground truth (and detections) as files of another format into `dir` (stratum convert --to).
void write_converted(const std::string& to, const std::string& dir, const coco::ground_truth& gt,
                     const coco::detection_set* dt) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create the directory (" + ec.message() + ")");
  if (to != "voc") {  // only VOC's difficult says "ignored" in another format (JSONL keeps the flag)
    std::size_t ignored = 0;
    for (const auto fl : gt.flags) ignored += (fl & gt_flag::ignored) != 0;
    if (ignored)
      std::fprintf(stderr,
                   "stratum: %zu objects are flagged ignored (e.g. VOC's difficult), which %s cannot say: "
                   "they count as ordinary objects there%s; --to jsonl or voc keeps them ignored\n",
                   ignored, to.c_str(),
                   to == "coco" ? " (written with \"ignore\": 1, which pycocotools does not read)" : "");
  }
  std::string text;
  if (to == "yolo") {
    const auto labels = io::yolo_text_of(gt, nullptr);
    io::write_label_files(dir + "/labels", labels.files);
    io::detail::write_text_file(dir + "/classes.txt", labels.classes);
    io::detail::write_text_file(dir + "/image_sizes.csv", labels.sizes);
    if (dt) io::write_label_files(dir + "/predictions", io::yolo_text_of(gt, dt).files);
    return;
  }
  if (to == "kitti") {
    io::write_label_files(dir + "/labels", io::kitti_text_of(gt, nullptr));
    std::string classes;
    for (const auto& c : gt.categories) classes += c.name + "\n";
    io::detail::write_text_file(dir + "/classes.txt", classes);
    if (dt) io::write_label_files(dir + "/predictions", io::kitti_text_of(gt, dt));
    return;
  }
  if (to == "voc") {
    io::write_label_files(dir + "/Annotations", io::voc_xml_of(gt), ".xml");
    std::string classes;
    for (const auto& c : gt.categories) classes += c.name + "\n";
    io::detail::write_text_file(dir + "/classes.txt", classes);
    if (dt) io::write_label_files(dir + "/results", io::voc_results_text_of(gt, *dt));
    return;
  }
  if (to == "coco")
    io::append_coco_ground_truth(text, gt);
  else
    io::append_scalabel(text, gt, nullptr);
  io::detail::write_text_file(dir + "/gt.json", text);
  if (!dt) return;
  text.clear();
  if (to == "coco")
    io::append_coco_results(text, *dt);
  else
    io::append_scalabel(text, gt, dt);
  io::detail::write_text_file(dir + "/dt.json", text);
}

int cmd_convert(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  std::string out_path, to = "jsonl";
  bool have_out = false, have_to = false;
  attribute_args attrs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (parse_attribute_option(args, i, attrs)) {
      continue;
    } else if (a == "-o" || a == "--output") {
      if (i + 1 >= args.size()) usage_fail(a + " needs a value");
      if (have_out) usage_fail(a + " given twice");
      out_path = args[++i];
      have_out = true;
      if (out_path.empty()) usage_fail(a + " needs a non-empty path");
    } else if (a == "--to") {
      if (i + 1 >= args.size()) usage_fail(a + " needs a value");
      if (have_to) usage_fail(a + " given twice");
      to = args[++i];
      have_to = true;
      if (to != "jsonl" && to != "coco" && to != "scalabel" && to != "yolo" && to != "kitti" && to != "voc")
        usage_fail("--to: expected jsonl, coco, scalabel, yolo, kitti or voc (got '" + to + "')");
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      usage_fail("unknown option " + a);
    } else {
      pos.push_back(a);
    }
  }
  check_attribute_args(attrs);
  if (to != "jsonl") {
    if (pos.empty() || pos.size() > 2) usage_fail("convert --to " + to + " needs GT and optionally DT");
    if (!have_out) usage_fail("convert --to " + to + " needs -o DIR");
    if (pos.size() == 1) {
      write_converted(to, out_path, load_ground_truth(pos[0], attrs), nullptr);
    } else {
      const auto in = load_inputs(pos[0], pos[1], attrs);
      write_converted(to, out_path, in.gt, &in.dt);
    }
    return 0;
  }
  if (pos.size() != 2) usage_fail("convert needs GT.json and DT.json");
  const auto [gt, dt] = load_inputs(pos[0], pos[1], attrs);

  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  const std::string name = have_out ? out_path : "<stdout>";
  if (have_out) {
    file.reset(std::fopen(out_path.c_str(), "wb"));
    if (!file) throw std::runtime_error(out_path + ": cannot open for writing: " + std::strerror(errno));
    out = file.get();
  }
  std::string buf;
  auto flush = [&] {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size())
      throw std::runtime_error(name + ": write error: " + std::strerror(errno));
    buf.clear();
  };
  io::append_stream_header(buf, gt.categories);
  coco::for_each_coco_frame(gt, dt, [&](const coco::frame& f) {
    io::append_frame(buf, f);
    if (buf.size() >= (1u << 20)) flush();
  });
  flush();
  if (std::fflush(out) != 0) throw std::runtime_error(name + ": write error: " + std::strerror(errno));
  if (file && std::fclose(file.release()) != 0)
    throw std::runtime_error(name + ": write error: " + std::strerror(errno));
  return 0;
}

/// The bytes of a file; input_error naming it when it cannot be read.
std::vector<std::byte> read_bytes(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw input_error(path + ": cannot open for reading: " + std::strerror(errno));
  std::vector<std::byte> out;
  std::byte buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.insert(out.end(), buf, buf + n);
  if (std::ferror(f.get())) throw input_error(path + ": read error");
  return out;
}

baseline::input_file input_of(const std::string& role, const std::string& path) {
  if (is_directory(path)) {  // label files: the SHA-256 of the listing "name NUL sha256-hex LF", names sorted
    std::map<std::string, std::string> files;
    std::uint64_t size = 0;
    // the folder whose files are read: a VOC root's Annotations/, else the folder itself
    for (const auto& e : std::filesystem::directory_iterator(io::voc_annotation_dir(path)))
      if (e.is_regular_file()) {
        files[e.path().filename().string()] = detail::sha256::hex(detail::sha256_of_file(e.path().string()));
        size += static_cast<std::uint64_t>(e.file_size());
      }
    std::string listing;
    for (const auto& [name, hex] : files) listing += name + '\0' + hex + '\n';
    return {role, path, size, detail::sha256::of(listing.data(), listing.size())};
  }
  const auto digest = detail::sha256_of_file(path);  // input_error naming the file when it cannot be read
  return {role, path, static_cast<std::uint64_t>(std::filesystem::file_size(path)), digest};
}

/// stratum baseline freeze GT.json DT.json | --stream FRAMES.jsonl [options] -o FILE [--no-timestamp]
int cmd_baseline_freeze(const std::vector<std::string>& args) {
  audit::audit_options ao;
  std::vector<std::string> rest;
  int threshold_options = 0;
  std::string stream_path, out_path;
  bool timestamp = true, with_profile = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (parse_operating_option(args, i, ao, threshold_options)) continue;
    if (a == "--stream" || a == "-o") {
      if (i + 1 >= args.size() || args[i + 1].empty()) usage_fail(a + " needs a path");
      (a == "-o" ? out_path : stream_path) = args[++i];
    } else if (a == "--no-timestamp") {
      timestamp = false;
    } else if (a == "--no-profile") {
      with_profile = false;
    } else {
      rest.push_back(a);
    }
  }
  if (threshold_options > 1) usage_fail("give one of --score-threshold, --thresholds and --choose");
  eval_options o;
  const bool streamed = !stream_path.empty();
  if (!parse_eval_options(rest, streamed, o, false)) return 0;
  if (streamed ? !o.positional.empty() : o.positional.size() != 2)
    usage_fail(streamed ? "baseline freeze --stream FRAMES.jsonl takes no other file"
                        : "baseline freeze needs GT.json and DT.json (or --stream FRAMES.jsonl)");
  if (out_path.empty()) usage_fail("baseline freeze needs -o FILE");
  if (o.json) usage_fail("baseline freeze writes a file and prints no JSON");
  if (o.bins > 0)
    usage_fail("baseline freeze: --bins (bounded mode) is not offered: the baseline keeps every record");
  if (streamed && stream_path == "-")
    usage_fail("baseline freeze --stream: give a file (its SHA-256 is recorded)");
  o.p.validate();
  ao.threads = o.threads;
  std::vector<baseline::input_file> inputs;
  std::optional<audit::audit_stream> au;
  baseline::profile prof;
  const auto ids_of = [](const std::vector<coco::category_info>& cats) {
    std::vector<std::int64_t> ids;
    for (const auto& c : cats) ids.push_back(c.id);
    return ids;
  };
  const auto profile_hint = [](const input_error& e) {
    return input_error(std::string(e.what()) +
                       " (baseline freeze --no-profile freezes without the drift profile)");
  };
  if (streamed) {
    inputs.push_back(input_of("frames", stream_path));
    if (!o.categories_file.empty()) inputs.push_back(input_of("categories", o.categories_file));
    if (!o.attrs.file.empty()) inputs.push_back(input_of("attributes", o.attrs.file));
    frame_source reader = open_stream(stream_path, o);
    au.emplace(reader.categories(), o.p);
    coco::run_stream([&reader](coco::frame& f) { return reader.next(f); }, *au, o.threads);
    if (with_profile) try {
        prof = baseline::build_profile(ids_of(reader.categories()), o.specs, [&](auto&& fn) {
          frame_source again = open_stream(stream_path, o, false);
          coco::frame f;
          while (again.next(f)) fn(f);
        });
      } catch (const input_error& e) {
        throw profile_hint(e);
      }
  } else {
    inputs.push_back(input_of("ground truth", o.positional[0]));
    inputs.push_back(input_of("detections", o.positional[1]));
    if (!o.attrs.file.empty()) inputs.push_back(input_of("attributes", o.attrs.file));
    if (!o.attrs.classes_file.empty()) inputs.push_back(input_of("classes", o.attrs.classes_file));
    if (!o.attrs.sizes_file.empty()) inputs.push_back(input_of("image sizes", o.attrs.sizes_file));
    if (!o.attrs.images_dir.empty()) inputs.push_back(input_of("images", o.attrs.images_dir));
    if (!o.attrs.image_set.empty()) inputs.push_back(input_of("image set", o.attrs.image_set));
    const auto [gt, dt] = load_inputs(o.positional[0], o.positional[1], o.attrs);
    au.emplace(gt.categories, o.p);
    coco::for_each_coco_frame(gt, dt, [&](const coco::frame& f) { au->add(f); });
    if (with_profile) try {
        prof = baseline::build_profile(ids_of(gt.categories), o.specs,
                                       [&](auto&& fn) { coco::for_each_coco_frame(gt, dt, fn); });
      } catch (const input_error& e) {
        throw profile_hint(e);
      }
  }
  const auto res = au->finalize(o.specs, ao);
  const auto b =
      baseline::freeze(*au, o.p, res, o.specs, ao, std::move(inputs),
                       timestamp ? static_cast<std::int64_t>(std::time(nullptr)) : 0, std::move(prof));
  const auto bytes = b.serialize();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(out_path.c_str(), "wb"), &std::fclose);
  if (!f) throw std::runtime_error(out_path + ": cannot open for writing: " + std::strerror(errno));
  if (std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size() || std::fclose(f.release()) != 0)
    throw std::runtime_error(out_path + ": write error: " + std::strerror(errno));
  std::printf(
      "baseline %s: %zu frames, %llu ground truths, %llu detections, %zu operating point(s); %zu bytes\n",
      out_path.c_str(), b.audit.frames.size(), static_cast<unsigned long long>(b.audit.ground_truths),
      static_cast<unsigned long long>(b.audit.detections), b.points.size(), bytes.size());
  std::printf("content SHA-256 %s\n", detail::sha256::hex(b.content_sha256()).c_str());
  if (b.drift.is_identity())
    std::printf("no drift profile (--no-profile): stratum drift cannot use this file\n");
  return 0;
}

std::string utc_time(std::int64_t t) {
  if (t == 0) return "not recorded";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t) + " s";
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// A baseline file read and checked; input_error naming the file, the offset and the field otherwise.
baseline::baseline_file load_baseline(const std::string& path, std::size_t& size) {
  const auto bytes = read_bytes(path);
  size = bytes.size();
  try {
    return baseline::baseline_file::deserialize(bytes);
  } catch (const input_error& e) {
    throw input_error(path + ": " + e.what());
  }
}

/// stratum baseline show FILE: what the file holds, and the frozen run's audit at each operating point.
int cmd_baseline_show(const std::vector<std::string>& args) {
  std::vector<std::string> pos;
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a.size() > 1 && a[0] == '-') usage_fail("unknown option " + a);
    pos.push_back(a);
  }
  if (pos.size() != 1) usage_fail("baseline show needs one FILE");
  std::size_t size = 0;
  const auto b = load_baseline(pos[0], size);
  std::printf("baseline %s (%zu bytes)\n", pos[0].c_str(), size);
  std::printf("  content SHA-256  %s\n", detail::sha256::hex(b.content_sha256()).c_str());
  std::printf("  written by       stratum %s, created %s\n", b.writer.c_str(), utc_time(b.created).c_str());
  std::printf("  fingerprint      %s (parameters and categories)\n", detail::hex64(b.fingerprint()).c_str());
  for (const auto& in : b.inputs)
    std::printf("  input            %s %s: %llu bytes, SHA-256 %s\n", in.role.c_str(), in.path.c_str(),
                static_cast<unsigned long long>(in.size), detail::sha256::hex(in.sha256).c_str());
  std::string slicing;
  for (const auto& sp : b.slicing) {
    std::string k;
    for (const auto& key : sp.keys) k += (k.empty() ? "" : "*") + key;
    slicing += (slicing.empty() ? "" : ", ") + k;
  }
  std::printf("  slicing          %s\n", slicing.empty() ? "none" : slicing.c_str());
  std::printf("  thresholds       %s; intervals %s at %.10g\n", b.policy.c_str(), audit::name(b.method),
              b.confidence_level);
  std::printf("  frames           %zu (%llu ground truths, %llu detections read)\n", b.audit.frames.size(),
              static_cast<unsigned long long>(b.audit.ground_truths),
              static_cast<unsigned long long>(b.audit.detections));
  if (b.drift.is_identity()) {
    std::printf("  drift profile    none (frozen with --no-profile, or a version-1 file)\n");
  } else {
    const auto& sets = b.drift.sets();
    const auto all = sets.find(baseline::profile::all_name);
    std::printf(
        "  drift profile    %zu sets (all and %zu slices), %llu frames, %llu detections; score deciles "
        "of all classes at",
        sets.size(), sets.size() - 1,
        static_cast<unsigned long long>(all == sets.end() ? 0 : all->second.frames),
        static_cast<unsigned long long>(all == sets.end() ? 0 : all->second.detections));
    for (const auto c : b.drift.bins().cuts[0][0])
      std::printf(" %.3f", static_cast<double>(c) * baseline::grids[0].width());
    std::printf("\n");
    const auto& e = b.drift.embedding();
    if (e.empty())
      std::printf("  embeddings       none (the frames carried none)\n");
    else
      std::printf("  embeddings       %zu dimensions, %u random features; %llu frames with one\n", e.dims(),
                  e.features,
                  static_cast<unsigned long long>(all == sets.end() ? 0 : all->second.embedding.frames));
  }
  std::printf("\nThe frozen run's audit (recomputed from the file's state):\n\n");
  for (std::size_t i = 0; i < b.points.size(); ++i) report::print_audit(baseline::audit_of(b, i), stdout);
  return 0;
}

/// stratum drift BASELINE FRAMES.jsonl|- | BASELINE GT.json DT.json [drift options]
/// What stratum drift was asked for (and what stratum report passes on to it).
struct drift_args {
  baseline::drift_options d;
  bool json = false, all = false, ignore_labels = false;
  std::uint64_t window = 0;  // --window N: frames per window (0: one window)
  std::string window_by;     // --window-by KEY
  attribute_args attrs;      // stratum drift: a table joined to the window's frames
};

/// Parses drift option args[i] (advancing i past its value); false when args[i] is not one.
bool parse_drift_option(const std::vector<std::string>& args, std::size_t& i, drift_args& o) {
  auto& d = o.d;
  const auto& a = args[i];
  const auto value = [&]() -> const std::string& {
    if (i + 1 >= args.size()) usage_fail(a + " needs a value");
    return args[++i];
  };
  if (a == "--alpha") {
    d.alpha = parse_double(value(), a);
    if (!(d.alpha > 0 && d.alpha < 1)) usage_fail("--alpha must be in (0, 1)");
  } else if (a == "--psi-warn" || a == "--psi-alarm") {
    const double v = parse_double(value(), a);
    if (!(v > 0) || !std::isfinite(v)) usage_fail(a + " must be a positive number");
    (a == "--psi-warn" ? d.psi_warn : d.psi_alarm) = v;
  } else if (a == "--min-frames") {
    const long v = parse_long(value(), a);
    if (v < 2) usage_fail("--min-frames must be at least 2");
    d.min_frames = static_cast<std::uint64_t>(v);
  } else if (a == "--rate-warn" || a == "--rate-alarm") {
    const double v = parse_double(value(), a);
    if (!(v > 0 && v <= 1)) usage_fail(a + " must be in (0, 1]");
    (a == "--rate-warn" ? d.rate_warn : d.rate_alarm) = v;
  } else if (a == "--embedding-warn" || a == "--embedding-alarm") {
    const double v = parse_double(value(), a);
    if (!(v > 0) || !std::isfinite(v)) usage_fail(a + " must be a positive number");
    (a == "--embedding-warn" ? d.embedding_warn : d.embedding_alarm) = v;
  } else if (a == "--ap-warn" || a == "--ap-alarm") {
    const double v = parse_double(value(), a);
    if (!(v > 0 && v <= 1)) usage_fail(a + " must be in (0, 1]");
    (a == "--ap-warn" ? d.ap_warn : d.ap_alarm) = v;
  } else if (a == "--ap-replicates") {
    const long v = parse_long(value(), a);
    if (v < 0 || v > 100000) usage_fail("--ap-replicates: expected 0 to 100000");
    d.ap_replicates = static_cast<std::size_t>(v);
  } else if (a == "--ap-seed") {  // the window draws with S + 1, the null draws with S + 2
    d.ap_seed = parse_seed(value(), a, std::numeric_limits<std::uint64_t>::max() - 2, "[0, 2^64 - 3]");
  } else if (a == "--ap-max-detections") {
    const long v = parse_long(value(), a);
    if (v < 1) usage_fail("--ap-max-detections must be at least 1");
    d.ap_max_detections = static_cast<std::uint64_t>(v);
  } else if (a == "--min-calibration") {
    const long v = parse_long(value(), a);
    if (v < 1) usage_fail("--min-calibration must be at least 1");
    d.min_calibration = static_cast<std::uint64_t>(v);
  } else if (a == "--ignore-labels") {
    o.ignore_labels = true;
  } else if (a == "--window-by") {
    o.window_by = value();
    if (o.window_by.empty()) usage_fail("--window-by needs an attribute key");
  } else {
    return false;
  }
  return true;
}

/// Compares the window(s) of `window_files` (FRAMES.jsonl or '-', or GT.json DT.json) with the baseline file
/// `baseline_path`; calls on_window(drift_window) per window, in stream order.
template <class OnWindow>
void run_drift(const std::string& baseline_path, const std::vector<std::string>& window_files,
               const drift_args& o, OnWindow&& on_window) {
  const auto& d = o.d;
  if (d.psi_alarm < d.psi_warn) usage_fail("--psi-alarm must be at least --psi-warn");
  if (d.rate_alarm < d.rate_warn) usage_fail("--rate-alarm must be at least --rate-warn");
  if (d.embedding_alarm < d.embedding_warn) usage_fail("--embedding-alarm must be at least --embedding-warn");
  if (d.ap_alarm < d.ap_warn) usage_fail("--ap-alarm must be at least --ap-warn");
  if (o.window > 0 && !o.window_by.empty()) usage_fail("give one of --window and --window-by");
  if ((o.window > 0 || !o.window_by.empty()) && window_files.size() != 1)
    usage_fail("--window and --window-by read a frame stream: give FRAMES.jsonl");
  const bool series = o.window > 0 || !o.window_by.empty();
  const auto& window = o.window;
  const auto& window_by = o.window_by;
  std::size_t size = 0;
  const auto b = load_baseline(baseline_path, size);
  if (b.drift.is_identity())
    throw input_error(baseline_path +
                      ": the baseline holds no drift profile (frozen with --no-profile, or by an older "
                      "version): freeze it again");
  const auto fresh = [&] { return b.drift.empty_like(); };
  // the operating points with the baseline's calibration, and the baseline's own sums: once
  const auto setup = baseline::setup_of(b, d.min_calibration);
  const auto base_sums = baseline::sums_of(b, setup);
  const std::uint64_t ap_keep = o.ignore_labels || d.ap_replicates == 0 ? 0 : d.ap_max_detections;
  std::optional<baseline::performance_window> perf;
  perf.emplace(b, setup, 1024, ap_keep);
  std::optional<baseline::ap_side> base_ap;  // the baseline's AP replicates: at the first labelled window
  const auto report = [&](const baseline::profile& w, std::uint64_t index, std::uint64_t first,
                          const std::string& label) {
    auto ws = perf->sums();
    if (o.ignore_labels) ws.labelled = false;
    if (ws.labelled && ap_keep > 0 && !base_ap)
      base_ap = baseline::ap_of(b, d.ap_replicates, d.ap_seed, d.threads);
    on_window(report::drift_window{
        baseline::compare(b, w, base_sums, ws, setup, d, base_ap ? &*base_ap : nullptr, perf->ap()), index,
        first, label});
  };
  auto w = fresh();
  if (window_files.size() == 2) {
    const auto [gt, dt] = load_inputs(window_files[0], window_files[1], o.attrs);
    try {
      coco::for_each_coco_frame(gt, dt, [&](const coco::frame& f) {
        w.add(f);
        perf->add(f);
      });
    } catch (const input_error& e) {
      throw input_error(window_files[1] + ": " + e.what());
    }
    report(w, 0, 0, "");
    return;
  }
  const auto& path = window_files[0];
  if (path == "-") std::ios::sync_with_stdio(false);  // before anything is read from stdin
  frame_source reader(path == "-" ? io::jsonl_reader(std::cin, "<stdin>", b.categories)
                                  : io::jsonl_reader::open(path, b.categories),
                      o.attrs, true);
  coco::frame f;
  std::uint64_t in_window = 0, index = 0, seen = 0;
  std::string current;                  // --window-by: the value of the window being counted
  std::set<std::string> closed_values;  // --window-by: values whose window has been reported
  while (reader.next(f)) {
    if (!window_by.empty()) {
      const std::string* v = window_by == "provenance" ? (f.provenance.empty() ? nullptr : &f.provenance)
                                                       : f.attribute(window_by);
      if (v == nullptr)
        throw input_error(path + ": frame " + std::to_string(f.id) + " has no value of " + window_by +
                          " (--window-by " + window_by + ")");
      if (in_window > 0 && *v != current) {
        report(w, index++, seen - in_window, current);
        closed_values.insert(current);
        w = fresh();
        perf.emplace(b, setup, 1024, ap_keep);
        in_window = 0;
      }
      if (closed_values.count(*v))
        throw input_error(path + ": frame " + std::to_string(f.id) + ": " + window_by + " = " + *v +
                          " again after other values: --window-by needs the frames of each value together");
      current = *v;
    }
    try {
      w.add(f);
      perf->add(f);
    } catch (const input_error& e) {
      throw input_error(path + ": " + e.what());
    }
    ++seen;
    ++in_window;
    if (window > 0 && in_window == window) {
      report(w, index++, seen - in_window, "");
      w = fresh();
      perf.emplace(b, setup, 1024, ap_keep);
      in_window = 0;
    }
  }
  if (seen == 0) throw input_error(path + ": no frames");
  if (!series || in_window > 0) {
    if (window > 0)
      std::fprintf(stderr, "stratum: the last window has %llu frames (fewer than %llu)\n",
                   static_cast<unsigned long long>(in_window), static_cast<unsigned long long>(window));
    report(w, index, seen - in_window, current);
  }
}

int cmd_drift(const std::vector<std::string>& args) {
  drift_args o;
  std::vector<std::string> pos;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    const auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_fail(a + " needs a value");
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (parse_drift_option(args, i, o) || parse_attribute_option(args, i, o.attrs)) {
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--all") {
      o.all = true;
    } else if (a == "--adjust") {
      const auto& v = value();
      if (v == "holm")
        o.d.adjustment = stats::p_value_adjustment::holm;
      else if (v == "bh")
        o.d.adjustment = stats::p_value_adjustment::benjamini_hochberg;
      else
        usage_fail("--adjust expects holm or bh, got '" + v + "'");
    } else if (a == "--threads") {
      const long v = parse_long(value(), a);
      if (v < 0 || v > 1024) usage_fail("--threads: expected 0 (all cores) to 1024");
      o.d.threads = static_cast<unsigned>(v);
    } else if (a == "--window") {
      const long v = parse_long(value(), a);
      if (v < 1) usage_fail("--window must be at least 1 frame");
      o.window = static_cast<std::uint64_t>(v);
    } else if (a.size() > 1 && a[0] == '-') {
      usage_fail("unknown option " + a);
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 2 && pos.size() != 3)
    usage_fail("drift needs BASELINE and a window: FRAMES.jsonl (or - for stdin), or GT.json DT.json");
  check_attribute_args(o.attrs);
  o.attrs.threads = o.d.threads;
  const bool series = o.window > 0 || !o.window_by.empty();
  run_drift(pos[0], {pos.begin() + 1, pos.end()}, o, [&](const report::drift_window& dw) {
    const auto& r = dw.r;
    if (o.json) {
      auto j = report::drift_json(r);
      if (series) {
        j.pop_back();  // newline
        j.pop_back();  // }
        j += ", \"window_index\": " + std::to_string(dw.index) +
             ", \"first_frame\": " + std::to_string(dw.first);
        if (!o.window_by.empty()) j += ", \"window_value\": " + stratum::detail::json_quoted(dw.label);
        j += "}\n";
      }
      std::fputs(j.c_str(), stdout);
    } else {
      if (series)
        std::printf("window %llu%s (frames %llu-%llu of the stream)\n",
                    static_cast<unsigned long long>(dw.index),
                    o.window_by.empty() ? "" : (", " + o.window_by + "=" + dw.label).c_str(),
                    static_cast<unsigned long long>(dw.first),
                    static_cast<unsigned long long>(dw.first + r.window_frames - 1));
      report::print_drift(r, stdout, o.all);
      if (series) std::printf("\n");
    }
  });
  return 0;
}

/// stratum report [audit options] --criteria FILE -o DIR
int cmd_report(const std::vector<std::string>& args, const std::string& command_line) {
  std::string criteria_path, out_dir, baseline_path, window_path;
  audit_defaults d{true, 200, 200};
  drift_args da;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_fail(a + " needs a value");
      return args[++i];
    };
    if (a == "--criteria")
      criteria_path = value();
    else if (a == "--baseline")
      baseline_path = value();
    else if (a == "--window")
      window_path = value();
    else if (a == "--window-frames") {
      const long v = parse_long(value(), a);
      if (v < 1) usage_fail("--window-frames must be at least 1 frame");
      da.window = static_cast<std::uint64_t>(v);
    } else if (parse_drift_option(args, i, da)) {
    } else if (a == "-o")
      out_dir = value();
    else if (a == "--no-calibration")
      d.calibration = false;
    else if (a == "--no-bootstrap")
      d.bootstrap = 0;
    else if (a == "--json" || a == "--curves")
      usage_fail("report: " + a + " is not a report option (the pack holds evidence.json and the curves)");
    else
      rest.push_back(a);
  }
  if (criteria_path.empty())
    usage_fail("report needs --criteria FILE (the reviewer's criteria, docs/evidence_pack.md)");
  if (out_dir.empty())
    usage_fail("report needs -o DIR (where evidence.json, evidence.md and evidence.html go)");
  if (baseline_path.empty() != window_path.empty())
    usage_fail("report: --baseline FILE and --window FRAMES.jsonl go together");
  if (window_path == "-") usage_fail("report: the window must be a file (its SHA-256 goes into the trail)");
  const auto criteria = io::load_criteria(criteria_path);  // bad criteria before the audit
  const bool tty = isatty(2);
  const auto run = run_audit_command(rest, d);
  std::vector<report::drift_window> windows;
  if (!baseline_path.empty()) {
    if (tty)
      std::fprintf(stderr, "stratum: comparing %s with the baseline %s...\n", window_path.c_str(),
                   baseline_path.c_str());
    da.d.threads = run.o.threads;
    run_drift(baseline_path, {window_path}, da,
              [&](report::drift_window w) { windows.push_back(std::move(w)); });
  }
  if (tty) std::fprintf(stderr, "stratum: writing the pack...\n");
  if (run.stream_path == "-")
    usage_fail("report: the frames must be a file (its SHA-256 goes into the trail)");
  report::evidence_inputs in;
  in.r = &run.res;
  in.found = &run.found;
  in.bootstrap = run.bs ? &*run.bs : nullptr;
  in.curves = &run.curves;
  in.errors = &run.errs;
  in.calibration = run.ao.calibration ? &run.cal : nullptr;
  in.criteria = &criteria;
  if (!run.stream_path.empty()) {
    in.inputs.push_back(input_of("frames", run.stream_path));
    if (!run.o.categories_file.empty()) in.inputs.push_back(input_of("categories", run.o.categories_file));
  } else {
    in.inputs.push_back(input_of("ground truth", run.o.positional[0]));
    in.inputs.push_back(input_of("detections", run.o.positional[1]));
  }
  if (!run.o.attrs.file.empty()) in.inputs.push_back(input_of("attributes", run.o.attrs.file));
  if (!run.o.attrs.classes_file.empty()) in.inputs.push_back(input_of("classes", run.o.attrs.classes_file));
  if (!run.o.attrs.sizes_file.empty()) in.inputs.push_back(input_of("image sizes", run.o.attrs.sizes_file));
  if (!run.o.attrs.images_dir.empty()) in.inputs.push_back(input_of("images", run.o.attrs.images_dir));
  if (!run.o.attrs.image_set.empty()) in.inputs.push_back(input_of("image set", run.o.attrs.image_set));
  in.criteria_file = input_of("criteria", criteria_path);
  in.command_line = command_line;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e) now = std::strtoll(e, nullptr, 10);
  in.created_utc = utc_time(now);
  in.run_by = run_by();
  const auto& p = run.res.p;
  std::string ious, slicing;
  for (const auto& op : run.res.points) ious += (ious.empty() ? "" : ", ") + fixed3(op.iou);
  for (const auto& sp : run.res.specs) {
    std::string k;
    for (const auto& x : sp.keys) k += (k.empty() ? "" : "*") + x;
    slicing += (slicing.empty() ? "" : ", ") + k;
  }
  in.parameters = {
      {"operating IoU", ious},
      {"score thresholds", run.ao.thresholds.str()},
      {"intervals", std::string(audit::name(run.ao.method)) + " (binomial), exact Poisson (FPPI), at " +
                        report::evidence_detail::show(run.ao.conf.level())},
      {"image bootstrap",
       run.bs ? std::to_string(run.bs->replicates) + " replicates, seed " + std::to_string(run.bs->seed)
              : "off"},
      {"calibration", run.ao.calibration ? "on" : "off"},
      {"slicing", slicing.empty() ? "none" : slicing},
      {"use_cats", p->use_cats ? "1" : "0"},
      {"max_dets", std::to_string(p->max_dets.back())}};
  if (!windows.empty()) {
    in.drift = &windows;
    in.baseline_file = input_of("baseline", baseline_path);
    in.window_file = input_of("window", window_path);
    const auto& dd = da.d;
    in.drift_options =
        "Flags: " +
        std::string(dd.adjustment == stats::p_value_adjustment::holm ? "Holm" : "Benjamini-Hochberg") +
        " at " + report::evidence_detail::show(dd.alpha) + "; PSI warn " +
        report::evidence_detail::show(dd.psi_warn) + ", alarm " +
        report::evidence_detail::show(dd.psi_alarm) + "; rates warn " +
        report::evidence_detail::show(dd.rate_warn) + ", alarm " +
        report::evidence_detail::show(dd.rate_alarm) + "; AP warn " +
        report::evidence_detail::show(dd.ap_warn) + ", alarm " + report::evidence_detail::show(dd.ap_alarm) +
        " (" + std::to_string(dd.ap_replicates) + " bootstrap replicates, seed " +
        std::to_string(dd.ap_seed) + ")" +
        (da.window ? "; windows of " + std::to_string(da.window) + " frames" : "") +
        (da.window_by.empty() ? "" : "; one window per " + da.window_by) + ".";
  }
  const auto pack = report::build_evidence(in);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw input_error(out_dir + ": cannot create the directory: " + ec.message());
  const auto base = std::filesystem::path(out_dir);
  write_text((base / "evidence.json").string(), pack.json);
  write_text((base / "evidence.md").string(), pack.markdown);
  write_text((base / "evidence.html").string(), pack.html);
  std::printf("evidence pack: %zu PASS, %zu FAIL, %zu INCONCLUSIVE of %zu criteria (reviewer: %s)\n",
              pack.pass, pack.fail, pack.inconclusive, criteria.criteria.size(), criteria.reviewer.c_str());
  std::printf("  %s\n  %s\n  %s\n", (base / "evidence.html").c_str(), (base / "evidence.md").c_str(),
              (base / "evidence.json").c_str());
  return 0;
}

int cmd_baseline(const std::vector<std::string>& args) {
  if (args.empty()) usage_fail("baseline needs a subcommand: freeze or show");
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "freeze") return cmd_baseline_freeze(rest);
  if (args[0] == "show") return cmd_baseline_show(rest);
  usage_fail("baseline: unknown subcommand '" + args[0] + "' (freeze or show)");
}

}  // namespace

int main(int argc, char** argv) {
  reexec_with_huge_pages(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) usage_fail("missing command (coco, stream, convert, audit or baseline)");
    if (args[0] == "-h" || args[0] == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    const std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "coco") return cmd_coco(args);
    if (cmd == "stream") return cmd_stream(args);
    if (cmd == "convert") return cmd_convert(args);
    if (cmd == "audit") return cmd_audit(args);
    if (cmd == "baseline") return cmd_baseline(args);
    if (cmd == "drift") return cmd_drift(args);
    if (cmd == "report") {
      std::string line = "stratum";
      for (int i = 1; i < argc; ++i) line += std::string(" ") + argv[i];
      return cmd_report(args, line);
    }
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
