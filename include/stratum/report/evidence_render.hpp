// Rendering the evidence pack's document (report/evidence_doc.hpp) as Markdown and as one self-contained HTML
// file (inline style, inline SVG plots, one inline script that sorts tables; no network, no external file:
// its Content-Security-Policy forbids every fetch), and the SVG plots themselves.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "../detail/markup.hpp"
#include "evidence_doc.hpp"

namespace stratum::report::evidence_detail {

[[nodiscard]] inline std::string html_escape(const std::string& s) {
  return stratum::detail::markup_escaped(s);
}

[[nodiscard]] inline std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '`' || c == '<' || c == '[' || c == ']' || c == '\\')
      out += '\\';
    if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

inline std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

/// A row of a forest plot: a value and its interval.
struct forest_row {
  std::string label;
  double value, lower, upper;
  std::string cls = {};  // "ok", "mid" or "bad": the colour, when there is no limit to read it off
};

/// Tick values at a round step (1, 2 or 5 times a power of ten) covering [lo, hi], about `n` of them.
[[nodiscard]] inline std::vector<double> nice_ticks(double lo, double hi, int n = 4) {
  const double raw = (hi - lo) / n;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / p <= 1 ? p : raw / p <= 2 ? 2 * p : raw / p <= 5 ? 5 * p : 10 * p;
  std::vector<double> out;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step)
    out.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return out;
}

/// A forest plot: each row's value (dot) and interval (line) on [0, xmax] (from below 0 when a bound is),
/// the limit (dashed, labelled `limit_label`) when given; with a limit, a row whose interval lies wholly on
/// the wrong side of it is red, straddling amber, else green; without, the row's own colour.
[[nodiscard]] inline std::string forest_svg(const std::vector<forest_row>& rows, std::optional<double> limit,
                                            bool at_most, const std::string& title,
                                            const std::string& limit_label = "limit") {
  // the axis: from 0 (or the lowest bound, for shifts) to the highest bound or the limit
  double xmin = std::min(0.0, limit.value_or(0)), xmax = limit.value_or(0);
  for (const auto& r : rows) {
    if (std::isfinite(r.upper)) xmax = std::max(xmax, r.upper);
    if (std::isfinite(r.lower)) xmin = std::min(xmin, r.lower);
  }
  if (xmin < 0) {
    const double pad = 0.05 * (xmax - xmin);
    xmin -= pad, xmax += pad;
  } else {
    if (!(xmax > 0)) xmax = 1;
    xmax = xmax <= 1 ? std::ceil(xmax * 10) / 10 : std::ceil(xmax);
  }
  const double left = 250, width = 380, top = 26, row_h = 16;
  const double H = top + row_h * static_cast<double>(rows.size()) + 30;
  auto X = [&](double v) { return left + width * std::clamp((v - xmin) / (xmax - xmin), 0.0, 1.0); };
  std::string s = "<svg width=\"660\" height=\"" + px(H) + "\" viewBox=\"0 0 660 " + px(H) +
                  "\" role=\"img\" aria-label=\"" + html_escape(title) + "\">";
  s += "<text x=\"4\" y=\"14\" class=\"t\">" + html_escape(title) + "</text>";
  for (const double v : nice_ticks(xmin, xmax)) {
    s += "<line x1=\"" + px(X(v)) + "\" x2=\"" + px(X(v)) + "\" y1=\"" + px(top - 4) + "\" y2=\"" +
         px(H - 26) + "\" class=\"grid\"/>";
    s += "<text x=\"" + px(X(v)) + "\" y=\"" + px(H - 12) + "\" class=\"ax\" text-anchor=\"middle\">" +
         show(v) + "</text>";
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double y = top + row_h * (static_cast<double>(i) + 0.5);
    std::string cls = r.cls.empty() ? "ok" : r.cls;
    if (limit && r.cls.empty()) {
      const bool bad = at_most ? r.lower > *limit : r.upper < *limit;
      const bool good = at_most ? r.upper <= *limit : r.lower >= *limit;
      cls = bad ? "bad" : good ? "ok" : "mid";
    }
    s += "<text x=\"" + px(left - 6) + "\" y=\"" + px(y + 4) + "\" class=\"lb\" text-anchor=\"end\">" +
         html_escape(r.label.size() > 40 ? r.label.substr(0, 39) + "~" : r.label) + "</text>";
    if (std::isfinite(r.lower) && std::isfinite(r.upper))
      s += "<line x1=\"" + px(X(r.lower)) + "\" x2=\"" + px(X(r.upper)) + "\" y1=\"" + px(y) + "\" y2=\"" +
           px(y) + "\" class=\"ci " + cls + "\"/>";
    if (std::isfinite(r.value))
      s += "<circle cx=\"" + px(X(r.value)) + "\" cy=\"" + px(y) + "\" r=\"3.5\" class=\"pt " + cls + "\"/>";
  }
  if (limit)
    s += "<line x1=\"" + px(X(*limit)) + "\" x2=\"" + px(X(*limit)) + "\" y1=\"" + px(top - 8) + "\" y2=\"" +
         px(H - 26) + "\" class=\"limit\"/><text x=\"" + px(X(*limit) + 3) + "\" y=\"" + px(top - 10) +
         "\" class=\"ax\">" + html_escape(limit_label) + " " + show(*limit) + "</text>";
  s += "</svg>";
  return s;
}

