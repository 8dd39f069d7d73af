// Archived media (video-api.md section 6): ListFragments and
// GetMediaForFragmentList. This header exposes the ListFragments pagination
// cursor so tests can check its encoding; the routes are registered by
// RegisterArchivedMediaRoutes (video_routes.h).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/fragments/fragment_store.h"

namespace osprey::server::video {

// Where the next ListFragments page starts. NextToken is this, serialised
// (version, fields, a hash of the stream's store id, masked CRC-32C) and
// base64-encoded (standard alphabet, as the model's pattern
// [a-zA-Z0-9+/]+={0,2} wants). It is opaque to clients; the CRC makes a
// mistyped or truncated token an InvalidArgument rather than a wrong page.
// It is not a secret or a signature: a client that forges one can only list
// a stream it is already allowed to list.
struct ListCursor {
  fragments::TimestampKind kind = fragments::TimestampKind::kServer;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  uint64_t after_index = 0;  // the last fragment of the previous page
};

std::string EncodeListToken(const ListCursor& cursor, std::string_view store_id);
// InvalidArgument for anything EncodeListToken did not produce for this
// stream (garbage, truncation, another stream's token).
Result<ListCursor> DecodeListToken(std::string_view token, std::string_view store_id);

}  // namespace osprey::server::video
