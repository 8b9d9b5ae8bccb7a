// Writing JSON values: the one number writer of every JSON stratum prints (the JSONL stream, the evaluation
// and audit documents), with one policy for numbers JSON cannot hold.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace stratum::detail {

/// Appends `v` in the shortest form that reads back to the same double (std::to_chars), always as a JSON
/// number that simdjson reads as that double: -0 is written -0.0, and integers of 2^53 or more in exponent
/// form. NaN and infinities, which JSON cannot hold, are written null: a result that is undefined (AP of a
/// category without ground truth, an interval bound of an undefined number) reads as null. Writers of input
/// data refuse non-finite values before they get here.
inline void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
  if (s.find_first_of(".e") == std::string_view::npos) {
    if (v == 0 && std::signbit(v)) {
      out += "-0.0";
      return;
    }
    if (std::fabs(v) >= 9007199254740992.0) {
      r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
      s = std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
    }
  }
  out += s;
}

/// append_json_number into a new string.
[[nodiscard]] inline std::string json_number(double v) {
  std::string s;
  append_json_number(s, v);
  return s;
}

inline void append_json_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Appends a JSON string literal (quotes, backslashes and control characters escaped; other bytes as they
/// are).
inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

/// append_json_string into a new string.
[[nodiscard]] inline std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace stratum::detail
