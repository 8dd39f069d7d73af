#include "config/config_loader.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::server {
namespace {

Result<LoadedServerOptions> Load(std::vector<std::string> args, const EnvMap& env = {}) {
  args.insert(args.begin(), "osprey-server");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return LoadServerOptions(static_cast<int>(args.size()), argv.data(), env);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A file in the test's temp dir, removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(::testing::TempDir() + "/" + std::to_string(::getpid()) + "-" + name) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every field different from its default, and valid.
ServerOptions AllChanged() {
  ServerOptions o;
  o.listen = "127.0.0.1:1";
  o.data_dir = "/var/lib/osprey";
  o.auth = "none";
  o.log_level = "debug";
  o.region = "eu-west-2";
  o.public_url = "https://video.example.com";
  o.threads = 3;
  o.header_timeout_ms = 1;
  o.idle_timeout_ms = 2;
  o.max_body_bytes = 1024;
  o.max_connections = 5;
  o.shutdown_grace_ms = 7;
  o.kinesis_shard_limits = "on";
  // tls_cert and tls_key exclude self_signed: TlsFilesFromEverySource.
  o.self_signed = "on";
  o.tls_san = "video.example.com,10.0.0.1";
  o.firehose_plain_http = "on";
  o.firehose_s3_endpoint = "https://minio.example.com:9000";
  o.firehose_s3_region = "eu-central-1";
  o.firehose_s3_access_key_id = "AKIDS3";
  o.firehose_s3_secret_access_key = "s3secret";
  return o;
}

TEST(ConfigLoaderTest, NothingGivenMeansDefaults) {
  auto loaded = Load({}, {{"PATH", "/bin"}, {"HOME", "/root"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->command, ServerCommand::kRun);
  EXPECT_EQ(loaded->options, ServerOptions{});
  EXPECT_EQ(loaded->config_file, "");
  EXPECT_TRUE(ValidateServerOptions(ServerOptions{}).ok());
}

TEST(ConfigLoaderTest, FlagsSetEveryFieldInBothForms) {
  auto loaded = Load({"--listen", "127.0.0.1:1", "--data-dir=/var/lib/osprey", "--auth", "none",
                      "--log-level=debug", "--region", "eu-west-2",
                      "--public-url=https://video.example.com", "--threads", "3",
                      "--header-timeout-ms=1", "--idle-timeout-ms", "2", "--max-body-bytes=1024",
                      "--max-connections", "5", "--shutdown-grace-ms=7",
                      "--kinesis-shard-limits", "on", "--self-signed", "--tls-san",
                      "video.example.com,10.0.0.1", "--firehose-plain-http=on",
                      "--firehose-s3-endpoint", "https://minio.example.com:9000",
                      "--firehose-s3-region=eu-central-1", "--firehose-s3-access-key-id",
                      "AKIDS3", "--firehose-s3-secret-access-key=s3secret"});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options, AllChanged());
}

TEST(ConfigLoaderTest, EnvironmentSetsEveryField) {
  EnvMap env = {{"OSPREY_LISTEN", "127.0.0.1:1"},       {"OSPREY_DATA_DIR", "/var/lib/osprey"},
                {"OSPREY_AUTH", "none"},                {"OSPREY_LOG_LEVEL", "debug"},
                {"OSPREY_REGION", "eu-west-2"},         {"OSPREY_PUBLIC_URL", "https://video.example.com"},
                {"OSPREY_THREADS", "3"},                {"OSPREY_HEADER_TIMEOUT_MS", "1"},
                {"OSPREY_IDLE_TIMEOUT_MS", "2"},        {"OSPREY_MAX_BODY_BYTES", "1024"},
                {"OSPREY_MAX_CONNECTIONS", "5"},        {"OSPREY_SHUTDOWN_GRACE_MS", "7"},
                {"OSPREY_KINESIS_SHARD_LIMITS", "on"},  {"OSPREY_SELF_SIGNED", "on"},
                {"OSPREY_TLS_SAN", "video.example.com,10.0.0.1"},
                {"OSPREY_FIREHOSE_PLAIN_HTTP", "on"},
                {"OSPREY_FIREHOSE_S3_ENDPOINT", "https://minio.example.com:9000"},
                {"OSPREY_FIREHOSE_S3_REGION", "eu-central-1"},
                {"OSPREY_FIREHOSE_S3_ACCESS_KEY_ID", "AKIDS3"},
                {"OSPREY_FIREHOSE_S3_SECRET_ACCESS_KEY", "s3secret"}};
  auto loaded = Load({}, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options, AllChanged());
}

TEST(ConfigLoaderTest, TomlSetsEveryField) {
  ServerOptions options;
  Status s = ApplyTomlConfig(R"(
listen = "127.0.0.1:1"
data_dir = "/var/lib/osprey"
auth = "none"
log_level = "debug"
region = "eu-west-2"
public_url = "https://video.example.com"
threads = 3
header_timeout_ms = 1
idle_timeout_ms = 2
max_body_bytes = 1_024
max_connections = 5
shutdown_grace_ms = 7
kinesis_shard_limits = "on"
self_signed = "on"
tls_san = "video.example.com,10.0.0.1"
firehose_plain_http = "on"
firehose_s3_endpoint = "https://minio.example.com:9000"
firehose_s3_region = "eu-central-1"
firehose_s3_access_key_id = "AKIDS3"
firehose_s3_secret_access_key = "s3secret"
)",
                             "config.toml", &options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(options, AllChanged());
}

TEST(ConfigLoaderTest, FlagsBeatEnvironmentWhichBeatsTheFile) {
  TempFile file("precedence.toml", "threads = 1\nregion = \"from-file\"\nlog_level = \"warn\"\n");
  auto loaded = Load({"--config", file.path(), "--region", "from-flag"},
                     {{"OSPREY_THREADS", "2"}, {"OSPREY_REGION", "from-env"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->config_file, file.path());
  EXPECT_EQ(loaded->options.log_level, "warn");     // file only
  EXPECT_EQ(loaded->options.threads, 2);            // env over file
  EXPECT_EQ(loaded->options.region, "from-flag");  // flag over env and file
  EXPECT_EQ(loaded->options.listen, "0.0.0.0:9470");
}

TEST(ConfigLoaderTest, ConfigFlagBeatsConfigVariable) {
  TempFile from_flag("flag.toml", "region = \"flag-file\"\n");
  auto loaded = Load({"--config=" + from_flag.path()}, {{"OSPREY_CONFIG", "/nonexistent.toml"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options.region, "flag-file");

  TempFile from_env("env.toml", "region = \"env-file\"\n");
  loaded = Load({}, {{"OSPREY_CONFIG", from_env.path()}});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options.region, "env-file");
  EXPECT_EQ(loaded->config_file, from_env.path());
}

TEST(ConfigLoaderTest, LastRepeatedFlagWins) {
  auto loaded = Load({"--threads=1", "--threads", "2"});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->options.threads, 2);
}

TEST(ConfigLoaderTest, HelpAndVersionAreReportedEvenWithBrokenConfig) {
  EnvMap broken = {{"OSPREY_THREADS", "many"}, {"OSPREY_CONFIG", "/nonexistent.toml"}};
  auto help = Load({"--threads=2", "--help", "--bogus"}, broken);
  ASSERT_TRUE(help.ok()) << help.status().ToString();
  EXPECT_EQ(help->command, ServerCommand::kHelp);
  EXPECT_EQ(help->options, ServerOptions{});
  EXPECT_EQ(Load({"-h"})->command, ServerCommand::kHelp);
  EXPECT_EQ(Load({"--version"}, broken)->command, ServerCommand::kVersion);
}

TEST(ConfigLoaderTest, VariablesOfOtherProgramsAreIgnored) {
  auto loaded = Load({}, {{"OSPREY_AGENT_STREAM", "cam-1"}, {"OSPREY_ML_MODEL", "x"},
                          {"OSPREY_CLI_PROFILE", "y"}, {"OSPREY_TEST_SEED", "z"},
                          {"OSPREYLISTEN", "w"}});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options, ServerOptions{});
}

TEST(ConfigLoaderTest, AuthNoneIsAcceptedOnLoopback) {
  for (const char* listen : {"127.0.0.1:9470", "127.9.8.7:0", "[::1]:9470", "localhost:9470",
                             "LocalHost:1", "[::ffff:127.0.0.1]:80"}) {
    auto loaded = Load({"--auth=none", std::string("--listen=") + listen});
    EXPECT_TRUE(loaded.ok()) << listen << ": " << loaded.status().ToString();
  }
}

TEST(ConfigLoaderTest, AuthCheckUsesFinalValues) {
  // The file alone would be rejected; the flag makes the final address safe.
  TempFile file("auth.toml", "listen = \"0.0.0.0:9470\"\nauth = \"none\"\n");
  auto loaded = Load({"--config", file.path(), "--listen", "127.0.0.1:9470"});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options.auth, "none");

  loaded = Load({"--config", file.path()});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            file.path() + ":2: auth: \"none\" is only allowed when listen is a loopback address "
                          "(127.0.0.0/8, ::1 or localhost); listen is \"0.0.0.0:9470\" (from " +
                file.path() + ":1)");
}

TEST(ConfigLoaderTest, ParsesListenAddresses) {
  auto v4 = ParseListenAddress("0.0.0.0:9470");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 9470);
  EXPECT_FALSE(v4->is_ipv6);
  auto v6 = ParseListenAddress("[::]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::");
  EXPECT_EQ(v6->port, 0);
  EXPECT_TRUE(v6->is_ipv6);
  auto name = ParseListenAddress("video-1.example.com:65535");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->host, "video-1.example.com");
  EXPECT_EQ(name->port, 65535);
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.255.255"));
}