struct series {
  std::string name, cls;
  std::vector<std::pair<double, double>> points;
};
struct marker {
  double x, y;
  std::string label;
};

/// A line chart on [0, 1] x [0, 1] (curves: precision-recall, F1 against the threshold).
[[nodiscard]] inline std::string lines_svg(const std::vector<series>& ss, const std::vector<marker>& marks,
                                           const std::string& xlabel, const std::string& ylabel,
                                           const std::string& title, bool diagonal = false) {
  const double L = 40, T = 22, W = 240, H = 170;
  auto X = [&](double v) { return L + W * std::clamp(v, 0.0, 1.0); };
  auto Y = [&](double v) { return T + H * (1 - std::clamp(v, 0.0, 1.0)); };
  std::string s = "<svg width=\"300\" height=\"230\" viewBox=\"0 0 300 230\" role=\"img\" aria-label=\"" +
                  html_escape(title) + "\">";
  s += "<text x=\"4\" y=\"14\" class=\"t\">" + html_escape(title) + "</text>";
  for (int i = 0; i <= 4; ++i) {
    const double v = i / 4.0;
    s += "<line x1=\"" + px(X(v)) + "\" x2=\"" + px(X(v)) + "\" y1=\"" + px(T) + "\" y2=\"" + px(T + H) +
         "\" class=\"grid\"/><line x1=\"" + px(L) + "\" x2=\"" + px(L + W) + "\" y1=\"" + px(Y(v)) +
         "\" y2=\"" + px(Y(v)) + "\" class=\"grid\"/>";
    s += "<text x=\"" + px(X(v)) + "\" y=\"" + px(T + H + 12) + "\" class=\"ax\" text-anchor=\"middle\">" +
         show(v) + "</text><text x=\"" + px(L - 4) + "\" y=\"" + px(Y(v) + 3) +
         "\" class=\"ax\" text-anchor=\"end\">" + show(v) + "</text>";
  }
  s += "<text x=\"" + px(L + W / 2) + "\" y=\"" + px(T + H + 26) + "\" class=\"ax\" text-anchor=\"middle\">" +
       html_escape(xlabel) + "</text>";
  s += "<text x=\"10\" y=\"" + px(T + H / 2) +
       "\" class=\"ax\" text-anchor=\"middle\" transform=\"rotate(-90 10 " + px(T + H / 2) + ")\">" +
       html_escape(ylabel) + "</text>";
  if (diagonal)
    s += "<line x1=\"" + px(X(0)) + "\" y1=\"" + px(Y(0)) + "\" x2=\"" + px(X(1)) + "\" y2=\"" + px(Y(1)) +
         "\" class=\"diag\"/>";
  double ly = T + 8;
  for (const auto& se : ss) {
    std::string d;
    for (const auto& [x, y] : se.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      d += (d.empty() ? "M" : "L") + px(X(x)) + "," + px(Y(y));
    }
    if (!d.empty()) s += "<path d=\"" + d + "\" class=\"ln " + se.cls + "\"/>";
    s += "<text x=\"" + px(L + W - 4) + "\" y=\"" + px(ly) + "\" class=\"ax " + se.cls +
         "\" text-anchor=\"end\">" + html_escape(se.name) + "</text>";
    ly += 11;
  }
  for (const auto& m : marks)
    if (std::isfinite(m.x) && std::isfinite(m.y))
      s += "<circle cx=\"" + px(X(m.x)) + "\" cy=\"" + px(Y(m.y)) + "\" r=\"4\" class=\"op\"><title>" +
           html_escape(m.label) + "</title></circle>";
  s += "</svg>";
  return s;
}

