// Errors raised on bad input. Every message names where the problem is (file, record index or line, field).
#pragma once

#include <stdexcept>
#include <string>

namespace stratum {

/// Bad input data: malformed JSON, a missing or ill-typed field, a value out of range, an unknown reference.
/// The message has the form "<source>: <record>.<field>: <what is wrong>".
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad arguments or parameters given by the caller (not data).
class usage_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace stratum
