// Read, demux, build, cache (segment_provider.h).
#include "osprey/playback/segment_provider.h"

#include "osprey/playback/media_fragment.h"
#include "osprey/playback/mp4_segments.h"
#include "osprey/playback/ts_segment.h"

namespace osprey::playback {
namespace {

Result<std::string> Build(const fragments::StoredFragment& f, SegmentKind kind, uint64_t track) {
  if (kind == SegmentKind::kInit) {
    OSPREY_ASSIGN_OR_RETURN(std::vector<Track> tracks, ParseTracks(f.stream_header));
    for (const Track& t : tracks) {
      if (t.number == track) return BuildInitSegment(t);
    }
    return Status::InvalidArgument("stream has no track " + std::to_string(track));
  }
  OSPREY_ASSIGN_OR_RETURN(
      DemuxedFragment d,
      Demux({f.stream_header, f.cluster, f.meta.producer_timestamp_ms, f.meta.duration_ms}));
  if (kind == SegmentKind::kTs) return BuildTsSegment(d);
  // mfhd sequence numbers only need to increase; the index is time based.
  return BuildMediaSegment(d, track, uint32_t(f.meta.index / 1000));
}

}  // namespace

Result<std::shared_ptr<const std::string>> SegmentProvider::Get(
    const std::string& store_id, const fragments::FragmentLog& log, uint64_t index,
    SegmentKind kind, uint64_t track) const {
  const SegmentKey key{store_id, index, kind, kind == SegmentKind::kTs ? 0 : track};
  if (cache_ != nullptr) {
    if (std::shared_ptr<const std::string> hit = cache_->Get(key)) return hit;
  }
  OSPREY_ASSIGN_OR_RETURN(fragments::StoredFragment f, log.Read(index));
  OSPREY_ASSIGN_OR_RETURN(std::string bytes, Build(f, kind, track));
  if (cache_ == nullptr) return std::make_shared<const std::string>(std::move(bytes));
  return cache_->Put(key, std::move(bytes));
}

}  // namespace osprey::playback
