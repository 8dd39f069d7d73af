// Streaming session tokens (the SessionToken of GetHLSStreamingSessionURL
// and of every /hls/v1/ resource): stateless, so any server thread (or any
// node sharing the key) can authorise a playlist or segment request without
// a session table.
//
// Token = base64url(payload || HMAC-SHA256(key, payload)); the payload is a
// versioned binary encoding of SessionClaims (docs/playback.md has the
// layout). The claims bind the token to one stream incarnation (store_id,
// so a deleted and recreated stream does not honour old tokens), its mode,
// selector, range, container, discontinuity and timestamp options, the
// playlist size and the expiry.
//
// Decode errors are PermissionDenied, which the HTTP adapter answers with
// 403 (KVS answers an expired token with 403 [inf]; video-api.md 6.3):
//   "session token is invalid"  (not base64url, wrong length or version,
//                                bad signature: tampered or another key)
//   "session token has expired" (signature good, now >= expires_ms)
// The signature is compared in constant time and checked before anything
// in the payload is trusted.
//
// Thread safety: a signer is immutable after construction; Encode and
// Decode may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/playback/hls_playlist.h"

namespace osprey::playback {

enum class FragmentSelectorType { kServerTimestamp, kProducerTimestamp };

struct SessionClaims {
  std::string store_id;     // VideoStream::store_id(): the stream incarnation
  std::string stream_name;  // to find the stream in the catalog
  PlaybackMode mode = PlaybackMode::kLive;
  FragmentSelectorType selector = FragmentSelectorType::kServerTimestamp;
  std::optional<int64_t> start_ms;  // TimestampRange, epoch ms
  std::optional<int64_t> end_ms;
  ContainerFormat container = ContainerFormat::kFragmentedMp4;
  DiscontinuityMode discontinuity = DiscontinuityMode::kAlways;
  bool display_fragment_timestamp = false;
  uint32_t max_results = 5;  // MaxMediaPlaylistFragmentResults
  int64_t created_ms = 0;    // session creation (LIVE_REPLAY pacing)
  int64_t expires_ms = 0;    // created + Expires x 1000
  uint64_t session_id = 0;   // random; per-session limits and logs
  // Fragment index that is media sequence 1 of this session (LIVE: the
  // first fragment of the first playlist); later numbers count the
  // fragments from it, so they stay stable across playlist refreshes.
  uint64_t anchor_index = 0;
  bool operator==(const SessionClaims&) const = default;
};

class SessionTokenSigner {
 public:
  // `key` must not be empty; 32 random bytes is the intended size.
  explicit SessionTokenSigner(std::string key);

  // 32 bytes from the OpenSSL CSPRNG. A server that wants tokens to survive
  // restarts persists it.
  static std::string GenerateKey();

  std::string Encode(const SessionClaims& claims) const;
  Result<SessionClaims> Decode(std::string_view token, int64_t now_ms) const;

 private:
  std::string key_;
};

}  // namespace osprey::playback
