// Tests of stratum/calibration/{bins,calibration,detection}.hpp against sklearn 1.2.1, statsmodels 0.13.5 and
// independent numpy implementations (tests/oracles/calibration.py), plus the bin-edge rules, determinism
// under sharding and the serialized formats.
#include <doctest/doctest.h>

#include <stratum/calibration/calibration.hpp>
#include <stratum/calibration/detection.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "oracle_file.hpp"
#include "wire.hpp"

namespace cal = stratum::calibration;
using stratum_test::comparer;
using stratum_test::read_oracle;

TEST_CASE("classification estimators equal sklearn / statsmodels / numpy on 10,000 random inputs") {
  const auto lines = read_oracle("classification.txt", 10000);
  REQUIRE(lines.size() == 5 * 10000);
  comparer cmp;
  std::size_t failures = 0, bins_checked = 0;
  auto check = [&](double got, double want, const std::string& what) {
    if (!cmp(got, want) && ++failures <= 20) FAIL_CHECK(what << ": got " << got << ", reference " << want);
  };
  for (std::size_t i = 0; i < lines.size(); i += 5) {
    const auto head = lines.fields(i);
    const auto m = head.u64(3);
    const auto kind = head[4] == "0" ? cal::binning::equal_width : cal::binning::equal_mass;
    const auto c = lines.numbers(i + 1, "c");
    const auto y = lines.numbers(i + 2, "y");
    const auto e = lines.numbers(i + 3, "e");
    const auto b = lines.numbers(i + 4, "b");
    REQUIRE(c.size() == head.u64(2));
    REQUIRE(y.size() == c.size());
    const std::string id =
        "case " + head[1] + " (n=" + head[2] + ", bins=" + head[3] + ", strategy=" + head[4] + ")";
    const auto s = cal::make_bins(c, y, kind, m);
    check(cal::ece(s), e[0], id + " ECE");
    check(cal::mce(s), e[1], id + " MCE");
    check(cal::l2_error(s), e[2], id + " l2");
    check(cal::debiased_l2_error(s), e[3], id + " debiased l2");
    check(cal::brier_score(s), e[4], id + " Brier (sklearn brier_score_loss)");
    // The pair functions agree with the state functions bit for bit.
    CHECK(cal::ece(c, y, kind, m) == cal::ece(s));
    CHECK(cal::brier_score(c, y) == cal::brier_score(s));
    const auto curve = cal::reliability_curve(s);
    REQUIRE_MESSAGE(curve.size() * 5 == b.size(),
                    id << ": " << curve.size() << " non-empty bins, sklearn has " << b.size() / 5);
    for (std::size_t k = 0; k < curve.size(); ++k) {
      const std::string bin = id + " bin " + std::to_string(curve[k].bin);
      if (static_cast<double>(curve[k].count) != b[5 * k] && ++failures <= 20) FAIL_CHECK(bin << " count");
      check(curve[k].mean_confidence, b[5 * k + 1], bin + " mean confidence (sklearn prob_pred)");
      check(curve[k].accuracy, b[5 * k + 2], bin + " accuracy (sklearn prob_true)");
      check(curve[k].accuracy_lower, b[5 * k + 3], bin + " Wilson lower (statsmodels)");
      check(curve[k].accuracy_upper, b[5 * k + 4], bin + " Wilson upper (statsmodels)");
      ++bins_checked;
    }
  }
  CHECK(failures == 0);
  MESSAGE("classification: " << cmp.compared << " values (" << bins_checked << " bins), max rel error "
                             << cmp.max_rel << ", max abs error (|v| < 0.01) " << cmp.max_abs);
}

TEST_CASE("ACE equals the numpy implementation of Nixon et al. on 10,000 random inputs") {
  const auto lines = read_oracle("ace.txt", 10000);
  REQUIRE(lines.size() == 4 * 10000);
  comparer cmp;
  std::size_t failures = 0;
  for (std::size_t i = 0; i < lines.size(); i += 4) {
    const auto head = lines.fields(i);
    const auto n = head.u64(2), K = head.u64(3), R = head.u64(4);
    const auto p = lines.numbers(i + 1, "p");
    const auto lt = lines.numbers(i + 2, "l");
    const auto e = lines.numbers(i + 3, "e");
    REQUIRE(p.size() == n * K);
    std::vector<std::int64_t> labels(lt.begin(), lt.end());
    const double got = cal::ace(p, labels, K, R);
    if (!cmp(got, e[0]) && ++failures <= 20)
      FAIL_CHECK("case " << head[1] << " (n=" << n << ", K=" << K << ", R=" << R << "): " << got << " vs "
                         << e[0]);
  }
  CHECK(failures == 0);
  MESSAGE("ACE: " << cmp.compared << " values, max rel error " << cmp.max_rel << ", max abs error "
                  << cmp.max_abs);
}