/// Bars, one per label (a series over windows: flagged tests per window).
[[nodiscard]] inline std::string bars_svg(const std::vector<std::string>& labels,
                                          const std::vector<double>& values, const std::string& ylabel,
                                          const std::string& title) {
  const double L = 40, T = 22, W = 560, H = 150;
  double top = 1;
  for (const double v : values)
    if (std::isfinite(v)) top = std::max(top, v);
  const double n = static_cast<double>(std::max<std::size_t>(1, values.size()));
  std::string s = "<svg width=\"620\" height=\"220\" viewBox=\"0 0 620 220\" role=\"img\" aria-label=\"" +
                  html_escape(title) + "\">";
  s += "<text x=\"4\" y=\"14\" class=\"t\">" + html_escape(title) + "</text>";
  for (int i = 0; i <= 4; ++i) {
    const double v = top * i / 4, y = T + H * (1 - v / top);
    s += "<line x1=\"" + px(L) + "\" x2=\"" + px(L + W) + "\" y1=\"" + px(y) + "\" y2=\"" + px(y) +
         "\" class=\"grid\"/><text x=\"" + px(L - 4) + "\" y=\"" + px(y + 3) +
         "\" class=\"ax\" text-anchor=\"end\">" + show(v) + "</text>";
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = std::isfinite(values[i]) ? values[i] : 0;
    const double x = L + W * static_cast<double>(i) / n, w = std::max(1.0, W / n - 2),
                 y = T + H * (1 - v / top);
    s += "<rect x=\"" + px(x + 1) + "\" y=\"" + px(y) + "\" width=\"" + px(w) + "\" height=\"" +
         px(T + H - y) + "\" class=\"bar\"><title>" + html_escape(labels[i]) + ": " + show(v) +
         "</title></rect>";
    if (values.size() <= 24)
      s += "<text x=\"" + px(x + W / n / 2) + "\" y=\"" + px(T + H + 12) +
           "\" class=\"ax\" text-anchor=\"middle\">" + html_escape(labels[i]) + "</text>";
  }
  s += "<text x=\"10\" y=\"" + px(T + H / 2) +
       "\" class=\"ax\" text-anchor=\"middle\" transform=\"rotate(-90 10 " + px(T + H / 2) + ")\">" +
       html_escape(ylabel) + "</text></svg>";
  return s;
}

