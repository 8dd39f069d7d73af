#include "osprey/fragments/mkv_writer.h"

#include <cstdio>
#include <limits>

#include "ebml.h"

namespace osprey::fragments {
namespace {

using ebml::AppendBytes;
using ebml::AppendUint;

void AppendSimpleTag(std::string* out, std::string_view name, std::string_view value) {
  std::string st;
  AppendBytes(&st, id::kTagName, name);
  AppendBytes(&st, id::kTagString, value);
  ebml::AppendMaster(out, id::kSimpleTag, st);
}

// One Tags element with one Tag holding all `pairs`: how KVS groups its AWS
// tags (video-api.md section 5).
std::string EncodeTagGroup(std::initializer_list<std::pair<std::string_view, std::string>> pairs) {
  std::string tag;
  for (const auto& [name, value] : pairs) AppendSimpleTag(&tag, name, value);
  std::string tags;
  ebml::AppendMaster(&tags, id::kTag, tag);
  std::string out;
  ebml::AppendMaster(&out, id::kTags, tags);
  return out;
}

void AppendSegmentUnknown(std::string* out) {
  ebml::AppendId(out, id::kSegment);
  ebml::AppendUnknownSize(out);
}

// SimpleBlock body: track vint (one byte), int16 offset, flags, payload.
void AppendSimpleBlock(std::string* out, uint64_t track, int16_t offset, bool key,
                       std::string_view payload, int size_length) {
  ebml::AppendId(out, id::kSimpleBlock);
  ebml::AppendSize(out, payload.size() + 4, size_length);
  out->push_back(static_cast<char>(0x80 | track));
  out->push_back(static_cast<char>((static_cast<uint16_t>(offset) >> 8) & 0xFF));
  out->push_back(static_cast<char>(static_cast<uint16_t>(offset) & 0xFF));
  out->push_back(static_cast<char>(key ? 0x80 : 0x00));
  out->append(payload);
}

Status CheckFrame(const FrameSpec& f, uint64_t cluster_timecode, int16_t* offset) {
  if (f.track_number == 0 || f.track_number > 127) {
    return Status::InvalidArgument("track number " + std::to_string(f.track_number) +
                                   " is not in 1..127");
  }
  const int64_t delta = f.timecode - static_cast<int64_t>(cluster_timecode);
  if (delta < std::numeric_limits<int16_t>::min() || delta > std::numeric_limits<int16_t>::max()) {
    return Status::InvalidArgument("frame timecode " + std::to_string(f.timecode) +
                                   " is too far from the Cluster timecode " +
                                   std::to_string(cluster_timecode) + " for an int16 offset");
  }
  *offset = static_cast<int16_t>(delta);
  return Status::Ok();
}

}  // namespace

std::string FormatEpochSeconds(int64_t epoch_ms) {
  const bool negative = epoch_ms < 0;
  // Via uint64 so that INT64_MIN has a magnitude.
  const uint64_t mag = negative ? 0 - static_cast<uint64_t>(epoch_ms) : epoch_ms;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%llu.%03llu", negative ? "-" : "",
                static_cast<unsigned long long>(mag / 1000),
                static_cast<unsigned long long>(mag % 1000));
  return buf;
}

std::string EncodeEbmlHeader(std::string_view doc_type) {
  std::string body;
  AppendUint(&body, id::kEbmlVersion, 1);
  AppendUint(&body, id::kEbmlReadVersion, 1);
  AppendUint(&body, id::kEbmlMaxIdLength, 4);
  AppendUint(&body, id::kEbmlMaxSizeLength, 8);
  AppendBytes(&body, id::kDocType, doc_type);
  AppendUint(&body, id::kDocTypeVersion, 2);
  AppendUint(&body, id::kDocTypeReadVersion, 2);
  std::string out;
  ebml::AppendMaster(&out, id::kEbml, body);
  return out;
}

std::string EncodeInfo(const SegmentInfo& info) {
  std::string body;
  if (!info.segment_uid.empty()) AppendBytes(&body, id::kSegmentUid, info.segment_uid);
  AppendUint(&body, id::kTimecodeScale, info.timecode_scale_ns, 8);
  if (info.duration) ebml::AppendFloat(&body, id::kDuration, *info.duration);
  if (!info.title.empty()) AppendBytes(&body, id::kTitle, info.title);
  if (!info.muxing_app.empty()) AppendBytes(&body, id::kMuxingApp, info.muxing_app);
  if (!info.writing_app.empty()) AppendBytes(&body, id::kWritingApp, info.writing_app);
  std::string out;
  ebml::AppendMaster(&out, id::kInfo, body);
  return out;
}

