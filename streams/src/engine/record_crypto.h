// At-rest encryption of record data for streams with StartStreamEncryption
// (FORMAT.md "Encrypted records"). Private to the module.
//
// Keys: one 32-byte master key per engine, in <root>/master.key (mode 0600,
// created on first use). The data key of a KeyId is
// HMAC-SHA256(master, "osprey-streams-kms-v1" 0x00 KeyId): deterministic, so
// nothing per key is stored and any KeyId string works; the KeyId travels in
// each envelope, so records stay readable after the stream's key changes or
// encryption stops. Losing master.key makes encrypted records unreadable.
//
// Records: AES-256-GCM with a random 96-bit nonce per record and the
// partition key as additional authenticated data (a record cannot be moved
// under another key without failing its tag). Only the data blob is
// encrypted: partition and explicit hash keys stay in clear, because they
// are routing metadata (documented in docs/data-streams.md).
//
// Thread safety: the free functions are pure; KeyRing may be used from any
// thread (its key cache has its own mutex; crypto state is per call).
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/streams/record.h"

namespace osprey::streams::engine {

inline constexpr size_t kMasterKeyBytes = 32;
inline constexpr size_t kNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;
inline constexpr uint8_t kEnvelopeVersion = 1;
// version + u16 key id length + nonce + tag, plus the key id itself.
inline constexpr size_t kEnvelopeFixedBytes = 1 + 2 + kNonceBytes + kGcmTagBytes;

// The data key of `key_id` under `master` (32 bytes).
std::string DeriveDataKey(std::string_view master, std::string_view key_id);

// The parts of an envelope, pointing into it.
struct EnvelopeView {
  std::string_view key_id;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
};

// Appends the envelope of `plaintext` to *out. `nonce` is kNonceBytes,
// `key_id` at most 65535 bytes. Internal on an OpenSSL failure.
Status SealEnvelope(std::string_view data_key, std::string_view key_id, std::string_view nonce,
                    std::string_view aad, std::string_view plaintext, std::string* out);
// False when `envelope` is not a well-formed version-1 envelope.
bool ParseEnvelope(std::string_view envelope, EnvelopeView* out);
// The plaintext; Corruption when the tag does not verify (wrong key, wrong
// AAD, damaged bytes).
Result<std::string> OpenEnvelope(std::string_view data_key, const EnvelopeView& envelope,
                                 std::string_view aad);

// The engine's keys: the master key file and the derived data keys.
class KeyRing {
 public:
  explicit KeyRing(std::string master_key_path) : path_(std::move(master_key_path)) {}

  // Makes sure the master key exists (creating it durably if absent), so
  // that StartStreamEncryption fails up front rather than on the first put.
  Status Prepare();
  // Replaces record->data by its envelope under `key_id`, sets encrypted.
  // Internal when the master key is missing (Prepare was not called, or the
  // file was removed since) or OpenSSL fails.
  Status Seal(std::string_view key_id, RecordInput* record);
  // Replaces record->data by the plaintext of its envelope, clears
  // encrypted. Internal for a bad envelope or tag, or a missing master key
  // (the API answers InternalFailure).
  Status Open(Record* record);

 private:
  // create: make the master key when the file is absent.
  Result<std::string> DataKey(std::string_view key_id, bool create);
  Status LoadMasterLocked(bool create);

  const std::string path_;
  std::mutex mu_;
  std::string master_;                                  // GUARDED_BY(mu_); empty until loaded
  std::map<std::string, std::string, std::less<>> keys_;  // GUARDED_BY(mu_); key id -> data key
};

}  // namespace osprey::streams::engine
