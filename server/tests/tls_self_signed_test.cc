// tls::EnsureSelfSigned (server/src/tls): what a client relies on when it
// trusts DATA_DIR/tls/ca.pem.
#include "tls/self_signed.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace osprey::server::tls {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The first certificate in a PEM file.
X509* LoadCert(const std::string& path) {
  std::string text = ReadAll(path);
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

int Mode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

class SelfSignedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("osprey_tls_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return (dir_ / "tls").string(); }

  fs::path dir_;
};

TEST_F(SelfSignedTest, CaSignsALeafNamingEveryHost) {
  auto names = DefaultSubjectAltNames({"osprey.test", "10.1.2.3"});
  auto files = EnsureSelfSigned(dir(), names);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_TRUE(files->ca_created);
  EXPECT_TRUE(files->cert_created);
  EXPECT_EQ(Mode(files->ca_key), 0600);
  EXPECT_EQ(Mode(files->key), 0600);
  EXPECT_EQ(Mode(dir()), 0700);

  X509* ca = LoadCert(files->ca_cert);
  X509* leaf = LoadCert(files->cert);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(X509_check_ca(ca), 1);
  EXPECT_EQ(X509_check_ca(leaf), 0);
  EXPECT_EQ(X509_verify(leaf, X509_get0_pubkey(ca)), 1);
  EXPECT_EQ(X509_verify(ca, X509_get0_pubkey(ca)), 1);  // self-signed root
  EXPECT_NE(X509_verify(ca, X509_get0_pubkey(leaf)), 1);

  for (const char* host : {"localhost", "osprey.test"}) {
    EXPECT_EQ(X509_check_host(leaf, host, 0, 0, nullptr), 1) << host;
  }
  char hostname[256] = {};
  ASSERT_EQ(::gethostname(hostname, sizeof hostname - 1), 0);
  EXPECT_EQ(X509_check_host(leaf, hostname, 0, 0, nullptr), 1) << hostname;
  for (const char* ip : {"127.0.0.1", "::1", "10.1.2.3"}) {
    EXPECT_EQ(X509_check_ip_asc(leaf, ip, 0), 1) << ip;
  }
  EXPECT_NE(X509_check_host(leaf, "other.test", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(leaf, "10.1.2.4", 0), 1);

  // The whole chain verifies as a TLS client would check it.
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
  EXPECT_EQ(X509_verify_cert(ctx), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(ca);
  X509_free(leaf);
}

TEST_F(SelfSignedTest, SecondRunReusesEverything) {
  auto names = DefaultSubjectAltNames({});
  auto first = EnsureSelfSigned(dir(), names);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string ca = ReadAll(first->ca_cert), cert = ReadAll(first->cert);
  const std::string key = ReadAll(first->key);

  auto second = EnsureSelfSigned(dir(), names);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->ca_created);
  EXPECT_FALSE(second->cert_created);
  EXPECT_EQ(ReadAll(second->ca_cert), ca);
  EXPECT_EQ(ReadAll(second->cert), cert);
  EXPECT_EQ(ReadAll(second->key), key);
}

TEST_F(SelfSignedTest, NewNameReissuesTheLeafFromTheSameCa) {
  auto first = EnsureSelfSigned(dir(), DefaultSubjectAltNames({}));
  ASSERT_TRUE(first.ok());
  const std::string ca = ReadAll(first->ca_cert), cert = ReadAll(first->cert);

  auto second = EnsureSelfSigned(dir(), DefaultSubjectAltNames({"video.example.com"}));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->ca_created);
  EXPECT_TRUE(second->cert_created);
  EXPECT_EQ(ReadAll(second->ca_cert), ca);  // clients keep trusting it
  EXPECT_NE(ReadAll(second->cert), cert);
  X509* ca_cert = LoadCert(second->ca_cert);
  X509* leaf = LoadCert(second->cert);
  EXPECT_EQ(X509_verify(leaf, X509_get0_pubkey(ca_cert)), 1);
  EXPECT_EQ(X509_check_host(leaf, "video.example.com", 0, 0, nullptr), 1);
  X509_free(ca_cert);
  X509_free(leaf);
}

TEST_F(SelfSignedTest, ABrokenCaIsNeverOverwritten) {
  fs::create_directories(dir());
  std::ofstream(dir() + "/ca.pem") << "not a certificate\n";
  std::ofstream(dir() + "/ca-key.pem") << "not a key\n";
  auto files = EnsureSelfSigned(dir(), DefaultSubjectAltNames({}));
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ReadAll(dir() + "/ca.pem"), "not a certificate\n");
}

}  // namespace
}  // namespace osprey::server::tls
