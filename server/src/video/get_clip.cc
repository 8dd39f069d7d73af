// POST /getClip (video-api.md 6.5) and the playback job pool (get_clip.h).
//
// Errors: a bad selector or range is 400 InvalidArgumentException; an
// unknown stream 404 ResourceNotFoundException; retention 0 is 400
// NoDataRetentionException; no fragment in the range is 404
// ResourceNotFoundException; a fragment that does not parse is 400
// InvalidMediaFrameException; a stream the clip writer cannot package
// (no H.264/H.265/AAC track, no samples) is 400
// UnsupportedStreamMediaTypeException; a full job pool is 400
// ClientLimitExceededException.
#include "video/access_guard.h"
#include "video/get_clip.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "osprey/base/logging.h"
#include "osprey/playback/media_fragment.h"
#include "osprey/playback/mp4_segments.h"
#include "video/fragment_reader_pool.h"

namespace osprey::server::video {

namespace {

using fragments::FragmentMeta;
using fragments::TimestampKind;

std::atomic<int> g_playback_jobs{0};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response ClipResponse(std::string mp4) {
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "video/mp4");
  r.body = std::move(mp4);
  return r;
}

// Reads, demuxes and packages the selected fragments. Runs on the job pool.
Response BuildClip(const PlaybackStream& s, const TimeRange& range) {
  // One more than the cap tells whether the range holds more. Index order
  // (ingest order); OrderByStart then puts them in time order.
  std::vector<FragmentMeta> listed =
      s.log->ListRange(range.kind, range.start_ms, range.end_ms, 0, kClipMaxFragments + 1);
  bool truncated = false;
  std::vector<FragmentMeta> chosen = SelectClipFragments(std::move(listed), range.kind, &truncated);
  std::vector<playback::DemuxedFragment> demuxed;
  demuxed.reserve(chosen.size());
  for (const FragmentMeta& m : chosen) {
    Result<fragments::StoredFragment> stored = s.log->Read(m.index);
    // Gone since it was listed (retention, deletion): the clip goes without it.
    if (!stored.ok() && stored.status().code() == Status::Code::kNotFound) continue;
    if (!stored.ok()) return KvsFail(stored.status());
    Result<playback::DemuxedFragment> d = playback::Demux(
        {stored->stream_header, stored->cluster, m.producer_timestamp_ms, m.duration_ms});
    if (!d.ok()) {
      return ErrorResponse(
          {400, "InvalidMediaFrameException",
           "A fragment in the requested range could not be parsed: " + d.status().message()});
    }
    demuxed.push_back(std::move(d).value());
  }
  if (demuxed.empty()) {
    return KvsFail(Status::NotFound("No fragments found in the stream for the clip request."));
  }
  Result<std::string> mp4 = playback::BuildClipMp4(demuxed);
  if (!mp4.ok()) {
    if (mp4.status().code() != Status::Code::kInvalidArgument) return KvsFail(mp4.status());
    return ErrorResponse({400, "UnsupportedStreamMediaTypeException", mp4.status().message()});
  }
  if (truncated) {
    log::Info("video", "getClip cut at the clip limits",
              {{"stream", s.stream.name}, {"fragments", uint64_t(demuxed.size())}});
  }
  return ClipResponse(std::move(mp4).value());
}

void HandleGetClip(const Request& request, Responder respond, VideoContext* context) {
  Result<JsonRequest> body = JsonRequest::Parse(request.body);
  if (!body.ok()) return respond(KvsFail(body.status()));
  // Arguments first, as Coral validates the input before it looks anything up.
  Result<TimeRange> range = ParseClipSelector(*body, NowMs());
  if (!range.ok()) return respond(KvsFail(range.status()));
  Result<PlaybackStream> stream = OpenPlaybackStream(*body, context);
  if (!stream.ok()) return respond(KvsFail(stream.status()));
  if (stream->stream.retention_hours == 0) {
    return respond(ErrorResponse({400, "NoDataRetentionException",
                                  "The stream " + stream->stream.name + " does not retain data."}));
  }
  auto job = [s = std::move(stream).value(), r = *range, respond]() mutable {
    respond(BuildClip(s, r));
  };
  if (!TryPostPlaybackJob(std::move(job))) {
    respond(KvsFail(Status::ResourceExhausted(
        "Too many GetClip and GetImages requests are in progress; retry later.")));
  }
}

}  // namespace

Result<TimestampKind> ParseSelectorType(std::string_view member,
                                        const std::optional<std::string>& value) {
  if (!value) return MissingMember(member);
  if (*value == "SERVER_TIMESTAMP") return TimestampKind::kServer;
  if (*value == "PRODUCER_TIMESTAMP") return TimestampKind::kProducer;
  return ValidationError(member, *value,
                         "Member must satisfy enum value set: [PRODUCER_TIMESTAMP, "
                         "SERVER_TIMESTAMP]");
}

