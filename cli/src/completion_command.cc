// osprey completion bash|zsh: a shell completion script on stdout.
//
//   source <(osprey completion bash)          # this shell
//   osprey completion bash > /etc/bash_completion.d/osprey
//
// The table below is the one list of groups, commands and flags the script
// knows; docs/cli.md says to keep it in step with the commands' usage texts
// (test_cli.py checks that every flag a usage text names is offered). Stream
// names are completed live with `osprey video list --json` and `osprey
// delivery list --json` when OSPREY_ENDPOINT and credentials are set.
// zsh gets the same script through bashcompinit.
#include <cstdio>
#include <string>
#include <vector>

#include "cli_util.h"

namespace osprey::cli {
namespace {

struct Command {
  const char* group;
  const char* name;
  const char* flags;  // space separated
};

const Command kCommands[] = {
    {"video", "list", "--json"},
    {"video", "create", "--name --retention-hours --json"},
    {"video", "describe", "--stream --json"},
    {"video", "delete", "--stream"},
    {"video", "retention", "--stream --increase --decrease"},
    {"video", "get", "--stream --from --to -o --quiet"},
    {"video", "put", "--stream --fragment-ms"},
    {"records", "put", "--stream --data --partition-key --json"},
    {"records", "tail", "--stream --from-start --limit --base64 --json"},
    {"delivery", "list", "--json"},
    {"delivery", "describe", "--stream --json"},
    {"delivery", "put", "--stream --data --newline --json"},
    {"dataset", "export",
     "--stream --from --to --labels --format --out --detectors --sample-fps --min-score "
     "--review-min-score --keep-empty --config --quiet --archive"},
    {"doctor", "", "--stale-seconds --json"},
    {"completion", "", ""},
};

constexpr const char* kCommonFlags = "--endpoint --region --profile --ca-bundle --help";

std::string BashScript() {
  std::string groups, cases;
  for (const Command& c : kCommands) {
    if (&c == kCommands || std::string((&c - 1)->group) != c.group) {
      groups += (groups.empty() ? "" : " ") + std::string(c.group);
    }
  }
  // One case arm per group: its commands, then each command's flags.
  std::string last_group;
  for (const Command& c : kCommands) {
    if (std::string(c.group) == "completion") {
      cases += "    completion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")); return;;\n";
      continue;
    }
    if (c.name[0] == '\0') {
      cases += std::string("    ") + c.group + ") flags=\"" + c.flags + "\";;\n";
      continue;
    }
    if (c.group != last_group) {
      std::string names;
      for (const Command& d : kCommands) {
        if (std::string(d.group) == c.group) names += (names.empty() ? "" : " ") + std::string(d.name);
      }
      cases += std::string("    ") + c.group + ")\n      if [ $COMP_CWORD -eq 2 ]; then\n" +
               "        COMPREPLY=($(compgen -W \"" + names + "\" -- \"$cur\")); return\n" +
               "      fi\n      case \"${COMP_WORDS[2]}\" in\n";
      last_group = c.group;
    }
    cases += std::string("        ") + c.name + ") flags=\"" + c.flags + "\";;\n";
    // Close the inner case after the group's last command.
    const Command* next = &c + 1;
    if (next == std::end(kCommands) || std::string(next->group) != c.group) {
      cases += "      esac;;\n";
    }
  }
  return "# bash completion for osprey (osprey completion bash)\n"
         "_osprey_streams() {\n"
         "  [ -n \"${OSPREY_ENDPOINT:-${AWS_ENDPOINT_URL:-}}\" ] || return 0\n"
         "  osprey \"$1\" list --json 2>/dev/null | tr ',{}[]' '\\n\\n\\n\\n\\n' |\n"
         "    sed -n 's/.*\"\\(DeliveryStreamName\\|StreamName\\)\": *\"\\([^\"]*\\)\".*/\\2/p;"
         "s/^ *\"\\([^\"]*\\)\" *$/\\1/p'\n"
         "}\n"
         "_osprey() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\" flags=\"\"\n"
         "  if [ $COMP_CWORD -eq 1 ]; then\n"
         "    COMPREPLY=($(compgen -W \"" + groups + " help\" -- \"$cur\")); return\n"
         "  fi\n"
         "  case \"$prev\" in\n"
         "    --stream) case \"${COMP_WORDS[1]}\" in\n"
         "        video|dataset) COMPREPLY=($(compgen -W \"$(_osprey_streams video)\" -- \"$cur\"));;\n"
         "        delivery) COMPREPLY=($(compgen -W \"$(_osprey_streams delivery)\" -- \"$cur\"));;\n"
         "      esac; return;;\n"
         "    -o|--out|--config|--archive) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n"
         "    --format) COMPREPLY=($(compgen -W \"yolo coco\" -- \"$cur\")); return;;\n"
         "  esac\n"
         "  case \"${COMP_WORDS[1]}\" in\n" + cases +
         "  esac\n"
         "  COMPREPLY=($(compgen -W \"$flags " + kCommonFlags + "\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _osprey osprey\n";
}

}  // namespace

int CompletionCommand(const std::vector<std::string>& args) {
  if (args.size() != 1 || (args[0] != "bash" && args[0] != "zsh")) {
    std::fputs("usage: osprey completion bash|zsh\n", args.size() == 1 && args[0] == "--help"
                                                          ? stdout
                                                          : stderr);
    return args.size() == 1 && args[0] == "--help" ? kExitOk : kExitUsage;
  }
  std::string script = BashScript();
  if (args[0] == "zsh") script = "autoload -U +X bashcompinit && bashcompinit\n" + script;
  std::fputs(script.c_str(), stdout);
  return kExitOk;
}

}  // namespace osprey::cli
