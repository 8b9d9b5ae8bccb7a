// What the differential tests share: reading the reference files that the Python oracles write into
// STRATUM_ORACLE_DIR (tests/oracles/<name>.py, which ctest runs as the fixture oracle_<name> before
// test_<name>, see tests/CMakeLists.txt), reading the fields of their lines, and the error measures the
// tests compare with. A missing file, a short file or a bad field fails the test case with a message that
// says where: the file's path and the script that writes it, or the file, line and field.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <source_location>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef STRATUM_ORACLE_DIR
#error "STRATUM_ORACLE_DIR (where the oracles write) is defined for every test by tests/CMakeLists.txt"
#endif

namespace stratum_test {

namespace detail {

// A whole field as strtod reads it: "nan", "inf" and "-inf" (which istream >> double rejects) and
// subnormals (which std::stod rejects as out of range) included.
inline bool parse(const std::string& s, double& v) {
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// A whole field of decimal digits that fits in 64 bits (strtoull alone would accept "-1" and wrap it).
inline bool parse(const std::string& s, std::uint64_t& v) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtoull(s.c_str(), &end, 10);
  return end == s.c_str() + s.size() && errno == 0;
}

// tests/oracles/<name>.py for the test source .../<name>_test.cpp (the naming of tests/CMakeLists.txt).
inline std::string oracle_script(std::string_view test_source) {
  if (const auto slash = test_source.find_last_of('/'); slash != std::string_view::npos)
    test_source.remove_prefix(slash + 1);
  constexpr std::string_view suffix = "_test.cpp";
  if (!test_source.ends_with(suffix)) return "a script in tests/oracles";
  test_source.remove_suffix(suffix.size());
  return "tests/oracles/" + std::string(test_source) + ".py, the ctest fixture oracle_" +
         std::string(test_source);
}

}  // namespace detail

/// `s` as a double (strtod: "nan", "inf" and subnormals included); fails the test case unless all of `s`
/// is the number.
inline double to_double(const std::string& s) {
  double v = 0;
  if (!detail::parse(s, v)) FAIL("'" << s << "' is not a number");
  return v;
}

/// The whitespace-separated fields of one line of an oracle file (made by oracle_file::fields), by index
/// (t[i], t.num(i), t.u64(i)) or in order (t.word(), t.num(), t.u64(), t.nums(n)). A missing or malformed
/// field fails the test case, naming the file, the line and the field and quoting the line.
class tokens {
 public:
  tokens(const std::string& line, std::string file, std::size_t line_number)
      : file_(std::move(file)), line_number_(line_number) {
    std::istringstream is(line);
    for (std::string s; is >> s;) fields_.push_back(std::move(s));
  }

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }

  [[nodiscard]] const std::string& operator[](std::size_t i) const {
    if (i >= fields_.size()) fail(i, "missing");
    return fields_[i];
  }
  [[nodiscard]] double num(std::size_t i) const {
    double v = 0;
    if (!detail::parse((*this)[i], v)) fail(i, "not a number");
    return v;
  }
  [[nodiscard]] std::uint64_t u64(std::size_t i) const {
    std::uint64_t v = 0;
    if (!detail::parse((*this)[i], v)) fail(i, "not an unsigned 64-bit integer");
    return v;
  }

  /// The next field, in order from the first.
  const std::string& word() { return (*this)[next_++]; }
  double num() { return num(next_++); }
  std::uint64_t u64() { return u64(next_++); }
  std::vector<double> nums(std::size_t n) {
    std::vector<double> v(n);
    for (auto& x : v) x = num();
    return v;
  }

  /// The numbers of a line "<tag> v1 v2 ...", after checking the tag.
  [[nodiscard]] std::vector<double> numbers_after(std::string_view tag) const {
    if (fields_.empty() || fields_[0] != tag) fail(0, "expected the tag '" + std::string(tag) + "'");
    std::vector<double> v(fields_.size() - 1);
    for (std::size_t i = 1; i < fields_.size(); ++i) v[i - 1] = num(i);
    return v;
  }

 private:
  [[noreturn]] void fail(std::size_t i, const std::string& what) const {
    std::string quote;
    for (const auto& f : fields_) quote += (quote.empty() ? "" : " ") + f;
    if (quote.size() > 100) quote = quote.substr(0, 100) + " ...";
    FAIL(file_ << " line " << line_number_ << ", field " << i + 1
               << (i < fields_.size() ? " '" + fields_[i] + "'" : std::string()) << ": " << what
               << " (line: " << quote << ")");
    std::abort();  // not reached: FAIL throws
  }