TEST_CASE("D-ECE and LaECE equal the numpy implementations on 10,000 random detection sets") {
  const auto lines = read_oracle("detection.txt", 10000);
  REQUIRE(lines.size() == 3 * 10000);
  comparer cmp;
  std::size_t failures = 0;
  const cal::box_feature all[] = {cal::box_feature::cx, cal::box_feature::cy, cal::box_feature::width,
                                  cal::box_feature::height};
  for (std::size_t i = 0; i < lines.size(); i += 3) {
    const auto head = lines.fields(i);
    const auto m = head.u64(2), mask = head.u64(3);
    const auto conf_bins = head.u64(4), feat_bins = head.u64(5), laece_bins = head.u64(6);
    const auto d = lines.numbers(i + 1, "d");
    const auto e = lines.numbers(i + 2, "e");
    REQUIRE(d.size() == 8 * m);
    std::vector<cal::calibration_detection> dets(m);
    for (std::size_t k = 0; k < m; ++k) {
      auto& x = dets[k];
      x.category = static_cast<std::int64_t>(d[8 * k]);
      x.confidence = d[8 * k + 1];
      x.true_positive = d[8 * k + 2] != 0;
      x.iou = d[8 * k + 3];
      x.cx = d[8 * k + 4];
      x.cy = d[8 * k + 5];
      x.width = d[8 * k + 6];
      x.height = d[8 * k + 7];
    }
    std::vector<cal::box_feature> features;
    for (int bit = 0; bit < 4; ++bit)
      if (mask >> bit & 1) features.push_back(all[bit]);
    const double dece = cal::d_ece(dets, features, conf_bins, feat_bins);
    const double la = cal::laece(dets, laece_bins);
    if (!cmp(dece, e[0]) && ++failures <= 20)
      FAIL_CHECK("case " << head[1] << " D-ECE " << dece << " vs " << e[0]);
    if (!cmp(la, e[1]) && ++failures <= 20)
      FAIL_CHECK("case " << head[1] << " LaECE " << la << " vs " << e[1]);
  }
  CHECK(failures == 0);
  MESSAGE("detection: " << cmp.compared << " values, max rel error " << cmp.max_rel << ", max abs error "
                        << cmp.max_abs);
}

TEST_CASE("bin-edge rules: right-closed bins, 0 in the first, 1 in the last, linspace edges") {
  const auto e = cal::bin_edges::equal_width(10);
  REQUIRE(e.bins() == 10);
  CHECK(e.edges()[3] == 0.30000000000000004);  // 3 * (1.0 / 10), as numpy.linspace
  CHECK(e.edges()[0] == 0.0);
  CHECK(e.edges()[10] == 1.0);
  CHECK(e.bin(0.0) == 0);
  CHECK(e.bin(0.1) == 0);  // on the edge e_1 = 0.1: the left bin
  CHECK(e.bin(std::nextafter(0.1, 1.0)) == 1);
  CHECK(e.bin(0.3) == 2);                  // 0.3 < e_3
  CHECK(e.bin(0.30000000000000004) == 2);  // == e_3: left bin
  CHECK(e.bin(std::nextafter(0.30000000000000004, 1.0)) == 3);
  CHECK(e.bin(0.9) == 8);  // e_9 = 9 * 0.1 = 0.9 exactly
  CHECK(e.bin(std::nextafter(1.0, 0.0)) == 9);
  CHECK(e.bin(1.0) == 9);
  const auto one = cal::bin_edges::equal_width(1);
  CHECK(one.bin(0.0) == 0);
  CHECK(one.bin(1.0) == 0);

  // Equal mass: numpy.percentile edges; ties stay in one bin, so bins can be empty.
  const std::vector<double> v = {0.2, 0.2, 0.2, 0.2, 0.9};
  const auto q = cal::bin_edges::equal_mass(v, 4);
  CHECK(q.edges()[0] == 0.2);
  CHECK(q.edges()[3] == 0.2);  // the 75th percentile of {0.2 x 4, 0.9}
  CHECK(q.edges()[4] == 0.9);
  const std::vector<double> y = {1, 0, 1, 1, 1};
  const auto s = cal::make_bins(v, y, cal::binning::equal_mass, 4);
  REQUIRE(s.bins().size() == 2);  // the four 0.2 in bin 0, 0.9 in bin 3; bins 1 and 2 empty
  CHECK(s.bins().begin()->first == 0);
  CHECK(s.bins().begin()->second.count == 4);
  CHECK(std::next(s.bins().begin())->first == 3);
  // ECE ignores empty bins: bin 0 gap |0.75 - 0.2|, weight 4/5; bin 3 gap |1 - 0.9|, weight 1/5.
  CHECK(cal::ece(s) == doctest::Approx(0.8 * 0.55 + 0.2 * 0.1).epsilon(1e-15));
  CHECK(cal::mce(s) == doctest::Approx(0.55).epsilon(1e-15));
  CHECK(cal::reliability_curve(s).size() == 2);
}

