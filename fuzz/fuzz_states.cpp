// libFuzzer target: every deserializer of the common wire format. The first byte picks the state type; the
// rest is handed to S::deserialize. Every input must either be refused with stratum::input_error or give a
// state that serializes and deserializes back to an equal state (nothing accepted that the format cannot
// represent). Crashes, hangs, huge allocations and sanitizer reports are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include <stratum/audit/operating.hpp>
#include <stratum/audit/stream.hpp>
#include <stratum/baseline/file.hpp>
#include <stratum/baseline/profile.hpp>
#include <stratum/calibration/bins.hpp>
#include <stratum/coco/binned.hpp>
#include <stratum/coco/stream_state.hpp>
#include <stratum/stats/bootstrap.hpp>
#include <stratum/stats/histogram.hpp>
#include <stratum/stats/quantile_sketch.hpp>

namespace {
template <class S>
void check(std::span<const std::byte> b) {
  try {
    const S s = S::deserialize(b);
    if (!(S::deserialize(s.serialize()) == s)) std::abort();
  } catch (const stratum::input_error&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::byte> b(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  switch (data[0] % 13) {
    case 0:
      check<stratum::coco::exact_accumulator>(b);
      break;
    case 1:
      check<stratum::coco::binned_accumulator>(b);
      break;
    case 2:
      check<stratum::coco::stream_state>(b);
      break;
    case 3:
      check<stratum::stats::histogram>(b);
      break;
    case 4:
      check<stratum::stats::quantile_sketch>(b);
      break;
    case 5:
      check<stratum::stats::bootstrap_sums>(b);
      break;
    case 6:
      check<stratum::calibration::calibration_bins>(b);
      break;
    case 7:
      check<stratum::calibration::class_calibration_bins>(b);
      break;
    case 8:
      check<stratum::coco::binned_stream_state>(b);
      break;
    case 9:
      check<stratum::audit::operating_records>(b);
      break;
    case 10:
      check<stratum::audit::audit_stream_state>(b);
      break;
    case 11:
      check<stratum::baseline::baseline_file>(b);
      break;
    default:
      check<stratum::baseline::profile>(b);
      break;
  }
  return 0;
}