Result<TimeRange> ParseClipSelector(const JsonRequest& body, int64_t now_ms) {
  OSPREY_ASSIGN_OR_RETURN(auto selector, body.Object("ClipFragmentSelector"));
  if (!selector) return MissingMember("clipFragmentSelector");
  TimeRange r;
  OSPREY_ASSIGN_OR_RETURN(auto type, selector->String("FragmentSelectorType"));
  OSPREY_ASSIGN_OR_RETURN(r.kind,
                          ParseSelectorType("clipFragmentSelector.fragmentSelectorType", type));
  OSPREY_ASSIGN_OR_RETURN(auto range, selector->Object("TimestampRange"));
  if (!range) return MissingMember("clipFragmentSelector.timestampRange");
  OSPREY_ASSIGN_OR_RETURN(auto start, range->TimestampMs("StartTimestamp"));
  if (!start) return MissingMember("clipFragmentSelector.timestampRange.startTimestamp");
  OSPREY_ASSIGN_OR_RETURN(auto end, range->TimestampMs("EndTimestamp"));
  if (!end) return MissingMember("clipFragmentSelector.timestampRange.endTimestamp");
  if (*end <= *start || *end - *start > kClipMaxSpanMs) {
    return Status::InvalidArgument(
        "EndTimestamp must be later than StartTimestamp and at most 24 hours after it");
  }
  if (r.kind == TimestampKind::kServer && *end > now_ms) {
    return Status::InvalidArgument("EndTimestamp must be in the past");
  }
  r.start_ms = *start;
  r.end_ms = *end;
  return r;
}

int64_t StartOf(const FragmentMeta& m, TimestampKind kind) {
  return kind == TimestampKind::kServer ? m.server_timestamp_ms : m.producer_timestamp_ms;
}

std::vector<FragmentMeta> OrderByStart(std::vector<FragmentMeta> listed, TimestampKind kind) {
  std::stable_sort(listed.begin(), listed.end(),
                   [kind](const FragmentMeta& a, const FragmentMeta& b) {
                     const int64_t sa = StartOf(a, kind), sb = StartOf(b, kind);
                     return sa != sb ? sa < sb : a.index < b.index;
                   });
  std::vector<FragmentMeta> out;
  for (FragmentMeta& m : listed) {
    // Sorted by (start, index): the later of two equal starts replaces the
    // earlier, so the highest fragment number stays.
    if (!out.empty() && StartOf(out.back(), kind) == StartOf(m, kind)) {
      out.back() = std::move(m);
    } else {
      out.push_back(std::move(m));
    }
  }
  return out;
}

std::vector<FragmentMeta> SelectClipFragments(std::vector<FragmentMeta> listed, TimestampKind kind,
                                              bool* truncated) {
  *truncated = listed.size() > kClipMaxFragments;
  std::vector<FragmentMeta> ordered = OrderByStart(std::move(listed), kind);
  std::vector<FragmentMeta> out;
  uint64_t bytes = 0;
  for (FragmentMeta& m : ordered) {
    if (out.size() == kClipMaxFragments || (!out.empty() && bytes + m.size_bytes > kClipMaxBytes)) {
      *truncated = true;
      break;
    }
    bytes += m.size_bytes;
    out.push_back(std::move(m));
  }
  return out;
}

bool TryPostPlaybackJob(std::function<void()> job) {
  // Two threads of its own: decoding a page of images takes seconds, and the
  // shared fragment read pool serves GetMedia readers that expect short tasks.
  static FragmentReadPool* pool = new FragmentReadPool(2);  // leaked, as Shared() is
  if (g_playback_jobs.fetch_add(1) >= kMaxPlaybackJobs) {
    g_playback_jobs.fetch_sub(1);
    return false;
  }
  pool->Post([job = std::move(job)] {
    job();
    g_playback_jobs.fetch_sub(1);
  });
  return true;
}

Result<PlaybackStream> OpenPlaybackStream(const JsonRequest& body, VideoContext* context) {
  if (!context->catalog || !context->store) {
    return Status::Internal("video engines are not configured");
  }
  PlaybackStream s;
  OSPREY_ASSIGN_OR_RETURN(s.stream, ResolveStream(body, *context->catalog));
  if (s.stream.status == "DELETING") {
    return Status::NotFound("Stream " + s.stream.name + " is being deleted");
  }
  OSPREY_ASSIGN_OR_RETURN(s.log, context->store->OpenStream(s.stream.store_id()));
  return s;
}

void RegisterGetClipRoute(Router* router, VideoContext* context) {
  Route clip;
  clip.api = "getClip";
  clip.service = "kinesisvideo";
  clip.buffered = [context](Request request, Responder respond) {
    HandleGetClip(request, std::move(respond), context);
  };
  router->AddPath("POST", "/getClip", Guarded(context, "GetClip", std::move(clip)));
  RegisterGetClipStreamRoute(router, context);
}

}  // namespace osprey::server::video