TEST(ConfigLoaderTest, ValidateServerOptionsNamesTheField) {
  ServerOptions o;
  o.threads = 300;
  EXPECT_EQ(ValidateServerOptions(o).message(), "threads: must be between 0 and 256, got 300");
  o = ServerOptions{};
  o.auth = "none";
  EXPECT_EQ(ValidateServerOptions(o).message(),
            "auth: \"none\" is only allowed when listen is a loopback address (127.0.0.0/8, ::1 "
            "or localhost); listen is \"0.0.0.0:9470\"");
}

TEST(ConfigLoaderTest, MissingConfigFileNamesWhereItCameFrom) {
  auto loaded = Load({"--config", "/nonexistent/x.toml"});
  EXPECT_EQ(loaded.status().message(),
            "--config: cannot read \"/nonexistent/x.toml\": No such file or directory");
  loaded = Load({}, {{"OSPREY_CONFIG", "/nonexistent/y.toml"}});
  EXPECT_EQ(loaded.status().message(),
            "OSPREY_CONFIG: cannot read \"/nonexistent/y.toml\": No such file or directory");
}

TEST(ConfigLoaderTest, FileErrorsNameThePathAsGiven) {
  TempFile file("typo.toml", "listen = \"0.0.0.0:9470\"\n\nlistn = \"x\"\n");
  auto loaded = Load({"--config", file.path()});
  EXPECT_EQ(loaded.status().message(), file.path() + ":3: unknown key \"listn\"");
}

