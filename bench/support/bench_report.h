// Shared reporting for Osprey's Google Benchmark programs, so every
// benchmark follows bench/README.md the same way: the usual Google Benchmark
// console output while it runs, then one side-by-side table (our figure next
// to the peers' from the same run) and a JSON file bench/results/<name>.json.
//
// Benchmarks are registered with three-part names, "<group>/<row>/<column>",
// e.g. "parse/PutRecords/simdjson_ondemand": one table per group, one row per
// workload, one column per implementation. The cell is the median CPU time
// per iteration over the repetitions (CPU rather than wall time because the
// shared 2-core CI machine may be busy), plus MB/s when the benchmark called
// SetBytesProcessed.
//
// Thread safety: call RunBenchmarksAndReport once, from main().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace osprey::bench {

// What docs/benchmarks.md records about the machine.
struct Machine {
  int nproc = 0;
  std::string cpu_model;
  uint64_t ram_bytes = 0;
  double load_average_1m = 0;  // at start: > 0.5 means others were busy
  std::string compiler;
};

Machine DescribeMachine();

struct ReportOptions {
  std::string name;                  // results file is <results_dir>/<name>.json
  std::vector<std::string> columns;  // column order; unknown columns follow
  std::vector<std::string> notes;    // printed under the tables, kept in JSON
  // Extra key/values recorded under "context" in the JSON file.
  std::vector<std::pair<std::string, std::string>> context;
};

// Parses our flag --results_dir=DIR (default: bench/results in the source
// tree), adds default flags (5 repetitions, aggregates only) that the
// command line may override, runs every registered benchmark, prints the
// tables and writes the JSON file. Returns main()'s exit code.
int RunBenchmarksAndReport(int argc, char** argv, const ReportOptions& options);

}  // namespace osprey::bench
