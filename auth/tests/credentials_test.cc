#include "osprey/auth/credentials.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace osprey::auth {
namespace {

namespace fs = std::filesystem;

std::string ParseError(std::string_view text) {
  Result<CredentialStore> r = CredentialStore::Parse(text, "keys.toml");
  return r.ok() ? "<parsed>" : r.status().message();
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "osprey-auth-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(std::string_view name) const { return (fs::path(path_) / name).string(); }
  size_t EntryCount() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(path_), {}));
  }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, std::string_view text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

TEST(CredentialStoreTest, ParsesTheDocumentedFormat) {
  Result<CredentialStore> r = CredentialStore::Parse(
      "# Osprey access keys\n"
      "[[keys]]\n"
      "access_key_id = \"OSPR3K7Q9Z2M4X8C1V6B\"\n"
      "secret_access_key = \"abcdefghijklmnopqrstuvwxyz0123456789+/AB\"\n"
      "\n"
      "[[keys]]  # a second device\n"
      "access_key_id = \"AKIDEXAMPLE\"\n"
      "secret_access_key = \"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\"\n",
      "keys.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(r->keys()[0].access_key_id, "AKIDEXAMPLE");  // sorted
  const AccessKey* key = r->Find("OSPR3K7Q9Z2M4X8C1V6B");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->secret_access_key, "abcdefghijklmnopqrstuvwxyz0123456789+/AB");
  EXPECT_EQ(r->Find("OSPR3K7Q9Z2M4X8C1V6"), nullptr);
  EXPECT_EQ(r->Find(""), nullptr);
  // Pointers survive moving the store (the verifier holds one).
  CredentialStore moved = std::move(r).value();
  EXPECT_EQ(moved.Find("OSPR3K7Q9Z2M4X8C1V6B"), key);
}

TEST(CredentialStoreTest, RejectsUnknownKeysNamingThemAndTheLine) {
  EXPECT_EQ(ParseError("[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n"
                       "allow = [\"kinesis:*\"]\n"),
            "keys.toml:4: unknown key 'allow' in [[keys]] entry (known: access_key_id, "
            "secret_access_key, role, streams, requests_per_second, burst, statement)");
  EXPECT_EQ(ParseError("listen = 1\n[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n"),
            "keys.toml:1: unknown key 'listen' (the file holds only [[keys]] entries)");
  EXPECT_EQ(ParseError("[[keys]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\n[server]\n"),
            "keys.toml:4: unknown key 'server' (the file holds only [[keys]] entries)");
}

TEST(CredentialStoreTest, RejectsMalformedFilesWithClearMessages) {
  EXPECT_EQ(ParseError(""),
            "keys.toml: no [[keys]] entries; add one with access_key_id and secret_access_key");
  EXPECT_EQ(ParseError("# only comments\n"), ParseError(""));
  EXPECT_EQ(ParseError("keys = []\n"), ParseError(""));
  EXPECT_EQ(ParseError("keys = \"AK\"\n"),
            "keys.toml:1: 'keys' must be a list of tables, each written [[keys]]");
  EXPECT_EQ(ParseError("[[keys]]\naccess_key_id = \"A\"\n"),
            "keys.toml:1: [[keys]] entry has no secret_access_key");
  EXPECT_EQ(ParseError("[[keys]]\naccess_key_id = 42\nsecret_access_key = \"s\"\n"),
            "keys.toml:2: access_key_id must be a string in double quotes");
  EXPECT_EQ(ParseError("[[keys]]\naccess_key_id = \"AK-1\"\nsecret_access_key = \"s\"\n"),
            "keys.toml:2: access_key_id 'AK-1' must be 1 to 128 of [A-Za-z0-9_]");
  const std::string secret_error =
      ParseError("[[keys]]\naccess_key_id = \"AK\"\nsecret_access_key = \"my secret\"\n");
  EXPECT_EQ(secret_error,
            "keys.toml:3: secret_access_key must be 1 to 256 printable ASCII characters without "
            "spaces");
  EXPECT_EQ(secret_error.find("my secret"), std::string::npos);  // never echoed
  EXPECT_EQ(ParseError("[[keys]]\naccess_key_id = \"AK\"\nsecret_access_key = \"a\"\n"
                       "[[keys]]\naccess_key_id = \"AK\"\nsecret_access_key = \"b\"\n"),
            "keys.toml:4: access_key_id 'AK' repeats the entry at line 1");
  // A TOML syntax error carries toml++'s description and the line.
  const std::string syntax = ParseError("[[keys]]\naccess_key_id = \"AK\nsecret_access_key = 1\n");
  EXPECT_EQ(syntax.rfind("keys.toml:2: ", 0), 0u) << syntax;
}