/// A reliability diagram: per confidence bin, the precision (bar, at the bin's mean confidence) against the
/// diagonal of perfect calibration.
struct reliability_bar {
  double lower, upper, confidence, precision;
  std::uint64_t count;
};
[[nodiscard]] inline std::string reliability_svg(const std::vector<reliability_bar>& bins,
                                                 const std::string& title) {
  const double L = 40, T = 22, W = 240, H = 170;
  std::vector<series> none;
  std::string s = lines_svg(none, {}, "confidence", "precision", title, true);
  s.resize(s.size() - 6);  // reopen: drop "</svg>"
  auto X = [&](double v) { return L + W * std::clamp(v, 0.0, 1.0); };
  auto Y = [&](double v) { return T + H * (1 - std::clamp(v, 0.0, 1.0)); };
  for (const auto& b : bins) {
    if (b.count == 0 || !std::isfinite(b.precision)) continue;
    const double x0 = X(b.lower) + 0.5, x1 = X(b.upper) - 0.5;
    s += "<rect x=\"" + px(x0) + "\" y=\"" + px(Y(b.precision)) + "\" width=\"" + px(std::max(0.5, x1 - x0)) +
         "\" height=\"" + px(Y(0) - Y(b.precision)) + "\" class=\"bar\"><title>" + show(b.lower) + "-" +
         show(b.upper) + ": " + std::to_string(b.count) + " detections, precision " + show(b.precision) +
         "</title></rect>";
    s +=
        "<circle cx=\"" + px(X(b.confidence)) + "\" cy=\"" + px(Y(b.precision)) + "\" r=\"2\" class=\"op\"/>";
  }
  s += "</svg>";
  return s;
}

/// The document as Markdown (figures named, their data in the tables and in evidence.json).
[[nodiscard]] inline std::string render_markdown(const std::string& title, const std::vector<section>& doc) {
  std::string out = "# " + md_escape(title) + "\n";
  for (const auto& sec : doc) {
    out += "\n## " + md_escape(sec.title) + "\n";
    for (const auto& b : sec.blocks) {
      switch (b.k) {
        case block::kind::paragraph:
          out += "\n" + md_escape(b.text) + "\n";
          break;
        case block::kind::list:
          out += "\n";
          for (const auto& i : b.items) out += "- " + md_escape(i) + "\n";
          break;
        case block::kind::figure:
          out += "\n*Figure (in evidence.html): " + md_escape(b.text) + "*\n";
          break;
        case block::kind::table: {
          out += "\n|";
          for (const auto& h : b.t.head) out += " " + md_escape(h) + " |";
          out += "\n|";
          for (std::size_t i = 0; i < b.t.head.size(); ++i) out += "---|";
          out += "\n";
          for (const auto& row : b.t.rows) {
            out += "|";
            for (const auto& c : row) out += " " + md_escape(c.text) + " |";
            out += "\n";
          }
          break;
        }
      }
    }
  }
  return out;
}

