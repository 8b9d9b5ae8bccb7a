// Differential tests of <stratum/stats/isotonic.hpp> against scikit-learn 1.2.1 (tests/oracles/isotonic.py).
#include <stratum/stats/isotonic.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include "oracle_file.hpp"

using stratum::stats::isotonic_fit;
using stratum_test::close;
using stratum_test::read_oracle;
using stratum_test::rel_err;

TEST_CASE("isotonic_fit predicts as sklearn's IsotonicRegression(out_of_bounds='clip')") {
  const auto lines = read_oracle("isotonic.txt", 400);
  double worst = 0;
  std::size_t points = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto s = lines.fields(l);
    const auto n = static_cast<std::size_t>(s.num()), m = static_cast<std::size_t>(s.num());
    const auto x = s.nums(n), y = s.nums(n), w = s.nums(n), q = s.nums(m), want = s.nums(m);
    const isotonic_fit f(x, y, w);
    for (std::size_t i = 1; i < f.fitted().size(); ++i) CHECK(f.fitted()[i - 1] <= f.fitted()[i]);
    for (std::size_t j = 0; j < m; ++j, ++points) {
      const double got = f(q[j]);
      worst = std::max(worst, rel_err(got, want[j]));
      if (!close(got, want[j], 1e-12, 1e-13))
        FAIL_CHECK("isotonic.txt line " << l + 1 << " query " << j << " (" << q[j] << "): got " << got
                                        << " want " << want[j]);
    }
  }
  MESSAGE("isotonic: " << lines.size() << " fits, " << points << " predictions, max rel err " << worst);
}

TEST_CASE("isotonic_fit: the weighted sum of the fit equals that of the data (PAV keeps block means)") {
  const std::vector<double> x = {0.1, 0.2, 0.2, 0.3, 0.5, 0.9}, y = {1, 0, 0, 1, 0, 1};
  const isotonic_fit f(x, y);
  double fit = 0;
  for (const double v : x) fit += f(v);
  CHECK(fit == doctest::Approx(3.0).epsilon(1e-15));
  // a violator pooled: 1, 0, 0 at 0.1, 0.2 -> one block of mean 1/3
  CHECK(f(0.1) == doctest::Approx(1.0 / 3));
  CHECK(f(-1) == f(0.1));
  CHECK(f(2) == f(0.9));
}

TEST_CASE("isotonic_fit refuses bad input") {
  const std::vector<double> a = {0.1, 0.2}, b = {1};
  CHECK_THROWS_AS(isotonic_fit(a, b), stratum::usage_error);
  CHECK_THROWS_AS(isotonic_fit(std::vector<double>{}, std::vector<double>{}), stratum::usage_error);
  const std::vector<double> nanx = {0.1, NAN}, y2 = {0, 1}, w0 = {1, 0};
  CHECK_THROWS_AS(isotonic_fit(nanx, y2), stratum::usage_error);
  CHECK_THROWS_AS(isotonic_fit(a, y2, w0), stratum::usage_error);
  CHECK_THROWS_AS((void)isotonic_fit()(0.5), stratum::usage_error);
}
