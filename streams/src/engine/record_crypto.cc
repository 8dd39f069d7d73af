// AES-256-GCM envelopes and the master key file (record_crypto.h).
#include "record_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "osprey/base/file_util.h"

namespace osprey::streams::engine {
namespace {

constexpr std::string_view kDerivationLabel = "osprey-streams-kms-v1";

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// OpenSSL 3 looks a cipher up under a lock on every implicit fetch; fetch
// AES-256-GCM once.
const EVP_CIPHER* Gcm() {
  static const EVP_CIPHER* cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) {
      std::fprintf(stderr, "osprey::streams: AES-256-GCM unavailable\n");
      std::abort();
    }
    return c;
  }();
  return cipher;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

std::string DeriveDataKey(std::string_view master, std::string_view key_id) {
  std::string msg(kDerivationLabel);
  msg.push_back('\0');  // the label is fixed-length text, the key id follows unambiguously
  msg.append(key_id);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), master.data(), static_cast<int>(master.size()), U(msg), msg.size(), mac,
           &len) == nullptr) {
    std::fprintf(stderr, "osprey::streams: HMAC-SHA256 failed\n");
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(mac), len);
}

Status SealEnvelope(std::string_view data_key, std::string_view key_id, std::string_view nonce,
                    std::string_view aad, std::string_view plaintext, std::string* out) {
  if (data_key.size() != 32 || nonce.size() != kNonceBytes || key_id.size() > 0xffff) {
    return Status::InvalidArgument("bad key, nonce or key id size");
  }
  out->push_back(static_cast<char>(kEnvelopeVersion));
  out->push_back(static_cast<char>(key_id.size() & 0xff));
  out->push_back(static_cast<char>(key_id.size() >> 8));
  out->append(key_id);
  out->append(nonce);
  const size_t ct_at = out->size();
  out->resize(ct_at + plaintext.size() + kGcmTagBytes);
  auto* ct = reinterpret_cast<unsigned char*>(out->data() + ct_at);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  // The default GCM IV length is 12 bytes, the size of our nonce.
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), Gcm(), nullptr, U(data_key), U(nonce)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagBytes, ct + plaintext.size()) == 1;
  if (!ok) return Status::Internal("AES-256-GCM encryption failed");
  return Status::Ok();
}

bool ParseEnvelope(std::string_view e, EnvelopeView* out) {
  if (e.size() < kEnvelopeFixedBytes || static_cast<uint8_t>(e[0]) != kEnvelopeVersion) return false;
  const size_t n = static_cast<uint8_t>(e[1]) | (size_t{static_cast<uint8_t>(e[2])} << 8);
  if (e.size() < kEnvelopeFixedBytes + n) return false;
  out->key_id = e.substr(3, n);
  out->nonce = e.substr(3 + n, kNonceBytes);
  const size_t ct_at = 3 + n + kNonceBytes;
  out->ciphertext = e.substr(ct_at, e.size() - ct_at - kGcmTagBytes);
  out->tag = e.substr(e.size() - kGcmTagBytes);
  return true;
}

Result<std::string> OpenEnvelope(std::string_view data_key, const EnvelopeView& e, std::string_view aad) {
  if (data_key.size() != 32) return Status::InvalidArgument("bad data key size");
  std::string plain(e.ciphertext.size(), '\0');
  auto* pt = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  // SET_TAG wants a mutable pointer; OpenSSL only reads it.
  std::string tag(e.tag);
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), Gcm(), nullptr, U(data_key), U(e.nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), pt, &len, U(e.ciphertext), static_cast<int>(e.ciphertext.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), pt + len, &len) == 1;
  if (!ok) return Status::Corruption("encrypted record failed authentication (wrong key or damaged)");
  return plain;
}

Status KeyRing::LoadMasterLocked(bool create) {
  if (!master_.empty()) return Status::Ok();
  Result<std::string> text = ReadFile(path_);
  if (text.ok()) {
    // Never replaced when wrong: a new key would orphan every encrypted record.
    if (text->size() != kMasterKeyBytes) return Status::Corruption(path_ + ": master key has the wrong size");
    master_ = *text;
    return Status::Ok();
  }
  if (text.status().code() != Status::Code::kNotFound) return text.status();
  if (!create) return Status::Corruption(path_ + ": master key missing, encrypted records unreadable");
  std::string key(kMasterKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  AtomicWriteOptions write;
  write.mode = 0600;
  write.sync_directory = true;  // the key must outlive every record sealed with it
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(path_, key, write));
  master_ = std::move(key);
  return Status::Ok();
}

Result<std::string> KeyRing::DataKey(std::string_view key_id, bool create) {
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(key_id); it != keys_.end()) return it->second;
  OSPREY_RETURN_IF_ERROR(LoadMasterLocked(create));
  std::string key = DeriveDataKey(master_, key_id);
  keys_.emplace(std::string(key_id), key);
  return key;
}

Status KeyRing::Prepare() {
  std::lock_guard lock(mu_);
  return LoadMasterLocked(/*create=*/true);
}

namespace {
// Key and tag failures are server faults for the API (InternalFailure), not
// a bad request: Corruption would surface as SerializationException.
Status AsInternal(const Status& s) { return s.ok() ? s : Status::Internal(s.message()); }
}  // namespace

Status KeyRing::Seal(std::string_view key_id, RecordInput* record) {
  // create=false: Prepare made the key when encryption started. A key gone
  // since then is an error, not a reason to make a new one (which would
  // orphan every record sealed before).
  auto key = DataKey(key_id, /*create=*/false);
  if (!key.ok()) return AsInternal(key.status());
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  std::string envelope;
  envelope.reserve(kEnvelopeFixedBytes + key_id.size() + record->data.size());
  OSPREY_RETURN_IF_ERROR(SealEnvelope(*key, key_id, nonce, record->partition_key, record->data, &envelope));
  record->data = std::move(envelope);
  record->encrypted = true;
  return Status::Ok();
}

Status KeyRing::Open(Record* record) {
  EnvelopeView e;
  if (!ParseEnvelope(record->data, &e)) return Status::Internal("malformed encryption envelope");
  auto key = DataKey(e.key_id, /*create=*/false);
  if (!key.ok()) return AsInternal(key.status());
  auto plain = OpenEnvelope(*key, e, record->partition_key);
  if (!plain.ok()) return AsInternal(plain.status());
  record->data = std::move(plain).value();
  record->encrypted = false;
  return Status::Ok();
}

}  // namespace osprey::streams::engine
