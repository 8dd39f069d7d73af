#include "bench_report.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include <benchmark/benchmark.h>

#include "osprey/base/json_writer.h"

#ifndef OSPREY_BENCH_RESULTS_DIR
#define OSPREY_BENCH_RESULTS_DIR "bench/results"
#endif

namespace osprey::bench {
namespace {

struct Cell {
  double cpu_ns = 0;
  double real_ns = 0;
  double bytes_per_second = 0;  // 0 when not reported
  int64_t iterations = 0;
};

struct Row {
  std::string group, row, column;
  Cell cell;
};

double ToNanoseconds(double value, benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond: return value;
    case benchmark::kMicrosecond: return value * 1e3;
    case benchmark::kMillisecond: return value * 1e6;
    case benchmark::kSecond: return value * 1e9;
  }
  return value;
}

// Keeps the median of each benchmark (or its single run without
// repetitions) while the console reporter prints as usual.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool keep = run.run_type == Run::RT_Aggregate
                            ? run.aggregate_name == "median"
                            : run.repetitions <= 1;
      if (!keep || run.error_occurred) continue;
      Row row;
      const std::string& name = run.run_name.function_name;
      const size_t a = name.find('/');
      const size_t b = name.rfind('/');
      if (a == std::string::npos || a == b) {
        row.group = "results";
        row.row = name;
        row.column = "value";
      } else {
        row.group = name.substr(0, a);
        row.row = name.substr(a + 1, b - a - 1);
        row.column = name.substr(b + 1);
      }
      row.cell.cpu_ns = ToNanoseconds(run.GetAdjustedCPUTime(), run.time_unit);
      row.cell.real_ns = ToNanoseconds(run.GetAdjustedRealTime(), run.time_unit);
      row.cell.iterations = run.iterations;
      if (auto it = run.counters.find("bytes_per_second"); it != run.counters.end()) {
        row.cell.bytes_per_second = it->second.value;
      }
      rows.push_back(std::move(row));
    }
  }
  std::vector<Row> rows;
};

std::string FormatTime(double ns) {
  char buf[32];
  if (ns < 1e3) {
    std::snprintf(buf, sizeof(buf), "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2f us", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f ms", ns / 1e6);
  }
  return buf;
}

std::string FormatCell(const Cell& c, bool fastest) {
  std::string s = FormatTime(c.cpu_ns);
  if (c.bytes_per_second > 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), " (%.0f MB/s)", c.bytes_per_second / 1e6);
    s += buf;
  }
  if (fastest) s += " *";
  return s;
}

std::vector<std::string> Ordered(const std::vector<std::string>& seen,
                                 const std::vector<std::string>& preferred) {
  std::vector<std::string> out;
  for (const auto& p : preferred) {
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) out.push_back(p);
  }
  for (const auto& s : seen) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

void PrintTables(const std::vector<Row>& rows, const ReportOptions& options) {
  std::vector<std::string> groups;
  for (const Row& r : rows) {
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  }
  for (const std::string& group : groups) {
    std::vector<std::string> row_names, seen_columns;
    std::map<std::pair<std::string, std::string>, Cell> cells;
    for (const Row& r : rows) {
      if (r.group != group) continue;
      if (std::find(row_names.begin(), row_names.end(), r.row) == row_names.end()) {
        row_names.push_back(r.row);
      }
      if (std::find(seen_columns.begin(), seen_columns.end(), r.column) == seen_columns.end()) {
        seen_columns.push_back(r.column);
      }
      cells[{r.row, r.column}] = r.cell;
    }
    const std::vector<std::string> columns = Ordered(seen_columns, options.columns);
    std::vector<std::vector<std::string>> table;
    table.push_back({group});
    for (const auto& c : columns) table[0].push_back(c);
    for (const auto& rn : row_names) {
      double best = 0;
      for (const auto& c : columns) {
        auto it = cells.find({rn, c});
        if (it != cells.end() && (best == 0 || it->second.cpu_ns < best)) best = it->second.cpu_ns;
      }
      std::vector<std::string> line = {rn};
      for (const auto& c : columns) {
        auto it = cells.find({rn, c});
        line.push_back(it == cells.end() ? "-" : FormatCell(it->second, it->second.cpu_ns == best));
      }
      table.push_back(std::move(line));
    }
    std::vector<size_t> width(table[0].size(), 0);
    for (const auto& line : table) {
      for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    }
    std::printf("\n");
    for (size_t l = 0; l < table.size(); ++l) {
      std::string out = "|";
      for (size_t i = 0; i < table[l].size(); ++i) {
        out += " " + table[l][i] + std::string(width[i] - table[l][i].size(), ' ') + " |";
      }
      std::printf("%s\n", out.c_str());
      if (l == 0) {
        std::string sep = "|";
        for (size_t w : width) sep += std::string(w + 2, '-') + "|";
        std::printf("%s\n", sep.c_str());
      }
    }
  }
  std::printf("\nCells: median CPU time per operation over the repetitions; * = fastest in row.\n");
  for (const auto& n : options.notes) std::printf("Note: %s\n", n.c_str());
}

