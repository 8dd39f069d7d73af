// osprey: the command-line tool. Subcommands:
//   osprey dataset export ...   a YOLO/COCO training set from stored footage
// Exit codes: 0 done, 1 the operation failed, 2 bad usage.
#include <cstdio>
#include <string>
#include <vector>

#include "cli_util.h"

namespace osprey::cli {
int DatasetExport(const std::vector<std::string>& args);
}

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: osprey dataset export --stream S --from T1 --to T2 --labels a,b "
               "--format yolo|coco --out DIR [--endpoint URL] [--detectors ...] "
               "[--sample-fps N] [--min-score X] [--review-min-score X] [--keep-empty] "
               "[--config ml.toml] [--quiet]\n");
  return osprey::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "dataset" && args[1] == "export") {
    return osprey::cli::DatasetExport({args.begin() + 2, args.end()});
  }
  if (!args.empty() && args[0] != "help" && args[0] != "--help") {
    std::fprintf(stderr, "osprey: unknown command \"%s\"\n", args[0].c_str());
  }
  return Usage();
}
