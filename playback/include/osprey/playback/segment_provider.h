// SegmentProvider: the remuxed segments of stored fragments, through the
// SegmentCache. What the HLS (and later DASH) resources call: read the
// fragment from its FragmentLog, demux, build, cache, hand out.
//
// Timeline: segments use the fragment's producer timestamp and length
// (FragmentMeta), so a segment is the same bytes whatever session asks, and
// one cache entry serves every player.
//
// Concurrency: safe from any thread. Two requests missing the same key at
// once both remux it (no single-flight); the second Put replaces the first
// with identical bytes. Remuxing runs on the caller's thread (measured for a
// 1 s, ~400 KB 1080p fragment: demux 25-40 us, fMP4 50-400 us, MPEG-TS
// 190-480 us).
//
// Errors: those of FragmentLog::Read (NotFound: absent or deleted by
// retention; Corruption) and of the builders (InvalidArgument: unknown
// track, unsupported codec).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "osprey/base/result.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/playback/segment_cache.h"

namespace osprey::playback {

class SegmentProvider {
 public:
  // `cache` must outlive the provider; nullptr: no caching.
  explicit SegmentProvider(SegmentCache* cache) : cache_(cache) {}

  // `store_id` names the stream in the cache (VideoStream::store_id()).
  // kInit: the init segment of `track` from fragment `index`'s stream
  // header; kMp4Media: moof+mdat of `track`; kTs: all tracks (track ignored).
  Result<std::shared_ptr<const std::string>> Get(const std::string& store_id,
                                                 const fragments::FragmentLog& log,
                                                 uint64_t index, SegmentKind kind,
                                                 uint64_t track) const;

 private:
  SegmentCache* cache_;
};

}  // namespace osprey::playback
