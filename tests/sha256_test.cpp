// SHA-256 (detail/sha256.hpp) against Python's hashlib (tests/oracles/sha256.py) on 501 random messages, fed
// whole and in random pieces; FIPS 180-4's own examples; and files.
#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <stratum/detail/sha256.hpp>

#include "oracle_file.hpp"

using stratum::detail::sha256;

namespace {
std::vector<unsigned char> unhex(const std::string& s) {
  std::vector<unsigned char> out;
  if (s == "-") return out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<unsigned char>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}
}  // namespace

TEST_CASE("sha256: FIPS 180-4 examples (abc, the two-block message, a million a)") {
  const std::string abc = "abc";
  CHECK(sha256::hex(sha256::of(abc.data(), abc.size())) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(sha256::hex(sha256::of(two.data(), two.size())) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  sha256 s;
  const std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) s.update(a.data(), a.size());
  CHECK(sha256::hex(s.digest()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: equals hashlib on 501 messages, whole and in random pieces") {
  const auto f = stratum_test::read_oracle("sha256.txt", 501);
  std::mt19937_64 g(7);
  for (std::size_t i = 0; i < f.size(); ++i) {
    const auto t = f.fields(i);
    const auto msg = unhex(t[0]);
    INFO("message of " << msg.size() << " bytes (line " << i + 1 << ")");
    CHECK(sha256::hex(sha256::of(msg.data(), msg.size())) == t[1]);
    sha256 s;
    std::size_t at = 0;
    while (at < msg.size()) {
      const std::size_t n = std::min<std::size_t>(msg.size() - at, g() % 130);
      s.update(msg.data() + at, n);
      at += n;
    }
    CHECK(sha256::hex(s.digest()) == t[1]);
  }
}

TEST_CASE("sha256: files, and a missing file is an input error naming it") {
  const std::string path = std::string(STRATUM_BINARY_DIR) + "/sha256_test_file.bin";
  std::vector<unsigned char> bytes(200000);
  std::mt19937_64 g(3);
  for (auto& b : bytes) b = static_cast<unsigned char>(g());
  std::FILE* out = std::fopen(path.c_str(), "wb");
  REQUIRE(out != nullptr);
  REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size());
  std::fclose(out);
  CHECK(stratum::detail::sha256_of_file(path) == sha256::of(bytes.data(), bytes.size()));
  std::remove(path.c_str());
  CHECK_THROWS_WITH_AS((void)stratum::detail::sha256_of_file(path), doctest::Contains("sha256_test_file.bin"),
                       stratum::input_error);
}
