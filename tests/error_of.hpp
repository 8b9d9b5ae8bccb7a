// The message of the error a call throws, for tests that compare messages: input_error and usage_error give
// their text, any other exception "WRONG EXCEPTION TYPE: <text>", no exception "(no error)".
#pragma once

#include <exception>
#include <string>

#include <stratum/core/error.hpp>

namespace stratum::test {

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const input_error& e) {
    return e.what();
  } catch (const usage_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG EXCEPTION TYPE: ") + e.what();
  }
  return "(no error)";
}

}  // namespace stratum::test
