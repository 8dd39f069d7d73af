// POST /getImages (get_images.h): one page of sampling times resolved to
// images by decoding the fragments whose span meets their windows.
//
// Each needed fragment is decoded once, in start order, and every pending
// time of the page whose window [t, t + I) it overlaps takes the first
// picture it presents inside the window. A window may straddle two
// fragments (t near the end of one): a time left unresolved by the first
// is tried again with the next.
#include "video/access_guard.h"
#include "video/get_images.h"

#include <algorithm>
#include <memory>

#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/codec_info.h"
#include "osprey/playback/media_fragment.h"
#include "osprey/playback/video_decoder.h"
#include "video/archived_media.h"
#include "video/get_images_plan.h"

namespace osprey::server::video {

namespace {

using fragments::FragmentMeta;

// Enough for a 300 s page window of 100 ms fragments, with margin.
constexpr size_t kMaxListedFragments = 10'000;

struct Slot {
  int64_t t_ms = 0;
  bool done = false;
  bool media_error = false;  // a fragment meeting the window failed
  std::string content;       // base64 image
};

// Encodes the picture at the requested size; false when it cannot be had
// (encoder error, over the ImageContent limit).
bool EncodeInto(const playback::DecodedPicture& picture, const ImagesRequest& req, Slot* slot) {
  const ImageSize size = OutputSize(picture.width, picture.height, req.width, req.height);
  Result<playback::DecodedPicture> scaled =
      playback::ScalePicture(picture, size.width, size.height);
  if (!scaled.ok()) return false;
  Result<std::string> bytes =
      req.png ? playback::EncodePng(*scaled) : playback::EncodeJpeg(*scaled, req.jpeg_quality);
  if (!bytes.ok() || (bytes->size() + 2) / 3 * 4 > kMaxImageContentChars) return false;
  slot->content = base64::Encode(*bytes);
  return true;
}

class PageRunner {
 public:
  PageRunner(const PlaybackStream& s, const ImagesRequest& req, std::vector<Slot>* slots)
      : s_(s), req_(req), slots_(slots) {}

  // Offers fragment `m` to the pending slots whose window it overlaps.
  void Offer(const FragmentMeta& m, fragments::TimestampKind kind) {
    const int64_t start = StartOf(m, kind);
    const int64_t end = start + std::max<int64_t>(m.duration_ms, 1);
    std::vector<Slot*> pending;
    for (Slot& slot : *slots_) {
      if (!slot.done && slot.t_ms < end && slot.t_ms + req_.interval_ms > start) {
        pending.push_back(&slot);
      }
    }
    if (pending.empty()) return;
    std::vector<playback::DecodedPicture> pictures;
    if (!Decode(m, &pictures)) {
      for (Slot* slot : pending) slot->media_error = true;
      if (pictures.empty()) return;  // a damaged fragment may still give its first pictures
    }
    // Presentation times on the selector's timeline: the fragment's start
    // there plus the picture's offset into the fragment.
    std::vector<int64_t> times;
    times.reserve(pictures.size());
    for (const playback::DecodedPicture& p : pictures) {
      times.push_back(start * 1000 + (p.pts_us - m.producer_timestamp_ms * 1000));
    }
    for (Slot* slot : pending) {
      std::optional<size_t> pick = PickPicture(times, slot->t_ms * 1000, req_.interval_ms * 1000);
      if (!pick) continue;
      slot->done = EncodeInto(pictures[*pick], req_, slot);
      if (!slot->done) {
        slot->media_error = true;
        slot->done = true;  // this picture was the one; another would be wrong
        slot->content.clear();
      }
    }
  }

 private:
  // False when the fragment is unreadable or damaged; `out` keeps whatever
  // pictures came out before the damage.
  bool Decode(const FragmentMeta& m, std::vector<playback::DecodedPicture>* out) {
    Result<fragments::StoredFragment> stored = s_.log->Read(m.index);
    if (!stored.ok()) return false;
    Result<playback::DemuxedFragment> demuxed = playback::Demux(
        {stored->stream_header, stored->cluster, m.producer_timestamp_ms, m.duration_ms});
    if (!demuxed.ok()) return false;
    const playback::TrackSamples* video = nullptr;
    for (const playback::TrackSamples& t : demuxed->tracks) {
      if (t.track.is_video()) {
        video = &t;
        break;
      }
    }
    if (video == nullptr) return false;  // audio only: MEDIA_ERROR, as the spec says
    if (!decoder_) {
      // Later CodecPrivate changes are followed by the decoder itself.
      playback::DecodeOptions options;
      if (Result<playback::VideoInfo> info = playback::DescribeTrack(video->track); info.ok()) {
        const ImageSize bounds =
            DecodeBounds(int(info->width), int(info->height), req_.width, req_.height);
        options.max_width = bounds.width;
        options.max_height = bounds.height;
      }
      auto created = playback::VideoDecoder::Create(video->track, options);
      if (!created.ok()) return false;
      decoder_ = std::move(created).value();
    }
    return decoder_->DecodeFragment(*video, out).ok();
  }