TEST_CASE("values outside [0, 1] are rejected with the index and field named") {
  const std::vector<double> ok = {0.5, 0.5};
  for (double bad : {-1e-17, 1.0 + 1e-15, std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    const std::vector<double> c = {0.5, bad};
    CHECK_THROWS_WITH_AS((void)cal::ece(c, ok), doctest::Contains("index 1: confidence"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS((void)cal::ece(ok, c), doctest::Contains("index 1: target"), std::invalid_argument);
    CHECK_THROWS_AS(cal::bin_edges::equal_mass(c, 3), std::invalid_argument);
    cal::calibration_bins s(cal::bin_edges::equal_width(5));
    CHECK_THROWS_WITH_AS(s.add(bad, 1.0, {}, 42), doctest::Contains("record 42: confidence"),
                         std::invalid_argument);
    CHECK(s.count() == 0);
    cal::calibration_detection d;
    d.confidence = 0.5;
    d.cx = bad;
    const std::vector<cal::calibration_detection> dets = {d};
    const cal::box_feature fx[] = {cal::box_feature::cx};
    CHECK_THROWS_WITH_AS((void)cal::d_ece(dets, fx), doctest::Contains("record 0: cx"),
                         std::invalid_argument);
    d.cx = 0.5;
    d.iou = bad;
    const std::vector<cal::calibration_detection> dets2 = {d};
    CHECK_THROWS_WITH_AS((void)cal::laece(dets2), doctest::Contains("record 0: iou"), std::invalid_argument);
  }
  const std::vector<double> one = {0.5}, none;
  CHECK_THROWS_AS((void)cal::ece(one, ok), std::invalid_argument);     // size mismatch
  CHECK_THROWS_AS((void)cal::ece(none, none), std::invalid_argument);  // empty
  CHECK_THROWS_AS(cal::bin_edges::equal_width(0), std::invalid_argument);
  CHECK_THROWS_AS(cal::bin_edges(std::vector<double>{0.5, 0.2}), std::invalid_argument);
  CHECK_THROWS_AS(cal::bin_edges(std::vector<double>{0.5}), std::invalid_argument);
  // Estimators over an empty state, and debiased l2 on non-binary targets.
  const cal::calibration_bins empty(cal::bin_edges::equal_width(3));
  CHECK_THROWS_AS((void)cal::ece(empty), std::domain_error);
  CHECK_THROWS_AS((void)cal::brier_score(empty), std::domain_error);
  const std::vector<double> t = {0.5, 1.0};
  CHECK_THROWS_AS((void)cal::debiased_l2_error(ok, t), std::domain_error);
  CHECK(std::isnan(cal::reliability_curve(ok, t, cal::binning::equal_width, 1)[0].accuracy_lower));
  // Features: count must match the axes.
  cal::calibration_bins two({cal::bin_edges::equal_width(3), cal::bin_edges::equal_width(2)});
  CHECK_THROWS_AS(two.add(0.5, 1.0), std::invalid_argument);
  // Merging states with different edges.
  cal::calibration_bins a(cal::bin_edges::equal_width(3)), b(cal::bin_edges::equal_width(4));
  CHECK_THROWS_AS(a += b, std::invalid_argument);
  // ACE arguments.
  const std::vector<double> probs = {0.2, 0.8, 0.6, 0.4};
  CHECK_THROWS_AS((void)cal::ace(probs, std::vector<std::int64_t>{0, 2}, 2, 2), std::invalid_argument);
  CHECK_THROWS_AS((void)cal::ace(probs, std::vector<std::int64_t>{0}, 2, 2), std::invalid_argument);
}

TEST_CASE("determinism: merged states are bit-identical to a single pass for random splits") {
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> u(0, 1);
  const std::size_t n = 5000;
  std::vector<double> c(n), y(n), f1(n), f2(n);
  std::vector<std::int64_t> cat(n);
  for (std::size_t i = 0; i < n; ++i) {
    c[i] = u(gen);
    y[i] = u(gen) < c[i] ? u(gen) : 0.0;  // real targets, as LaECE's tp * IoU
    f1[i] = u(gen);
    f2[i] = std::round(u(gen) * 10) / 10;
    cat[i] = static_cast<std::int64_t>(gen() % 5);
  }
  auto axes = std::vector<cal::bin_edges>{cal::bin_edges::equal_width(10), cal::bin_edges::equal_width(3),
                                          cal::bin_edges::equal_width(4)};
  cal::calibration_bins single(axes);
  cal::class_calibration_bins single_c({cal::bin_edges::equal_width(25)});
  for (std::size_t i = 0; i < n; ++i) {
    single.add(c[i], y[i], std::vector<double>{f1[i], f2[i]}, i);
    single_c.add(cat[i], c[i], y[i], {}, i);
  }
  const auto bytes = single.serialize(), bytes_c = single_c.serialize();
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t k = 2 + gen() % 6;
    std::vector<cal::calibration_bins> part(k, cal::calibration_bins(axes));
    std::vector<cal::class_calibration_bins> part_c(
        k, cal::class_calibration_bins({cal::bin_edges::equal_width(25)}));
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), gen);
    for (std::size_t i : order) {
      const std::size_t p = gen() % k;
      part[p].add(c[i], y[i], std::vector<double>{f1[i], f2[i]}, i);
      part_c[p].add(cat[i], c[i], y[i], {}, i);
    }
    std::shuffle(part.begin(), part.end(), gen);
    cal::calibration_bins merged;  // the empty state is the identity
    for (const auto& p : part) merged += p;
    cal::class_calibration_bins merged_c;
    for (std::size_t p = k; p-- > 0;) merged_c += part_c[p];
    INFO("trial " << trial);
    CHECK(merged == single);
    CHECK(merged.serialize() == bytes);
    CHECK(cal::ece(merged) == cal::ece(single));
    CHECK(merged_c.serialize() == bytes_c);
    CHECK(cal::laece(merged_c) == cal::laece(single_c));
  }
}

