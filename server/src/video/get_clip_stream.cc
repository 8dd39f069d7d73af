// POST /getClipStream: an Osprey extension (docs/playback.md "GetClip"),
// not a KVS operation. Same body, signature and range rules as GetClip,
// but without the 200-fragment / 100 MiB cut: the answer is a *fragmented*
// MP4 of the first video track and the first audio track, if any
// (ftyp+moov from playback::BuildInitSegment, then one moof+mdat per
// fragment from playback::BuildMediaSegment), sent
// chunked while it is read, so a clip of hours never sits in memory. A
// progressive MP4 cannot be written that way: its moov lists every sample
// before the first byte of media.
//
// Same pattern as FragmentReader: one fragment at a time, read and remuxed
// on the FragmentReadPool (short tasks: one fragment each), written, and
// the next read only once the write has reached the socket, so a slow
// client holds back only itself. Fragments that vanish (retention) or do
// not parse after the first are skipped: fMP4 carries absolute decode
// times, so a gap stays a gap. Server shutdown ends the body after the
// segment in flight.
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "osprey/playback/media_fragment.h"
#include "osprey/playback/mp4_segments.h"
#include "video/access_guard.h"
#include "video/fragment_reader_pool.h"
#include "video/get_clip.h"

namespace osprey::server::video {

namespace {

using fragments::FragmentMeta;

// Metadata only (about 64 bytes each): 24 h of 100 ms fragments fits.
constexpr size_t kMaxStreamedFragments = 1'000'000;

Result<playback::DemuxedFragment> ReadDemuxed(const fragments::FragmentLog& log,
                                              const FragmentMeta& m) {
  OSPREY_ASSIGN_OR_RETURN(fragments::StoredFragment stored, log.Read(m.index));
  return playback::Demux(
      {stored.stream_header, stored.cluster, m.producer_timestamp_ms, m.duration_ms});
}

class ClipStreamer : public std::enable_shared_from_this<ClipStreamer> {
 public:
  ClipStreamer(std::shared_ptr<Exchange> exchange, PlaybackStream stream,
               std::vector<FragmentMeta> fragments)
      : exchange_(std::move(exchange)),
        stream_(std::move(stream)),
        fragments_(std::move(fragments)) {}

  // On the pool: the first fragment decides the track and the init
  // segment; failures up to here are ordinary error responses.
  void Begin() {
    Result<playback::DemuxedFragment> first = ReadDemuxed(*stream_.log, fragments_[0]);
    if (!first.ok()) {
      return exchange_->Respond(
          first.status().code() == Status::Code::kCorruption
              ? ErrorResponse({400, "InvalidMediaFrameException", first.status().message()})
              : KvsFail(first.status()));
    }
    const playback::TrackSamples* video = nullptr;
    for (const playback::TrackSamples& t : first->tracks) {
      if (t.track.is_video()) {
        video = &t;
        break;
      }
    }
    if (video == nullptr) {
      return exchange_->Respond(ErrorResponse(
          {400, "UnsupportedStreamMediaTypeException", "the stream has no H.264/H.265 track"}));
    }
    // Video plus the first audio track (AAC or Opus), in one fMP4.
    std::vector<playback::Track> tracks{video->track};
    for (const playback::TrackSamples& t : first->tracks) {
      if (t.track.is_audio()) {
        tracks.push_back(t.track);
        break;
      }
    }
    for (const playback::Track& t : tracks) tracks_.push_back(t.number);
    Result<std::string> init = playback::BuildInitSegment(tracks);
    if (!init.ok()) {
      return exchange_->Respond(
          ErrorResponse({400, "UnsupportedStreamMediaTypeException", init.status().message()}));
    }
    std::weak_ptr<ClipStreamer> weak = weak_from_this();
    exchange_->OnShutdown([weak] {
      if (auto self = weak.lock()) self->stopping_ = true;
    });
    Headers headers;
    headers.Set("Content-Type", "video/mp4");
    exchange_->StartResponse(200, std::move(headers));
    // The first fragment's media segment goes out with the init segment.
    std::string head = std::move(init).value();
    if (Result<std::string> seg = playback::BuildMediaSegment(*first, tracks_, sequence_++);
        seg.ok()) {
      head += *seg;
    }
    WriteThenContinue(std::move(head));
  }

 private:
  // On the pool: the next fragment that remuxes, or the end.
  void Step() {
    while (next_ < fragments_.size() && !stopping_) {
      const FragmentMeta& m = fragments_[next_++];
      Result<playback::DemuxedFragment> d = ReadDemuxed(*stream_.log, m);
      if (!d.ok()) continue;
      Result<std::string> segment = playback::BuildMediaSegment(*d, tracks_, sequence_++);
      if (!segment.ok()) continue;  // e.g. an audio-only fragment
      return WriteThenContinue(std::move(segment).value());
    }
    exchange_->Finish();
  }

  void WriteThenContinue(std::string bytes) {
    auto self = shared_from_this();
    exchange_->Write(std::move(bytes), [self](Status s) {
      if (!s.ok()) return;  // the client went away: nothing more to do
      FragmentReadPool::Shared().Post([self] { self->Step(); });
    });
  }

  std::shared_ptr<Exchange> exchange_;
  PlaybackStream stream_;
  std::vector<FragmentMeta> fragments_;
  size_t next_ = 1;  // fragments_[0] goes out with the init segment (Begin)
  std::vector<uint64_t> tracks_;  // video first
  uint32_t sequence_ = 1;
  std::atomic<bool> stopping_{false};  // set on the connection strand
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void HandleClipStream(std::shared_ptr<Exchange> exchange, VideoContext* context) {
  Result<JsonRequest> body = JsonRequest::Parse(exchange->request().body);
  if (!body.ok()) return exchange->Respond(KvsFail(body.status()));
  Result<TimeRange> range = ParseClipSelector(*body, NowMs());
  if (!range.ok()) return exchange->Respond(KvsFail(range.status()));
  Result<PlaybackStream> stream = OpenPlaybackStream(*body, context);
  if (!stream.ok()) return exchange->Respond(KvsFail(stream.status()));
  if (stream->stream.retention_hours == 0) {
    return exchange->Respond(
        ErrorResponse({400, "NoDataRetentionException",
                       "The stream " + stream->stream.name + " does not retain data."}));
  }
  std::vector<FragmentMeta> chosen = OrderByStart(
      stream->log->ListRange(range->kind, range->start_ms, range->end_ms, 0, kMaxStreamedFragments),
      range->kind);
  if (chosen.empty()) {
    return exchange->Respond(
        KvsFail(Status::NotFound("No fragments found in the stream for the clip request.")));
  }
  auto streamer = std::make_shared<ClipStreamer>(std::move(exchange), std::move(stream).value(),
                                                 std::move(chosen));
  FragmentReadPool::Shared().Post([streamer] { streamer->Begin(); });
}

}  // namespace

void RegisterGetClipStreamRoute(Router* router, VideoContext* context) {
  Route route;
  route.api = "getClipStream";
  route.service = "kinesisvideo";
  route.body = Route::Body::kStreaming;  // the body is read whole first (for SigV4)
  route.streaming = [context](std::shared_ptr<Exchange> exchange) {
    HandleClipStream(std::move(exchange), context);
  };
  // The streamed form of GetClip: the same permission.
  router->AddPath("POST", "/getClipStream", Guarded(context, "GetClip", std::move(route)));
}

}  // namespace osprey::server::video