  const PlaybackStream& s_;
  const ImagesRequest& req_;
  std::vector<Slot>* slots_;
  std::unique_ptr<playback::VideoDecoder> decoder_;
};

Result<std::string> RunPage(const PlaybackStream& s, const ImagesRequest& req,
                            int64_t max_fragment_ms) {
  ListCursor cursor;
  if (req.next_token) {
    OSPREY_ASSIGN_OR_RETURN(cursor, DecodeListToken(*req.next_token, s.stream.store_id()));
  } else {
    cursor.kind = req.range.kind;
    cursor.start_ms = req.range.start_ms;
    cursor.end_ms = req.range.end_ms;
  }
  const TimeRange range{cursor.kind, cursor.start_ms, cursor.end_ms};
  const size_t total = SampleCount(range, req.interval_ms);
  if (cursor.after_index >= total) {
    return Status::InvalidArgument("NextToken does not match this request");
  }
  const size_t first = size_t(cursor.after_index);
  const size_t last = std::min(total, first + req.page_size);
  std::vector<Slot> slots(last - first);
  for (size_t i = first; i < last; ++i)
    slots[i - first].t_ms = SampleTime(range, req.interval_ms, i);

  // A fragment starting up to one maximal fragment length before the first
  // time may still contain it.
  std::vector<FragmentMeta> listed =
      s.log->ListRange(range.kind, slots.front().t_ms - max_fragment_ms,
                       slots.back().t_ms + req.interval_ms - 1, 0, kMaxListedFragments);
  PageRunner runner(s, req, &slots);
  for (const FragmentMeta& m : OrderByStart(std::move(listed), range.kind)) {
    runner.Offer(m, range.kind);
  }

  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Images").BeginArray();
  for (const Slot& slot : slots) {
    w.BeginObject();
    w.Key("TimeStamp").Raw(fragments::FormatEpochSeconds(slot.t_ms));
    if (slot.done && !slot.content.empty()) {
      w.Key("ImageContent").String(slot.content);
    } else {
      w.Key("Error").String(slot.media_error ? "MEDIA_ERROR" : "NO_MEDIA");
    }
    w.EndObject();
  }
  w.EndArray();
  if (last < total) {
    cursor.after_index = last;
    w.Key("NextToken").String(EncodeListToken(cursor, s.stream.store_id()));
  }
  w.EndObject();
  return out;
}

void HandleGetImages(const Request& request, Responder respond, VideoContext* context) {
  Result<JsonRequest> body = JsonRequest::Parse(request.body);
  if (!body.ok()) return respond(KvsFail(body.status()));
  Result<ImagesRequest> req = ParseImagesRequest(*body);
  if (!req.ok()) return respond(KvsFail(req.status()));
  Result<PlaybackStream> stream = OpenPlaybackStream(*body, context);
  if (!stream.ok()) return respond(KvsFail(stream.status()));
  if (stream->stream.retention_hours == 0) {
    return respond(ErrorResponse({400, "NoDataRetentionException",
                                  "The stream " + stream->stream.name + " does not retain data."}));
  }
  auto job = [s = std::move(stream).value(), r = std::move(req).value(), respond,
              max_ms = context->limits.max_fragment_duration_ms] {
    Result<std::string> out = RunPage(s, r, max_ms);
    respond(out.ok() ? KvsOk(std::move(out).value()) : KvsFail(out.status()));
  };
  if (!TryPostPlaybackJob(std::move(job))) {
    respond(KvsFail(Status::ResourceExhausted(
        "Too many GetClip and GetImages requests are in progress; retry later.")));
  }
}

}  // namespace

void RegisterGetImagesRoute(Router* router, VideoContext* context) {
  Route images;
  images.api = "getImages";
  images.service = "kinesisvideo";
  images.buffered = [context](Request request, Responder respond) {
    HandleGetImages(request, std::move(respond), context);
  };
  router->AddPath("POST", "/getImages", Guarded(context, "GetImages", std::move(images)));
}

}  // namespace osprey::server::video
