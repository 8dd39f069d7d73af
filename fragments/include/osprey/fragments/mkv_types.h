// Plain value types shared by the MKV parser (mkv_parser.h) and the writers
// (mkv_writer.h), plus the Matroska element IDs Osprey knows by name.
//
// Units: every timecode is in TimecodeScale units (SegmentInfo), which is
// nanoseconds per tick; KVS producers use the default 1,000,000 (1 ms).
// Byte strings (CodecPrivate, SegmentUID) are std::string: they may hold NULs.
//
// Thread safety: value types; see status.h for the usual rules.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace osprey::fragments {

// Element IDs, with their length marker bits kept (as written on the wire).
namespace id {
inline constexpr uint32_t kEbml = 0x1A45DFA3;
inline constexpr uint32_t kEbmlVersion = 0x4286;
inline constexpr uint32_t kEbmlReadVersion = 0x42F7;
inline constexpr uint32_t kEbmlMaxIdLength = 0x42F2;
inline constexpr uint32_t kEbmlMaxSizeLength = 0x42F3;
inline constexpr uint32_t kDocType = 0x4282;
inline constexpr uint32_t kDocTypeVersion = 0x4287;
inline constexpr uint32_t kDocTypeReadVersion = 0x4285;
inline constexpr uint32_t kVoid = 0xEC;
inline constexpr uint32_t kCrc32 = 0xBF;

inline constexpr uint32_t kSegment = 0x18538067;
inline constexpr uint32_t kSeekHead = 0x114D9B74;
inline constexpr uint32_t kInfo = 0x1549A966;
inline constexpr uint32_t kTracks = 0x1654AE6B;
inline constexpr uint32_t kCluster = 0x1F43B675;
inline constexpr uint32_t kCues = 0x1C53BB6B;
inline constexpr uint32_t kAttachments = 0x1941A469;
inline constexpr uint32_t kChapters = 0x1043A770;
inline constexpr uint32_t kTags = 0x1254C367;

inline constexpr uint32_t kSegmentUid = 0x73A4;
inline constexpr uint32_t kTimecodeScale = 0x2AD7B1;
inline constexpr uint32_t kDuration = 0x4489;
inline constexpr uint32_t kTitle = 0x7BA9;
inline constexpr uint32_t kMuxingApp = 0x4D80;
inline constexpr uint32_t kWritingApp = 0x5741;

inline constexpr uint32_t kTrackEntry = 0xAE;
inline constexpr uint32_t kTrackNumber = 0xD7;
inline constexpr uint32_t kTrackUid = 0x73C5;
inline constexpr uint32_t kTrackType = 0x83;
inline constexpr uint32_t kCodecId = 0x86;
inline constexpr uint32_t kCodecPrivate = 0x63A2;
inline constexpr uint32_t kName = 0x536E;
inline constexpr uint32_t kDefaultDuration = 0x23E383;
inline constexpr uint32_t kVideo = 0xE0;
inline constexpr uint32_t kPixelWidth = 0xB0;
inline constexpr uint32_t kPixelHeight = 0xBA;
inline constexpr uint32_t kAudio = 0xE1;
inline constexpr uint32_t kSamplingFrequency = 0xB5;
inline constexpr uint32_t kChannels = 0x9F;
inline constexpr uint32_t kBitDepth = 0x6264;

inline constexpr uint32_t kTimecode = 0xE7;
inline constexpr uint32_t kPosition = 0xA7;
inline constexpr uint32_t kPrevSize = 0xAB;
inline constexpr uint32_t kSimpleBlock = 0xA3;
inline constexpr uint32_t kBlockGroup = 0xA0;
inline constexpr uint32_t kBlock = 0xA1;
inline constexpr uint32_t kBlockDuration = 0x9B;
inline constexpr uint32_t kReferenceBlock = 0xFB;
inline constexpr uint32_t kEncryptedBlock = 0xAF;

inline constexpr uint32_t kTag = 0x7373;
inline constexpr uint32_t kTargets = 0x63C0;
inline constexpr uint32_t kSimpleTag = 0x67C8;
inline constexpr uint32_t kTagName = 0x45A3;
inline constexpr uint32_t kTagString = 0x4487;
}  // namespace id

inline constexpr uint64_t kDefaultTimecodeScaleNs = 1'000'000;

struct EbmlHeader {
  uint64_t version = 1;
  uint64_t read_version = 1;
  uint64_t max_id_length = 4;
  uint64_t max_size_length = 8;
  std::string doc_type;  // trailing NULs stripped
  uint64_t doc_type_version = 1;
  uint64_t doc_type_read_version = 1;
  bool operator==(const EbmlHeader&) const = default;
};

struct SegmentInfo {
  uint64_t timecode_scale_ns = kDefaultTimecodeScaleNs;
  std::string segment_uid;  // raw bytes (16 when present), empty when absent
  std::string title;
  std::string muxing_app;
  std::string writing_app;
  std::optional<double> duration;  // in TimecodeScale units
  bool operator==(const SegmentInfo&) const = default;
};

enum class TrackType : uint8_t { kUnknown = 0, kVideo = 1, kAudio = 2 };

struct TrackEntry {
  uint64_t number = 0;  // > 0 once parsed
  uint64_t uid = 0;
  uint64_t type = 0;  // 1 video, 2 audio, 17 subtitle... (raw Matroska value)
  std::string codec_id;  // e.g. "V_MPEG4/ISO/AVC", trailing NULs stripped
  std::string name;      // trailing NULs stripped
  std::string codec_private;  // raw bytes, at most ParserOptions::max_codec_private
  std::optional<uint64_t> default_duration_ns;
  // Video (present when the Video master was).
  std::optional<uint64_t> pixel_width;
  std::optional<uint64_t> pixel_height;
  // Audio (present when the Audio master was; SamplingFrequency defaults to 8000).
  std::optional<double> sampling_frequency;
  std::optional<uint64_t> channels;
  std::optional<uint64_t> bit_depth;
  bool operator==(const TrackEntry&) const = default;
};

struct SimpleTag {
  std::string name;
  std::string value;  // TagString, UTF-8
  bool operator==(const SimpleTag&) const = default;
};

// One Tag element. Targets are not kept: KVS tags have none, and the tags
// ffmpeg writes (per-track DURATION) are informational.
struct Tag {
  std::vector<SimpleTag> simple_tags;
  bool operator==(const Tag&) const = default;
};

// One frame from a SimpleBlock or a BlockGroup's Block (lacing is rejected,
// so one block is one frame).
struct Frame {
  uint64_t track_number = 0;
  int64_t timecode = 0;           // cluster Timecode + relative_timecode
  int16_t relative_timecode = 0;  // the block's signed offset
  bool keyframe = false;          // SimpleBlock 0x80; BlockGroup without ReferenceBlock
  bool invisible = false;         // flag 0x08
  bool discardable = false;       // SimpleBlock flag 0x01
  bool from_block_group = false;
  std::optional<uint64_t> duration;  // BlockDuration, BlockGroup only
  // The frame bytes. Valid only during the OnFrame call: a view into the
  // buffer given to Feed() or into the parser's own buffer (mkv_parser.h).
  std::span<const uint8_t> payload;
  uint64_t offset = 0;  // stream offset of the SimpleBlock/BlockGroup element
};

}  // namespace osprey::fragments
