// GetImages (video-api.md 6.6), the pure parts: request validation, the
// sampling times of a page, the output size and the BGR scaling, the choice
// of the picture for a sampling time. get_images.cc reads, decodes and
// encodes around them.
//
// Sampling: times Start, Start + I, Start + 2I, ... before End (End
// exclusive), so a range of n x I gives n images; a range shorter than I
// gives the one image at Start, as the spec says. Each time t takes the
// first picture presented in [t, t + I) on the selector's timeline ("at or
// nearest after t", never one that belongs to the next sampling time);
// none there is NO_MEDIA. docs/playback.md "GetImages" has the reasons.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "osprey/base/result.h"
#include "osprey/playback/video_decoder.h"
#include "video/get_clip.h"
#include "video/kvs_json.h"

namespace osprey::server::video {

inline constexpr int64_t kImagesMaxSpanMs = 300'000;
inline constexpr int64_t kMinSamplingIntervalMs = 200;
inline constexpr int64_t kDefaultSamplingIntervalMs = 3'000;  // [Osprey]: the model gives none
inline constexpr int kDefaultJpegQuality = 80;
inline constexpr int kMaxWidthPixels = 3840;
inline constexpr int kMaxHeightPixels = 2160;
inline constexpr int64_t kMaxImagesResults = 100;
inline constexpr size_t kImagesPageSize = 25;
inline constexpr size_t kMaxImageContentChars = 6'291'456;

struct ImagesRequest {
  TimeRange range;
  int64_t interval_ms = kDefaultSamplingIntervalMs;
  bool png = false;
  int jpeg_quality = kDefaultJpegQuality;
  int width = 0;                       // 0: not given
  int height = 0;                      // 0: not given
  size_t page_size = kImagesPageSize;  // min(MaxResults, 25)
  std::optional<std::string> next_token;
};

// Every member checked against the spec's limits; InvalidArgument in the
// ValidationError wording for a bad value, plain InvalidArgument for an
// empty or too long range. The stream is not looked at.
Result<ImagesRequest> ParseImagesRequest(const JsonRequest& body);

// How many sampling times [start, end) holds: ceil(span / interval), at least 1.
size_t SampleCount(const TimeRange& range, int64_t interval_ms);
// The i-th sampling time, epoch ms on the range's timeline.
int64_t SampleTime(const TimeRange& range, int64_t interval_ms, size_t i);

struct ImageSize {
  int width = 0;
  int height = 0;
};
// Both given: stretched to exactly that. Height alone: width from the
// source's aspect ratio (rounded, at least 1). Neither: the source size.
ImageSize OutputSize(int source_width, int source_height, int width, int height);

// The DecodeOptions max_width/max_height (0: unbounded) that let the
// decoder shrink pictures of a source_width x source_height track as far as
// the requested output allows without ever going below it in either
// dimension: decoding 1080p straight to thumbnails saves most of the
// conversion time and memory. Unbounded when the output is not smaller.
ImageSize DecodeBounds(int source_width, int source_height, int width, int height);


// The position of the first picture whose time lies in [t_us, t_us +
// window_us), in `times_us` sorted ascending; nullopt if none.
std::optional<size_t> PickPicture(const std::vector<int64_t>& times_us, int64_t t_us,
                                  int64_t window_us);

}  // namespace osprey::server::video