TEST(CredentialStoreTest, FromKeysValidatesLikeTheFile) {
  EXPECT_TRUE(CredentialStore::FromKeys({{"AK", "s"}}).ok());
  EXPECT_FALSE(CredentialStore::FromKeys({}).ok());
  EXPECT_FALSE(CredentialStore::FromKeys({{"AK", "s"}, {"AK", "t"}}).ok());
  EXPECT_FALSE(CredentialStore::FromKeys({{"A/K", "s"}}).ok());
  EXPECT_FALSE(CredentialStore::FromKeys({{"AK", ""}}).ok());
}

TEST(CredentialStoreTest, GeneratedKeysHaveTheDocumentedShape) {
  Result<AccessKey> a = CredentialStore::GenerateKey();
  Result<AccessKey> b = CredentialStore::GenerateKey();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(std::regex_match(a->access_key_id, std::regex("OSPR[A-Z0-9]{16}")))
      << a->access_key_id;
  EXPECT_TRUE(std::regex_match(a->secret_access_key, std::regex("[A-Za-z0-9+/]{40}")));
  EXPECT_NE(a->access_key_id, b->access_key_id);
  EXPECT_NE(a->secret_access_key, b->secret_access_key);
  // The file we would write for it parses back to it.
  Result<CredentialStore> parsed =
      CredentialStore::Parse(CredentialStore::RenderNewFile(*a), "new.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_NE(parsed->Find(a->access_key_id), nullptr);
  EXPECT_EQ(parsed->Find(a->access_key_id)->secret_access_key, a->secret_access_key);
}

TEST(CredentialStoreTest, CreatesAPrivateFileOnceThenReloadsIt) {
  TempDir dir;
  const std::string path = dir.File("keys.toml");
  Result<LoadedCredentials> first = CredentialStore::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  EXPECT_TRUE(first->warnings.empty());
  ASSERT_EQ(first->store.size(), 1u);
  const AccessKey key = first->store.keys()[0];
  EXPECT_TRUE(std::regex_match(key.access_key_id, std::regex("OSPR[A-Z0-9]{16}")));

  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(dir.EntryCount(), 1u);  // no temporary file left behind

  Result<LoadedCredentials> second = CredentialStore::LoadOrCreate(path);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->created);
  ASSERT_NE(second->store.Find(key.access_key_id), nullptr);
  EXPECT_EQ(second->store.Find(key.access_key_id)->secret_access_key, key.secret_access_key);
}

TEST(CredentialStoreTest, WarnsAboutAFileOthersCanRead) {
  TempDir dir;
  const std::string path = dir.File("keys.toml");
  WriteFile(path, "[[keys]]\naccess_key_id = \"AK\"\nsecret_access_key = \"s\"\n", 0644);
  Result<LoadedCredentials> r = CredentialStore::Load(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("(mode 0644)"), std::string::npos) << r->warnings[0];
  EXPECT_NE(r->warnings[0].find("chmod 600 " + path), std::string::npos);
}

TEST(CredentialStoreTest, NeverOverwritesAnExistingBadFile) {
  TempDir dir;
  const std::string path = dir.File("keys.toml");
  WriteFile(path, "[[keys]]\nacess_key_id = \"AK\"\n");
  Result<LoadedCredentials> r = CredentialStore::LoadOrCreate(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            path + ":2: unknown key 'acess_key_id' in [[keys]] entry (known: access_key_id, "
                   "secret_access_key, role, streams, requests_per_second, burst, statement)");
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}),
            "[[keys]]\nacess_key_id = \"AK\"\n");
}

TEST(CredentialStoreTest, ReportsMissingFilesAndDirectories) {
  TempDir dir;
  Result<LoadedCredentials> missing = CredentialStore::Load(dir.File("none.toml"));
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  Result<LoadedCredentials> no_dir = CredentialStore::LoadOrCreate(dir.File("sub/keys.toml"));
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.status().code(), Status::Code::kIOError);
  EXPECT_NE(no_dir.status().message().find("sub/keys.toml"), std::string::npos);
}

}  // namespace
}  // namespace osprey::auth