  std::vector<std::string> fields_;
  std::string file_;
  std::size_t line_number_;
  std::size_t next_ = 0;
};

/// The non-empty lines of one oracle file, numbered from 1 in messages.
class oracle_file {
 public:
  oracle_file(std::string name, std::vector<std::string> lines)
      : name_(std::move(name)), lines_(std::move(lines)) {}

  [[nodiscard]] std::size_t size() const noexcept { return lines_.size(); }
  [[nodiscard]] const std::string& operator[](std::size_t i) const { return lines_.at(i); }

  /// The fields of line i (from 0).
  [[nodiscard]] tokens fields(std::size_t i) const { return tokens((*this)[i], name_, i + 1); }
  /// The numbers of line i, "<tag> v1 v2 ...", after checking the tag.
  [[nodiscard]] std::vector<double> numbers(std::size_t i, std::string_view tag) const {
    return fields(i).numbers_after(tag);
  }

 private:
  std::string name_;
  std::vector<std::string> lines_;
};

/// The oracle file STRATUM_ORACLE_DIR/name. Fails the test case unless it exists and has at least
/// `min_lines` non-empty lines; the message names the path and the script that writes it (the oracle of
/// the calling test, found from its file name).
inline oracle_file read_oracle(const std::string& name, std::size_t min_lines = 1,
                               const std::source_location caller = std::source_location::current()) {
  const std::string path = std::string(STRATUM_ORACLE_DIR) + "/" + name;
  std::ifstream in(path);
  if (!in.is_open())
    FAIL("missing oracle file " << path << " (written by " << detail::oracle_script(caller.file_name())
                                << ")");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(std::move(line));
  if (lines.size() < min_lines)
    FAIL("oracle file " << path << " has " << lines.size() << " lines, expected at least " << min_lines
                        << " (written by " << detail::oracle_script(caller.file_name()) << ")");
  return {name, std::move(lines)};
}

/// Relative error of `got` against the reference `want`, for reporting the worst case: 0 when equal or when
/// both are within 1e-12 of 0 (where close() applies its absolute bound), infinite when one is NaN.
inline double rel_err(double got, double want) {
  if (got == want) return 0.0;
  if (std::abs(want) <= 1e-12 && std::abs(got - want) <= 1e-12) return 0.0;
  if (std::isnan(got) || std::isnan(want)) return std::numeric_limits<double>::infinity();
  return std::abs(got - want) / std::max(std::abs(want), std::numeric_limits<double>::min());
}

/// The acceptance rule of the differential tests: |got - want| <= abs or <= rel |want|; NaN and infinities
/// only match themselves.
inline bool close(double got, double want, double rel = 1e-10, double abs = 1e-12) {
  if (got == want) return true;
  if (!std::isfinite(got) || !std::isfinite(want)) return false;
  const double diff = std::abs(got - want);
  return diff <= abs || diff <= rel * std::abs(want);
}

/// close() at 1e-9 relative, where a NaN reference ("undefined") wants a NaN.
inline bool same_or_nan(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return close(got, want, 1e-9, 1e-12);
}

/// An oracle file's word with its underscores read back as spaces ("miss_rate" -> "miss rate").
inline std::string spaced(std::string s) {
  for (auto& c : s)
    if (c == '_') c = ' ';
  return s;
}

/// Symmetric relative difference |got - want| / max(|got|, |want|), 0 when equal.
inline double rel_diff(double got, double want) {
  if (got == want) return 0.0;
  return std::abs(got - want) / std::max(std::abs(got), std::abs(want));
}

/// Accepts |got - want| <= max(1e-10 max(|got|, |want|), 1e-12); NaN and infinities must match exactly.
/// Counts the values compared and the bit-identical ones, and tracks the worst relative error (values above
/// 0.01) and absolute error (values below).
struct comparer {
  double max_rel = 0, max_abs = 0;
  std::size_t compared = 0, identical = 0;
  bool operator()(double got, double want) {
    ++compared;
    if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got);
    if (std::isinf(want) || std::isinf(got)) return got == want;
    if (got == want) ++identical;
    const double d = std::abs(got - want);
    const double scale = std::max(std::abs(got), std::abs(want));
    if (scale > 1e-2)
      max_rel = std::max(max_rel, d / scale);
    else
      max_abs = std::max(max_abs, d);
    return d <= 1e-12 || d <= 1e-10 * scale;
  }
};

}  // namespace stratum_test