std::string EncodeTracks(const std::vector<TrackEntry>& tracks) {
  std::string body;
  for (const TrackEntry& t : tracks) {
    std::string e;
    AppendUint(&e, id::kTrackNumber, t.number);
    AppendUint(&e, id::kTrackUid, t.uid, 8);
    AppendUint(&e, id::kTrackType, t.type);
    if (!t.name.empty()) AppendBytes(&e, id::kName, t.name);
    AppendBytes(&e, id::kCodecId, t.codec_id);
    if (!t.codec_private.empty()) AppendBytes(&e, id::kCodecPrivate, t.codec_private);
    if (t.default_duration_ns) AppendUint(&e, id::kDefaultDuration, *t.default_duration_ns);
    if (t.pixel_width || t.pixel_height) {
      std::string v;
      AppendUint(&v, id::kPixelWidth, t.pixel_width.value_or(0));
      AppendUint(&v, id::kPixelHeight, t.pixel_height.value_or(0));
      ebml::AppendMaster(&e, id::kVideo, v);
    }
    if (t.sampling_frequency || t.channels || t.bit_depth) {
      std::string a;
      ebml::AppendFloat(&a, id::kSamplingFrequency, t.sampling_frequency.value_or(8000.0));
      AppendUint(&a, id::kChannels, t.channels.value_or(1));
      if (t.bit_depth) AppendUint(&a, id::kBitDepth, *t.bit_depth);
      ebml::AppendMaster(&e, id::kAudio, a);
    }
    ebml::AppendMaster(&body, id::kTrackEntry, e);
  }
  std::string out;
  ebml::AppendMaster(&out, id::kTracks, body);
  return out;
}

std::string EncodeStreamHeader(const SegmentInfo& info, const std::vector<TrackEntry>& tracks) {
  return EncodeInfo(info) + EncodeTracks(tracks);
}

std::string EncodeTags(const std::vector<Tag>& tags) {
  std::string body;
  for (const Tag& tag : tags) {
    std::string t;
    for (const SimpleTag& st : tag.simple_tags) AppendSimpleTag(&t, st.name, st.value);
    ebml::AppendMaster(&body, id::kTag, t);
  }
  std::string out;
  ebml::AppendMaster(&out, id::kTags, body);
  return out;
}

Result<std::string> EncodeCluster(uint64_t timecode, std::span<const FrameSpec> frames) {
  std::string body;
  AppendUint(&body, id::kTimecode, timecode);
  for (const FrameSpec& f : frames) {
    int16_t offset = 0;
    OSPREY_RETURN_IF_ERROR(CheckFrame(f, timecode, &offset));
    AppendSimpleBlock(&body, f.track_number, offset, f.keyframe, f.payload, 0);
  }
  std::string out;
  ebml::AppendMaster(&out, id::kCluster, body);
  return out;
}

std::string WriteGetMediaChunk(const GetMediaChunk& c) {
  std::string out = EncodeEbmlHeader();
  AppendSegmentUnknown(&out);
  out.append(c.stream_header);
  out += EncodeTagGroup({{kTagFragmentNumber, c.fragment_number},
                         {kTagServerTimestamp, FormatEpochSeconds(c.server_timestamp_ms)},
                         {kTagProducerTimestamp, FormatEpochSeconds(c.producer_timestamp_ms)}});
  out.append(c.cluster);
  if (!c.fragment_metadata.empty()) out += EncodeTags({Tag{c.fragment_metadata}});
  out += EncodeTagGroup({{kTagMillisBehindNow, std::to_string(c.millis_behind_now)},
                         {kTagContinuationToken, c.continuation_token}});
  return out;
}

std::string WriteGetMediaErrorChunk(std::string_view fragment_number, int error_id,
                                    std::string_view error_code) {
  std::string out = EncodeEbmlHeader();
  AppendSegmentUnknown(&out);
  out += EncodeTagGroup({{kTagFragmentNumber, std::string(fragment_number)},
                         {kTagErrorId, std::to_string(error_id)},
                         {kTagErrorCode, std::string(error_code)}});
  return out;
}

ProducerMkvWriter::ProducerMkvWriter(SegmentInfo info, std::vector<TrackEntry> tracks)
    : info_(std::move(info)), tracks_(std::move(tracks)) {}

void ProducerMkvWriter::WriteHeader(std::string* out) {
  out->append(EncodeEbmlHeader());
  // The PIC marks the Segment's unknown size with one byte (0xFF).
  ebml::AppendId(out, id::kSegment);
  out->push_back(static_cast<char>(0xFF));
  out->append(EncodeStreamHeader(info_, tracks_));
}

void ProducerMkvWriter::StartCluster(uint64_t timecode, std::string* out) {
  ebml::AppendId(out, id::kCluster);
  ebml::AppendUnknownSize(out);
  AppendUint(out, id::kTimecode, timecode, 8);
  AppendUint(out, id::kPosition, 0);
  cluster_timecode_ = timecode;
}

Status ProducerMkvWriter::WriteFrame(const FrameSpec& frame, std::string* out) {
  if (!cluster_timecode_) return Status::FailedPrecondition("WriteFrame before StartCluster");
  bool declared = false;
  for (const TrackEntry& t : tracks_) declared = declared || t.number == frame.track_number;
  if (!declared) {
    return Status::InvalidArgument("track " + std::to_string(frame.track_number) +
                                   " is not declared in Tracks");
  }
  int16_t offset = 0;
  OSPREY_RETURN_IF_ERROR(CheckFrame(frame, *cluster_timecode_, &offset));
  // Sizes on 8 bytes, as the PIC generator writes them (video-api.md section 7).
  AppendSimpleBlock(out, frame.track_number, offset, frame.keyframe, frame.payload, 8);
  return Status::Ok();
}

void ProducerMkvWriter::WriteTags(const std::vector<Tag>& tags, std::string* out) {
  out->append(EncodeTags(tags));
  cluster_timecode_.reset();
}

}  // namespace osprey::fragments