TEST(ConfigLoaderTest, TomlSyntaxErrorsCarryTheLine) {
  ServerOptions options;
  Status s = ApplyTomlConfig("threads = 2\nlisten = \n", "config.toml", &options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("config.toml:2: ")) << s.message();
}

TEST(ConfigLoaderTest, SampleFileEqualsTheDefaults) {
  const std::string path = std::string(OSPREY_SOURCE_DIR) + "/deploy/osprey-server.toml";
  std::string text = ReadAll(path);
  ASSERT_FALSE(text.empty()) << path;
  // Starting from all-different values proves the sample sets every key.
  ServerOptions options = AllChanged();
  Status s = ApplyTomlConfig(text, path, &options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(options, ServerOptions{});

  auto loaded = Load({"--config", path});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->options, ServerOptions{});
}

TEST(ConfigLoaderTest, TlsFilesFromEverySource) {
  ServerOptions want;
  want.tls_cert = "/etc/osprey/server.pem";
  want.tls_key = "/etc/osprey/server-key.pem";
  auto flags = Load({"--tls-cert", want.tls_cert, "--tls-key=" + want.tls_key});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(flags->options, want);
  auto env = Load({}, {{"OSPREY_TLS_CERT", want.tls_cert}, {"OSPREY_TLS_KEY", want.tls_key}});
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->options, want);

  // The sample resets them, as it does every other key.
  ServerOptions options = want;
  Status s = ApplyTomlConfig(ReadAll(std::string(OSPREY_SOURCE_DIR) + "/deploy/osprey-server.toml"),
                             "sample", &options);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(options, ServerOptions{});
}

