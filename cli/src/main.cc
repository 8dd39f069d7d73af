// osprey: the command-line tool. Subcommands by group, one file each:
//   osprey video ...      KVS streams and downloads (video_command.cc, video_get.cc)
//   osprey records ...    Kinesis Data Streams put and tail (records_command.cc)
//   osprey delivery ...   Firehose delivery streams (delivery_command.cc)
//   osprey dataset export a YOLO/COCO training set from stored footage
//   osprey doctor         checks server, clock, keys, cameras, codecs (doctor_command.cc)
//   osprey completion     bash/zsh completion (completion_command.cc)
// Exit codes: 0 done, 1 the operation failed (on the server: the AWS error
// name and message on one line), 2 bad usage.
#include <cstdio>
#include <string>
#include <vector>

#include "cli_util.h"

namespace osprey::cli {
int DatasetExport(const std::vector<std::string>& args);
int VideoCommand(const std::vector<std::string>& args);
int RecordsCommand(const std::vector<std::string>& args);
int DeliveryCommand(const std::vector<std::string>& args);
int DoctorCommand(const std::vector<std::string>& args);
int CompletionCommand(const std::vector<std::string>& args);
}  // namespace osprey::cli

namespace {

constexpr const char* kUsage =
    "usage: osprey <group> <command> [flags]\n"
    "\n"
    "  video list|create|describe|delete|retention|get   Kinesis Video Streams\n"
    "  records put|tail                                  Kinesis Data Streams\n"
    "  delivery list|describe|put                        Firehose delivery streams\n"
    "  dataset export                                    a training set from stored footage\n"
    "  doctor                                            what is wrong with this setup\n"
    "  completion bash|zsh                               shell completion script\n"
    "  help                                              this text\n"
    "\n"
    "`osprey <group> --help` lists a group's commands and flags. Every command takes\n"
    "--endpoint URL (or OSPREY_ENDPOINT / AWS_ENDPOINT_URL) and --region; credentials\n"
    "come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or from an AWS CLI profile\n"
    "(--profile NAME or AWS_PROFILE: keys, region, endpoint_url, ca_bundle from\n"
    "~/.aws/credentials and ~/.aws/config). For an https:// endpoint\n"
    "whose CA is not in the system store (osprey-server --self-signed), give the CA\n"
    "file with --ca-bundle PEM or AWS_CA_BUNDLE. --json prints the server's\n"
    "answer for scripts. Exit codes: 0 done, 1 the operation failed, 2 bad usage.\n";

constexpr const char* kDatasetUsage =
    "usage: osprey dataset export --stream S --from T1 --to T2 --labels a,b "
    "--format yolo|coco --out DIR [--endpoint URL] [--detectors ...] "
    "[--sample-fps N] [--min-score X] [--review-min-score X] [--keep-empty] "
    "[--config ml.toml] [--quiet]\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace osprey::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string group = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (group == "help" || group == "--help" || group == "-h") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (group == "video") return VideoCommand(rest);
  if (group == "records") return RecordsCommand(rest);
  if (group == "delivery") return DeliveryCommand(rest);
  if (group == "doctor") return DoctorCommand(rest);
  if (group == "completion") return CompletionCommand(rest);
  if (group == "dataset") {
    if (!rest.empty() && rest[0] == "export") return DatasetExport({rest.begin() + 1, rest.end()});
    const bool help = !rest.empty() && rest[0] == "--help";
    std::fputs(kDatasetUsage, help ? stdout : stderr);
    return help ? kExitOk : kExitUsage;
  }
  std::fprintf(stderr, "osprey: unknown command \"%s\" (see osprey help)\n", group.c_str());
  return kExitUsage;
}
