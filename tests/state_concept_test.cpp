// The state concept (core/state.hpp, docs/concepts.md), property by property, for every state type of
// tests/state_types.hpp:
//   identity      S{} += a == a, a += S{} == a, for a configured a; S{} round-trips
//   splits        random splits of the input into 1..7 shards, each fed in a random order, merged in a random
//                 tree, equal the single pass (== and the same bytes)
//   self-merge    a += a equals the state fed the input twice
//   round trip    deserialize(serialize(a)) == a, and serializing it again gives the same bytes
//   truncation    every prefix is refused with an input_error naming an offset
//   bit flips     a sample of single-bit flips is refused with an input_error naming an offset
#include <doctest/doctest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "state_types.hpp"

using namespace stratum_test;

namespace {

template <class S>
std::vector<typename state_traits<S>::item> draw_items(rng& r, std::size_t n) {
  std::vector<typename state_traits<S>::item> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(state_traits<S>::draw(r));
  return v;
}

template <class V>
void shuffle(V& v, rng& r) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[r.below(i)]);
}

template <class S>
std::string refusal(std::span<const std::byte> b) {
  try {
    (void)S::deserialize(b);
  } catch (const stratum::input_error& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE_TEMPLATE("the state concept holds", S, STRATUM_STATE_TYPES) {
  using T = state_traits<S>;
  INFO("state ", std::string(T::name));
  rng r{0x5eed0000u + static_cast<std::uint64_t>(std::string(T::name).size())};
  for (std::size_t trial = 0; trial < 24; ++trial) {
    const auto items = draw_items<S>(r, trial == 0 ? 0 : 1 + r.below(trial < 12 ? 30 : 300));
    const S whole = T::make(items);
    const auto bytes = whole.serialize();
    CAPTURE(trial);
    CAPTURE(items.size());

    // identity
    {
      S a = whole;
      a += S{};
      CHECK(a == whole);
      S b{};
      b += whole;
      CHECK(b == whole);
      CHECK(b.serialize() == bytes);
      CHECK(S::deserialize(S{}.serialize()) == S{});
    }
    // random splits, each shard fed in a random order, merged in a random tree
    for (int split = 0; split < 3; ++split) {
      const std::size_t k = 1 + r.below(7);
      std::vector<std::vector<typename T::item>> parts(k);
      for (const auto& it : items) parts[r.below(k)].push_back(it);
      std::vector<S> states;
      for (auto& p : parts) {
        shuffle(p, r);
        states.push_back(T::make(p));
      }
      if (r.below(2)) states.push_back(S{});
      while (states.size() > 1) {
        const auto i = r.below(states.size());
        auto j = r.below(states.size() - 1);
        if (j >= i) ++j;
        states[i] += states[j];
        states.erase(states.begin() + static_cast<std::ptrdiff_t>(j));
      }
      CHECK(states.front() == whole);
      CHECK(states.front().serialize() == bytes);
    }
    // self-merge: as if fed the input twice
    {
      S a = whole;
      a += a;
      auto twice = items;
      twice.insert(twice.end(), items.begin(), items.end());
      CHECK(a == T::make(twice));
      CHECK(a.serialize() == T::make(twice).serialize());
    }
    // byte round trip
    const S back = S::deserialize(bytes);
    CHECK(back == whole);
    CHECK(back.serialize() == bytes);
    if (trial % 6 != 5) continue;
    // every truncation (or a sample of them for large states), and single-bit flips
    const std::size_t n = bytes.size();
    for (std::size_t len = 0; len < n; len += (n > 3000 ? 1 + r.below(7) : 1)) {
      const auto msg = refusal<S>(std::span(bytes).first(len));
      CHECK_MESSAGE(msg.find("offset") != std::string::npos, "length " << len << " of " << n << ": " << msg);
    }
    for (int flip = 0; flip < 400; ++flip) {
      auto c = bytes;
      const auto at = r.below(n);
      c[at] ^= static_cast<std::byte>(1u << r.below(8));
      const auto msg = refusal<S>(c);
      CHECK_MESSAGE(msg.find("offset") != std::string::npos, "byte " << at << " of " << n << ": " << msg);
    }
  }
}