TEST(ConfigLoaderTest, SelfSignedSwitchTakesAnOptionalValue) {
  auto on = Load({"--self-signed", "--listen", "127.0.0.1:1"});
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_EQ(on->options.self_signed, "on");
  EXPECT_EQ(on->options.listen, "127.0.0.1:1");
  auto off = Load({"--self-signed=off"}, {{"OSPREY_SELF_SIGNED", "on"}});
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->options.self_signed, "off");
  EXPECT_NE(UsageText().find("--self-signed[=on|off]"), std::string::npos) << UsageText();
}

struct TlsErrorCase {
  std::vector<std::string> args;
  std::string message;
};

TEST(ConfigLoaderTest, TlsSettingsMustAgree) {
  const std::vector<TlsErrorCase> cases = {
      {{"--tls-cert", "c.pem"}, "--tls-cert: tls_cert and tls_key must be given together"},
      {{"--tls-key", "k.pem"}, "--tls-key: tls_cert and tls_key must be given together"},
      {{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--self-signed"},
       "--self-signed: self_signed makes its own certificate; not with tls_cert"},
      {{"--tls-san", "a.example"},
       "--tls-san: only used for the self_signed certificate (self_signed = \"on\"); put the "
       "names in your own certificate instead"},
      {{"--self-signed", "--tls-san", "a b"},
       "--tls-san: must be comma-separated host names or IP addresses, got \"a b\""},
      {{"--self-signed=yes"}, "--self-signed: must be \"on\" or \"off\", got \"yes\""},
  };
  for (const auto& c : cases) {
    auto loaded = Load(c.args);
    ASSERT_FALSE(loaded.ok()) << c.message;
    EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(loaded.status().message(), c.message);
  }
  ServerOptions half;
  half.tls_key = "k.pem";
  EXPECT_EQ(ValidateServerOptions(half).message(),
            "tls_key: tls_cert and tls_key must be given together");
}

TEST(ConfigLoaderTest, UsageListsEveryFlagWithItsDefault) {
  std::string usage = UsageText();
  for (const char* expected :
       {"--config FILE", "--listen ADDR", "(env OSPREY_LISTEN; default \"0.0.0.0:9470\")",
        "--data-dir DIR", "default \"./osprey-data\"", "--auth MODE", "default \"sigv4\"",
        "--log-level LEVEL", "default \"info\"", "--region REGION", "default \"us-east-1\"",
        "--public-url URL", "default \"\"", "--threads N", "(env OSPREY_THREADS; default 0)",
        "--header-timeout-ms MS", "default 10000", "--idle-timeout-ms MS", "default 60000",
        "--max-body-bytes BYTES", "default 16777216", "--max-connections N",
        "--shutdown-grace-ms MS", "default 30000", "--help", "--version"}) {
    EXPECT_NE(usage.find(expected), std::string::npos) << expected << "\n" << usage;
  }
}

// Bad command lines and environments against their exact messages (like
// mediamtx TestConfErrors): the message is the interface for the operator.
struct LoadErrorCase {
  std::vector<std::string> args;
  EnvMap env;
  std::string message;
};

TEST(ConfigLoaderTest, RejectsBadFlagsAndVariablesWithExactMessages) {
  const std::string hint = " (expected host:port, e.g. 0.0.0.0:9470 or [::1]:9470)";
  const std::string auth_none =
      ": \"none\" is only allowed when listen is a loopback address (127.0.0.0/8, ::1 or "
      "localhost); listen is ";
  const std::vector<LoadErrorCase> cases = {
      {{"--listn", "x"}, {}, "unknown flag \"--listn\" (see --help)"},
      {{"--data_dir=x"}, {}, "unknown flag \"--data_dir\" (see --help)"},
      {{"-x"}, {}, "unknown flag \"-x\" (see --help)"},
      {{"serve"}, {}, "unexpected argument \"serve\" (settings are given as --flag VALUE)"},
      {{"--"}, {}, "unknown flag \"--\" (see --help)"},
      {{"--listen"}, {}, "--listen: missing value"},
      {{"--listen", "--threads", "2"}, {}, "--listen: missing value"},
      {{"--help=yes"}, {}, "--help takes no value"},
      {{"--config"}, {}, "--config: missing value"},
      {{"--config="}, {}, "--config: must not be empty"},
      {{"--threads", "abc"}, {}, "--threads: must be an integer, got \"abc\""},
      {{"--threads=4x"}, {}, "--threads: must be an integer, got \"4x\""},
      {{"--threads="}, {}, "--threads: must be an integer, got \"\""},
      {{"--threads=300"}, {}, "--threads: must be between 0 and 256, got 300"},
      {{"--threads=-1"}, {}, "--threads: must be between 0 and 256, got -1"},
      {{"--threads=99999999999999999999"}, {},
       "--threads: must be between 0 and 256, got 99999999999999999999"},
      {{"--header-timeout-ms=0"}, {}, "--header-timeout-ms: must be between 1 and 86400000, got 0"},
      {{"--idle-timeout-ms", "-5"}, {}, "--idle-timeout-ms: must be between 1 and 86400000, got -5"},
      {{"--shutdown-grace-ms=0"}, {}, "--shutdown-grace-ms: must be between 1 and 86400000, got 0"},
      {{"--max-body-bytes=1023"}, {},
       "--max-body-bytes: must be between 1024 and 1073741824, got 1023"},
      {{"--max-connections=0"}, {}, "--max-connections: must be between 1 and 1000000, got 0"},
      {{"--log-level=verbose"}, {},
       "--log-level: must be one of debug, info, warn, error; got \"verbose\""},
      {{"--auth=basic"}, {}, "--auth: must be \"sigv4\" or \"none\", got \"basic\""},
      {{"--region=US East"}, {},
       "--region: must be lowercase letters, digits and hyphens (e.g. us-east-1), got \"US East\""},
      {{"--public-url=ftp://x"}, {},
       "--public-url: must be empty or an http:// or https:// URL, got \"ftp://x\""},
      {{"--public-url=https://"}, {},
       "--public-url: must be empty or an http:// or https:// URL, got \"https://\""},
      {{"--data-dir="}, {}, "--data-dir: must not be empty"},
      {{"--kinesis-shard-limits=yes"}, {},
       "--kinesis-shard-limits: must be \"on\" or \"off\", got \"yes\""},
      {{"--listen="}, {}, "--listen: must not be empty" + hint},
      {{"--listen=0.0.0.0"}, {}, "--listen: \"0.0.0.0\" has no port" + hint},
      {{"--listen=[::1]"}, {}, "--listen: \"[::1]\" has no port" + hint},
      {{"--listen=[::1:9470"}, {}, "--listen: \"[::1:9470\" has an unterminated \"[\"" + hint},
      {{"--listen=::1:9470"}, {},
       "--listen: \"::1:9470\" has an IPv6 address without brackets (write [::1]:9470)"},
      {{"--listen=:9470"}, {},
       "--listen: \":9470\" has no host (use 0.0.0.0:9470 for every interface)"},
      {{"--listen=0.0.0.0:70000"}, {},
       "--listen: \"0.0.0.0:70000\" has an invalid port \"70000\" (expected 0..65535)"},
      {{"--listen=0.0.0.0:http"}, {},
       "--listen: \"0.0.0.0:http\" has an invalid port \"http\" (expected 0..65535)"},
      {{"--listen=0.0.0.0:"}, {},
       "--listen: \"0.0.0.0:\" has an invalid port \"\" (expected 0..65535)"},
      {{"--listen=[zz::1]:9470"}, {},
       "--listen: \"[zz::1]:9470\" has an invalid IPv6 address \"zz::1\""},
      {{"--listen=1.2.3.999:80"}, {},
       "--listen: \"1.2.3.999:80\" has an invalid IPv4 address \"1.2.3.999\""},
      {{"--listen=bad_host:80"}, {},
       "--listen: \"bad_host:80\" has an invalid host name \"bad_host\""},
      {{"--auth=none"}, {}, "--auth" + auth_none + "\"0.0.0.0:9470\" (default)"},
      {{"--auth=none", "--listen=10.0.0.1:9470"}, {},
       "--auth" + auth_none + "\"10.0.0.1:9470\" (from --listen)"},
      {{"--auth=none", "--listen=[::]:9470"}, {},
       "--auth" + auth_none + "\"[::]:9470\" (from --listen)"},
      {{}, {{"OSPREY_LISTN", "x"}}, "unknown environment variable OSPREY_LISTN"},
      {{}, {{"OSPREY_AGENTX", "1"}}, "unknown environment variable OSPREY_AGENTX"},
      {{}, {{"OSPREY_THREADS", "many"}}, "OSPREY_THREADS: must be an integer, got \"many\""},
      {{}, {{"OSPREY_THREADS", ""}}, "OSPREY_THREADS: must be an integer, got \"\""},
      {{}, {{"OSPREY_LOG_LEVEL", "verbose"}},
       "OSPREY_LOG_LEVEL: must be one of debug, info, warn, error; got \"verbose\""},
      {{}, {{"OSPREY_LISTEN", "0.0.0.0"}}, "OSPREY_LISTEN: \"0.0.0.0\" has no port" + hint},
      {{}, {{"OSPREY_CONFIG", ""}}, "OSPREY_CONFIG: must not be empty"},
      {{}, {{"OSPREY_AUTH", "none"}, {"OSPREY_LISTEN", "192.168.1.2:9470"}},
       "OSPREY_AUTH" + auth_none + "\"192.168.1.2:9470\" (from OSPREY_LISTEN)"},
      // Checked where given, even though the flag would override it.
      {{"--threads=4"}, {{"OSPREY_THREADS", "300"}},
       "OSPREY_THREADS: must be between 0 and 256, got 300"},
  };
  for (const LoadErrorCase& c : cases) {
    std::string label;
    for (const auto& a : c.args) label += a + " ";
    for (const auto& [k, v] : c.env) label += k + "=" + v + " ";
    auto loaded = Load(c.args, c.env);
    ASSERT_FALSE(loaded.ok()) << label;
    EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument) << label;
    EXPECT_EQ(loaded.status().message(), c.message) << label;
  }
}

