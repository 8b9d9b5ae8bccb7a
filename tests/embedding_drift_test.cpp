// Differential tests of <stratum/stats/embedding_drift.hpp> against numpy / scipy
// (tests/oracles/embedding_drift.py).
#include <stratum/stats/embedding_drift.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "oracle_file.hpp"

using namespace stratum::stats;
using stratum_test::close;
using stratum_test::read_oracle;
using stratum_test::rel_err;
using stratum_test::tokens;

namespace {

// The next rows x cols fields of t, row-major.
Eigen::MatrixXd matrix(tokens& t, Eigen::Index rows, Eigen::Index cols) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = t.num();
  return m;
}

}  // namespace

TEST_CASE("centroid_shift: z-scores and Mahalanobis match numpy / scipy.spatial.distance.mahalanobis") {
  const auto lines = read_oracle("centroid.txt", 10000);
  double worst_z = 0, worst_m = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto t = lines.fields(l);
    const auto nb = static_cast<Eigen::Index>(t.num()), nw = static_cast<Eigen::Index>(t.num()),
               d = static_cast<Eigen::Index>(t.num());
    const double ridge = t.num(), mah = t.num();
    Eigen::VectorXd z(d);
    for (Eigen::Index j = 0; j < d; ++j) z(j) = t.num();
    const auto b = matrix(t, nb, d), w = matrix(t, nw, d);
    const auto r = centroid_shift(b, w, ridge);
    worst_m = std::max(worst_m, rel_err(r.mahalanobis, mah));
    if (!close(r.mahalanobis, mah))
      FAIL_CHECK("centroid.txt line " << l + 1 << ": mahalanobis " << r.mahalanobis << " want " << mah);
    for (Eigen::Index j = 0; j < d; ++j) {
      worst_z = std::max(worst_z, rel_err(r.z(j), z(j)));
      if (!close(r.z(j), z(j)))
        FAIL_CHECK("centroid.txt line " << l + 1 << ": z[" << j << "] " << r.z(j) << " want " << z(j));
    }
  }
  MESSAGE("centroid_shift: " << lines.size() << " cases, max rel err z " << worst_z << ", mahalanobis "
                             << worst_m);
}

TEST_CASE("mmd: biased and unbiased MMD^2 and the median bandwidth match numpy / scipy cdist") {
  const auto lines = read_oracle("mmd.txt", 10000);
  double worst = 0, worst_sigma = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto t = lines.fields(l);
    const auto m = static_cast<Eigen::Index>(t.num()), n = static_cast<Eigen::Index>(t.num()),
               d = static_cast<Eigen::Index>(t.num());
    const bool unbiased = t.num() != 0;
    const double bw = t.num(), want = t.num(), sigma = t.num();
    const auto x = matrix(t, m, d), y = matrix(t, n, d);
    mmd_options o;
    o.estimator = unbiased ? mmd_estimator::unbiased : mmd_estimator::biased;
    o.bandwidth = bw;
    const auto r = mmd(x, y, o);
    worst = std::max(worst, rel_err(r.mmd2, want));
    worst_sigma = std::max(worst_sigma, rel_err(r.bandwidth, sigma));
    if (!close(r.mmd2, want) || !close(r.bandwidth, sigma))
      FAIL_CHECK("mmd.txt line " << l + 1 << ": mmd2 " << r.mmd2 << " sigma " << r.bandwidth << ", want "
                                 << want << " " << sigma);
  }
  MESSAGE("mmd: " << lines.size() << " cases, max rel err mmd2 " << worst << ", bandwidth " << worst_sigma);
}

TEST_CASE("mmd: seeded permutation p-values replay the documented mt19937_64 stream") {
  const auto lines = read_oracle("mmd_perm.txt", 300);
  for (std::size_t l = 0; l < lines.size(); ++l) {
    auto t = lines.fields(l);
    const auto m = static_cast<Eigen::Index>(t.num()), n = static_cast<Eigen::Index>(t.num()),
               d = static_cast<Eigen::Index>(t.num());
    const bool unbiased = t.num() != 0;
    const auto seed = t.u64();
    const auto b = static_cast<std::size_t>(t.num());
    const double want = t.num(), sigma = t.num(), p = t.num();
    const auto x = matrix(t, m, d), y = matrix(t, n, d);
    mmd_options o;
    o.estimator = unbiased ? mmd_estimator::unbiased : mmd_estimator::biased;
    o.permutations = b;
    o.seed = seed;
    const auto r = mmd(x, y, o);
    CHECK_MESSAGE(close(r.mmd2, want), "mmd_perm.txt line " << l + 1);
    CHECK_MESSAGE(close(r.bandwidth, sigma), "mmd_perm.txt line " << l + 1);
    CHECK_MESSAGE(r.p_value == p, "mmd_perm.txt line " << l + 1 << ": p " << r.p_value << " want " << p);
  }
}

TEST_CASE("mmd: same seed, same p-value; the p-value is never 0 and detects a shift") {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(60, 3), y = Eigen::MatrixXd::Zero(50, 3);
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < 3; ++j) x(i, j) = std::sin(static_cast<double>(i * 3 + j) * 1.7);
  for (Eigen::Index i = 0; i < y.rows(); ++i)
    for (Eigen::Index j = 0; j < 3; ++j) y(i, j) = std::sin(static_cast<double>(i * 5 + j) * 2.3) + 1.5;
  mmd_options o;
  o.permutations = 199;
  o.seed = 42;
  const auto a = mmd(x, y, o), b = mmd(x, y, o);
  CHECK(a.p_value == b.p_value);
  CHECK(a.p_value == doctest::Approx(1.0 / 200));
  CHECK(a.mmd2 > 0);
  // identical samples: biased MMD^2 is 0
  mmd_options ob;
  ob.estimator = mmd_estimator::biased;
  CHECK(std::abs(mmd(x, x, ob).mmd2) < 1e-15);
}

TEST_CASE("embedding drift rejects bad input") {
  Eigen::MatrixXd b = Eigen::MatrixXd::Random(10, 3), w = Eigen::MatrixXd::Random(4, 3),
                  w2 = Eigen::MatrixXd::Random(4, 2);
  CHECK_THROWS_AS((void)centroid_shift(b.topRows(1), w), std::invalid_argument);
  CHECK_THROWS_AS((void)centroid_shift(b, w2), std::invalid_argument);
  CHECK_THROWS_AS((void)centroid_shift(b, w, -1.0), std::invalid_argument);
  Eigen::MatrixXd bad = w;
  bad(2, 1) = std::nan("");
  CHECK_THROWS_WITH_AS((void)centroid_shift(b, bad), "centroid_shift: window(2, 1) is not finite",
                       std::invalid_argument);
  // singular covariance without a ridge
  Eigen::MatrixXd sing(5, 2);
  sing << 1, 2, 2, 4, 3, 6, 4, 8, 5, 10;
  CHECK_THROWS_AS((void)centroid_shift(sing, w2, 0.0), std::domain_error);
  CHECK(std::isfinite(centroid_shift(sing, w2, 1e-6).mahalanobis));
  CHECK_THROWS_AS((void)mmd(b.topRows(1), w), std::invalid_argument);
  CHECK_THROWS_AS((void)mmd(b, w2), std::invalid_argument);
  CHECK_THROWS_AS((void)mmd(b, bad), std::invalid_argument);
}
