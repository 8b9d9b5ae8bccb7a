// Distributed COCO evaluation of a JSONL frame stream with MPI: every rank reads the stream, keeps the frames
// i with i % size == rank (i counts frames from 0, in stream order), matches them into its own streaming
// evaluator, serializes its state and sends the bytes to rank 0 (MPI_Gather of the sizes, MPI_Gatherv of the
// bytes). Rank 0 deserializes every state, merges them and prints the same JSON as `stratum stream --json` on
// the same input, to the byte (the accumulators finalize in an order defined by the data, not by the split).
//
//   mpiexec -n 4 stratum_mpi_eval FRAMES.jsonl [--categories GT.json] [--params P.json]
//                                 [--slice-by k1,k2,...] [--joint k1*k2]...
//
// The state of a rank travels as one message in the library's wire format: stream_evaluator::serialize() (a
// stream state, kind 3: versioned, checksummed, fingerprinted with the parameters and slicings; see
// docs/serialization.md), merged on rank 0 by merge_serialized(), which checks all of it. Every rank
// validates the whole stream; on bad input the lowest failing rank prints the error and every rank exits with
// status 1 (2 on bad usage).
#include <mpi.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include <stratum/coco/stream.hpp>
#include <stratum/io/coco_json.hpp>
#include <stratum/io/jsonl.hpp>
#include <stratum/report/evaluation_json.hpp>

namespace {

using namespace stratum;

// ---- command line
// ---------------------------------------------------------------------------------------------

struct options {
  std::string frames, categories, params;
  std::vector<coco::slice_spec> specs;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) {
    if (cur.empty()) throw usage_error("empty item in list '" + s + "'");
    out.push_back(cur);
  }
  if (out.empty()) throw usage_error("empty list");
  return out;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--categories")
      o.categories = value();
    else if (a == "--params")
      o.params = value();
    else if (a == "--slice-by")
      for (const auto& k : split(value(), ',')) o.specs.push_back({{k}});
    else if (a == "--joint")
      o.specs.push_back({split(value(), '*')});
    else if (a.size() > 1 && a[0] == '-')
      throw usage_error("unknown option " + a);
    else if (o.frames.empty())
      o.frames = a;
    else
      throw usage_error("one FRAMES.jsonl only");
  }
  if (o.frames.empty()) throw usage_error("missing FRAMES.jsonl");
  return o;
}

/// Reads the stream and matches this rank's share of the frames (every rank reads, and so validates, every
/// line); then gathers the serialized states on rank 0, which merges them and prints the result.
int run(int rank, int size, const options& o) {
  std::optional<coco::stream_evaluator> ev;
  std::string error;
  try {
    std::optional<std::vector<coco::category_info>> cats;
    if (!o.categories.empty()) cats = io::load_coco_ground_truth(o.categories).categories;
    const coco::params p = o.params.empty() ? coco::params{} : io::load_coco_params(o.params);
    auto in = io::jsonl_reader::open(o.frames, cats);
    ev.emplace(in.categories(), p, o.specs);
    coco::frame f;
    for (std::uint64_t i = 0; in.next(f); ++i)
      if (i % static_cast<std::uint64_t>(size) == static_cast<std::uint64_t>(rank)) ev->add(f);
  } catch (const std::exception& e) {
    error = e.what();
  }
  // Agree on failure before any data moves: the lowest failing rank reports, every rank exits with status 1.
  int first_failed = error.empty() ? size : rank;
  MPI_Allreduce(MPI_IN_PLACE, &first_failed, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first_failed < size) {
    if (rank == first_failed)
      std::fprintf(stderr, "stratum_mpi_eval: error (rank %d): %s\n", rank, error.c_str());
    return 1;
  }

  const auto bytes = ev->serialize();
  int my_size = bytes.size() > static_cast<std::size_t>(INT_MAX) ? -1 : static_cast<int>(bytes.size());
  std::vector<int> sizes(rank == 0 ? static_cast<std::size_t>(size) : 0), offsets;
  MPI_Gather(&my_size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<std::byte> all;
  long long total = 0;
  if (rank == 0) {
    for (int s : sizes) offsets.push_back(static_cast<int>(total)), total += s < 0 ? INT_MAX + 1LL : s;
    if (total > INT_MAX)
      total = -1;
    else
      all.resize(static_cast<std::size_t>(total));
  }
  MPI_Bcast(&total, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  if (total < 0) {
    if (rank == 0)
      std::fprintf(stderr,
                   "stratum_mpi_eval: error: the states exceed 2 GiB, the limit of one MPI_Gatherv\n");
    return 1;
  }
  MPI_Gatherv(bytes.data(), my_size, MPI_BYTE, all.data(), sizes.data(), offsets.data(), MPI_BYTE, 0,
              MPI_COMM_WORLD);
  if (rank != 0) return 0;

  try {
    coco::stream_evaluator merged = ev->fresh();
    for (int r = 0; r < size; ++r) {
      const auto k = static_cast<std::size_t>(r);
      try {
        merged.merge_serialized(
            std::span<const std::byte>(all.data() + offsets[k], static_cast<std::size_t>(sizes[k])));
      } catch (const input_error& e) {
        throw input_error("state of rank " + std::to_string(r) + ": " + e.what());
      }
    }
    const auto res = merged.finalize();
    std::fputs(
        report::evaluation_json(res, merged.ground_truths(), merged.detections(), !o.specs.empty()).c_str(),
        stdout);
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stratum_mpi_eval: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int status = 0;
  options o;
  try {
    o = parse(argc, argv);
  } catch (const usage_error& e) {
    if (rank == 0)
      std::fprintf(
          stderr,
          "stratum_mpi_eval: %s\nusage: mpiexec -n N stratum_mpi_eval FRAMES.jsonl [--categories GT.json] "
          "[--params P.json] [--slice-by k1,k2,...] [--joint k1*k2]...\n",
          e.what());
    status = 2;
  }
  if (status == 0) status = run(rank, size, o);
  MPI_Finalize();
  return status;
}