std::string UtcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Command(int argc, char** argv) {
  std::string cmd;
  for (int i = 0; i < argc; ++i) {
    if (i) cmd += ' ';
    cmd += argv[i];
  }
  return cmd;
}

void WriteJson(const std::string& path, const std::vector<Row>& rows, const Machine& m,
               const std::string& command, const ReportOptions& options) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("benchmark").String(options.name);
  w.Key("date").String(UtcNow());
  w.Key("command").String(command);
  w.Key("machine").BeginObject();
  w.Key("nproc").Int64(m.nproc);
  w.Key("cpu_model").String(m.cpu_model);
  w.Key("ram_bytes").Uint64(m.ram_bytes);
  w.Key("load_average_1m_at_start").Double(m.load_average_1m);
  w.Key("compiler").String(m.compiler);
  w.EndObject();
  w.Key("context").BeginObject();
  for (const auto& [k, v] : options.context) w.Key(k).String(v);
  w.EndObject();
  w.Key("notes").BeginArray();
  for (const auto& n : options.notes) w.String(n);
  w.EndArray();
  w.Key("results").BeginArray();
  for (const Row& r : rows) {
    w.BeginObject();
    w.Key("group").String(r.group);
    w.Key("case").String(r.row);
    w.Key("impl").String(r.column);
    w.Key("cpu_ns_per_op").Double(r.cell.cpu_ns);
    w.Key("real_ns_per_op").Double(r.cell.real_ns);
    if (r.cell.bytes_per_second > 0) w.Key("bytes_per_second").Double(r.cell.bytes_per_second);
    w.Key("iterations").Int64(r.cell.iterations);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out.push_back('\n');
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << out;
  if (!f) {
    std::fprintf(stderr, "could not write %s\n", path.c_str());
  } else {
    std::printf("Results written to %s\n", path.c_str());
  }
}

}  // namespace

Machine DescribeMachine() {
  Machine m;
  m.nproc = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu_model = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    uint64_t kib = 0;
    meminfo >> kib;
    if (key == "MemTotal:") {
      m.ram_bytes = kib * 1024;
      break;
    }
    meminfo.ignore(256, '\n');
  }
  std::ifstream loadavg("/proc/loadavg");
  loadavg >> m.load_average_1m;
#ifdef __VERSION__
  m.compiler = __VERSION__;
#endif
  return m;
}

int RunBenchmarksAndReport(int argc, char** argv, const ReportOptions& options) {
  std::string results_dir = OSPREY_BENCH_RESULTS_DIR;
  std::vector<char*> args = {argv[0]};
  // Defaults first so that the user's flags, parsed later, win.
  static char reps[] = "--benchmark_repetitions=5";
  static char aggr[] = "--benchmark_report_aggregates_only=true";
  static char min_time[] = "--benchmark_min_time=0.2";
  args.insert(args.end(), {reps, aggr, min_time});
  for (int i = 1; i < argc; ++i) {
    constexpr std::string_view kFlag = "--results_dir=";
    if (std::string_view(argv[i]).rfind(kFlag, 0) == 0) {
      results_dir = argv[i] + kFlag.size();
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  args.push_back(nullptr);
  const Machine machine = DescribeMachine();
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  std::printf("Machine: %d CPUs, %s, %.1f GiB RAM, load average %.2f at start\n",
              machine.nproc, machine.cpu_model.c_str(),
              static_cast<double>(machine.ram_bytes) / (1ULL << 30), machine.load_average_1m);
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  PrintTables(reporter.rows, options);
  WriteJson(results_dir + "/" + options.name + ".json", reporter.rows, machine,
            Command(argc, argv), options);
  return 0;
}

}  // namespace osprey::bench
