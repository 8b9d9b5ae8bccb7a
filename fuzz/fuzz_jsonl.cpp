// libFuzzer target: the JSONL frame stream reader, reading every frame of the input. Every input must either
// be read to its end or throw stratum::input_error; a frame that is read must be written back and read again
// to the same frame (the writer and the reader agree).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include <stratum/io/jsonl.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    stratum::io::jsonl_reader r(in, "fuzz.jsonl");
    stratum::frame f;
    while (r.next(f)) {
      std::string text;
      stratum::io::append_stream_header(text, r.categories());
      stratum::io::append_frame(text, f);
      std::istringstream again(text);
      stratum::io::jsonl_reader r2(again, "again.jsonl");
      stratum::frame g;
      if (!r2.next(g) || !(g == f)) std::abort();  // written and read back: not the same frame
    }
  } catch (const stratum::input_error&) {
  }
  return 0;
}
