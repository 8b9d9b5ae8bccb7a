// Escaping text for HTML and XML: the one place both the evidence pack's page and the Pascal VOC writer take
// it.
#pragma once

#include <string>
#include <string_view>

namespace stratum::detail {

/// `s` with &, <, > and " escaped (&amp; &lt; &gt; &quot;): safe as HTML or XML element text and inside
/// double-quoted attribute values.
[[nodiscard]] inline std::string markup_escaped(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace stratum::detail