inline constexpr const char* evidence_css = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#fff}
main{max-width:1240px;margin:0 auto;padding:16px 24px}
h1{font-size:24px;margin:8px 0}h2{font-size:19px;border-bottom:2px solid #d8dde6;padding-bottom:4px;margin-top:28px}
nav{font-size:13px;margin:8px 0 16px}nav a{margin-right:10px;color:#2255aa}
.boundary{border-left:4px solid #b7791f;background:#fff8e6;padding:8px 12px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12.5px;margin:8px 0}
th,td{border:1px solid #d8dde6;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f1f3f7}th.s{cursor:pointer}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.PASS,td.pass{background:#e3f4e6;font-weight:600}td.FAIL,td.fail{background:#fbe1e1;font-weight:600}
td.INCONCLUSIVE,td.inconclusive{background:#fff1cc;font-weight:600}td.unmeasured{background:#eceff4;color:#7a8294}
td.why{min-width:14em}td.slice{word-break:break-word;max-width:16em}
figure{display:inline-block;margin:6px 8px 6px 0;vertical-align:top}figcaption{font-size:12px;color:#4a5263}
svg{max-width:100%;height:auto;font-size:10px}svg .t{font-size:12px;font-weight:600}svg .ax{fill:#4a5263}
svg .lb{fill:#1d2330}svg .grid{stroke:#e4e7ee}svg .limit{stroke:#b42318;stroke-dasharray:4 3;stroke-width:1.5}
svg .ci{stroke-width:2}svg .ok{stroke:#2f855a;fill:#2f855a}svg .mid{stroke:#b7791f;fill:#b7791f}
svg .bad{stroke:#b42318;fill:#b42318}svg .ln{fill:none;stroke-width:1.6}svg path.p{stroke:#2255aa}
svg path.r{stroke:#b7791f}svg path.f{stroke:#2f855a}svg text.p{fill:#2255aa}svg text.r{fill:#b7791f}
svg text.f{fill:#2f855a}svg .op{fill:#b42318}svg .diag{stroke:#9aa3b5;stroke-dasharray:3 3}svg .bar{fill:#9cb8e4}
.decision{border:2px dashed #9aa3b5;padding:8px 12px}
@media print{main{max-width:none;padding:0}.scroll{overflow:visible}nav{display:none}section{break-inside:auto}
figure,tr{break-inside:avoid}h2{break-after:avoid}}
)";

/// Sorts a table by the clicked column (numbers as numbers); no external code.
inline constexpr const char* evidence_script = R"(
document.querySelectorAll('table.sortable th').forEach(function(th,i){th.classList.add('s');
th.title='sort';th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0];
var rows=Array.prototype.slice.call(tb.rows);var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
function key(r){var t=r.cells[i].textContent.trim();var n=parseFloat(t);return isNaN(n)?t:n;}
rows.sort(function(a,b){var x=key(a),y=key(b);if(typeof x===typeof y)return (x<y?-1:x>y?1:0)*(asc?1:-1);
return typeof x==='number'?-1:1;});rows.forEach(function(r){tb.appendChild(r);});});});
)";

/// The document as one self-contained HTML file.
[[nodiscard]] inline std::string render_html(const std::string& title, const std::vector<section>& doc) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "script-src 'unsafe-inline'; img-src data:\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      html_escape(title) + "</title>\n<style>" + evidence_css + "</style></head>\n<body><main>\n<h1>" +
      html_escape(title) + "</h1>\n<nav>";
  for (const auto& sec : doc) out += "<a href=\"#" + sec.id + "\">" + html_escape(sec.title) + "</a>";
  out += "</nav>\n";
  for (const auto& sec : doc) {
    out += "<section id=\"" + sec.id + "\"><h2>" + html_escape(sec.title) + "</h2>\n";
    for (const auto& b : sec.blocks) {
      switch (b.k) {
        case block::kind::paragraph:
          out += "<p>" + html_escape(b.text) + "</p>\n";
          break;
        case block::kind::list:
          out += "<ul>";
          for (const auto& i : b.items) out += "<li>" + html_escape(i) + "</li>";
          out += "</ul>\n";
          break;
        case block::kind::figure:
          out += "<figure>" + b.svg + "<figcaption>" + html_escape(b.text) + "</figcaption></figure>\n";
          break;
        case block::kind::table: {
          out += "<div class=\"scroll\"><table" + std::string(b.t.sortable ? " class=\"sortable\"" : "") +
                 (b.t.id.empty() ? "" : " id=\"" + b.t.id + "\"") + "><thead><tr>";
          for (const auto& h : b.t.head) out += "<th>" + html_escape(h) + "</th>";
          out += "</tr></thead><tbody>\n";
          for (const auto& row : b.t.rows) {
            out += "<tr>";
            for (const auto& c : row) {
              out += "<td";
              if (!c.cls.empty()) out += " class=\"" + c.cls + "\"";
              if (!c.ref.empty()) out += " data-ref=\"" + html_escape(c.ref) + "\"";
              out += ">" + html_escape(c.text) + "</td>";
            }
            out += "</tr>\n";
          }
          out += "</tbody></table></div>\n";
          break;
        }
      }
    }
    out += "</section>\n";
  }
  out += "</main>\n<script>" + std::string(evidence_script) + "</script>\n</body></html>\n";
  return out;
}

}  // namespace stratum::report::evidence_detail