TEST(ConfigLoaderTest, RejectsBadTomlWithExactMessages) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"listen = \"0.0.0.0:9470\"\n\nlistn = \"x\"\n", "config.toml:3: unknown key \"listn\""},
      {"threads = 1\n[server]\nlisten = \"x\"\n", "config.toml:2: unknown key \"server\""},
      {"threads = \"4\"\n", "config.toml:1: threads: must be an integer, got string"},
      {"listen = 9470\n", "config.toml:1: listen: must be a string, got integer"},
      {"threads = 1.5\n", "config.toml:1: threads: must be an integer, got float"},
      {"auth = true\n", "config.toml:1: auth: must be a string, got boolean"},
      {"data_dir = [\"a\"]\n", "config.toml:1: data_dir: must be a string, got array"},
      {"threads = 300\n", "config.toml:1: threads: must be between 0 and 256, got 300"},
      {"header_timeout_ms = 0\n",
       "config.toml:1: header_timeout_ms: must be between 1 and 86400000, got 0"},
      {"max_body_bytes = 512\n",
       "config.toml:1: max_body_bytes: must be between 1024 and 1073741824, got 512"},
      {"log_level = \"verbose\"\n",
       "config.toml:1: log_level: must be one of debug, info, warn, error; got \"verbose\""},
      {"listen = \"localhost\"\n",
       "config.toml:1: listen: \"localhost\" has no port (expected host:port, e.g. 0.0.0.0:9470 "
       "or [::1]:9470)"},
      {"# comment\n\nregion = \"\"\n",
       "config.toml:3: region: must be lowercase letters, digits and hyphens (e.g. us-east-1), "
       "got \"\""},
  };
  for (const auto& [text, message] : cases) {
    ServerOptions options;
    Status s = ApplyTomlConfig(text, "config.toml", &options);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << text;
    EXPECT_EQ(s.message(), message) << text;
  }
}

TEST(ConfigLoaderTest, FirehoseS3EndpointNeedsAKey) {
  auto loaded = Load({"--firehose-s3-endpoint", "http://127.0.0.1:9000"});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            "--firehose-s3-endpoint: needs firehose_s3_access_key_id and "
            "firehose_s3_secret_access_key");
  auto bad = Load({"--firehose-s3-endpoint", "minio:9000"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("http:// or https:// URL"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace osprey::server