TEST_CASE("serialization: round trip, and corrupt or truncated input is rejected") {
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> u(0, 1);
  cal::calibration_bins s({cal::bin_edges::equal_width(4), cal::bin_edges::equal_width(2)});
  cal::class_calibration_bins sc({cal::bin_edges::equal_width(5)});
  for (int i = 0; i < 60; ++i) {
    const double c = u(gen), f = u(gen);
    s.add(c, c > 0.5 ? 1.0 : 0.0, std::vector<double>{f});
    sc.add(i % 3 - 1, c, f);
  }
  const auto bytes = s.serialize();
  const auto back = cal::calibration_bins::deserialize(bytes);
  CHECK(back == s);
  CHECK(back.serialize() == bytes);
  CHECK(cal::ece(back) == cal::ece(s));
  const auto bytes_c = sc.serialize();
  CHECK(cal::class_calibration_bins::deserialize(bytes_c) == sc);
  CHECK(cal::calibration_bins::deserialize(cal::calibration_bins().serialize()).empty_configuration());

  for (const auto* buf : {&bytes, &bytes_c}) {
    auto load = [&](std::span<const std::byte> b) {
      if (buf == &bytes)
        (void)cal::calibration_bins::deserialize(b);
      else
        (void)cal::class_calibration_bins::deserialize(b);
    };
    for (std::size_t len = 0; len < buf->size(); ++len)
      CHECK_THROWS_AS(load(std::span(*buf).first(len)), stratum::input_error);
    for (std::size_t i = 0; i < buf->size(); ++i) {
      auto c = *buf;
      c[i] ^= std::byte{0x40};
      CHECK_THROWS_AS(load(c), stratum::input_error);
    }
  }
  // A calibration_bins buffer is not a class_calibration_bins buffer (distinct kind).
  CHECK_THROWS_WITH_AS(
      (void)cal::class_calibration_bins::deserialize(bytes),
      doctest::Contains("at offset 10: holds calibration bins (kind 32), expected per-class"),
      stratum::input_error);
  // Inconsistent content with a valid checksum: the bin counts must add up to the sample count.
  {
    auto body = bytes;
    // layout: 64 header + 4 axes + (4 + 5 * 8) + (4 + 3 * 8) = 140, then u64 samples
    body[140] = static_cast<std::byte>(static_cast<unsigned>(body[140]) + 1);
    body = stratum_test::reseal(body);
    CHECK_THROWS_WITH_AS((void)cal::calibration_bins::deserialize(body), doctest::Contains("do not add up"),
                         stratum::input_error);
  }
}
