// GetImages request validation and sampling (get_images_plan.h).
#include "video/get_images_plan.h"

#include <algorithm>
#include <cmath>

namespace osprey::server::video {

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<int> Pixels(const JsonRequest& body, std::string_view member, std::string_view lower,
                   int max) {
  OSPREY_ASSIGN_OR_RETURN(auto v, body.Int(member));
  if (!v) return 0;
  if (*v < 1 || *v > max) {
    return ValidationError(lower, std::to_string(*v),
                           "Member must have value between 1 and " + std::to_string(max));
  }
  return int(*v);
}

// FormatConfig {"JPEGQuality": "1".."100"}: the model's map of enum key to
// string value. Another key is a validation error.
Result<int> JpegQuality(const JsonRequest& body) {
  OSPREY_ASSIGN_OR_RETURN(auto config, body.StringMap("FormatConfig"));
  if (!config) return kDefaultJpegQuality;
  int quality = kDefaultJpegQuality;
  for (const auto& [key, value] : *config) {
    if (key != "JPEGQuality") {
      return ValidationError("formatConfig", key,
                             "Map keys must satisfy constraint: [Member must satisfy enum value "
                             "set: [JPEGQuality]]");
    }
    const int q = AllDigits(value) && value.size() <= 3 ? std::stoi(value) : 0;
    if (q < 1 || q > 100) {
      return Status::InvalidArgument("JPEGQuality must be an integer from 1 to 100, not '" + value +
                                     "'");
    }
    quality = q;
  }
  return quality;
}

}  // namespace

Result<ImagesRequest> ParseImagesRequest(const JsonRequest& body) {
  ImagesRequest r;
  OSPREY_ASSIGN_OR_RETURN(auto type, body.String("ImageSelectorType"));
  OSPREY_ASSIGN_OR_RETURN(r.range.kind, ParseSelectorType("imageSelectorType", type));
  OSPREY_ASSIGN_OR_RETURN(auto start, body.TimestampMs("StartTimestamp"));
  if (!start) return MissingMember("startTimestamp");
  OSPREY_ASSIGN_OR_RETURN(auto end, body.TimestampMs("EndTimestamp"));
  if (!end) return MissingMember("endTimestamp");
  if (*end <= *start) {
    return Status::InvalidArgument("EndTimestamp must be later than StartTimestamp");
  }
  if (*end - *start > kImagesMaxSpanMs) {
    return Status::InvalidArgument(
        "The time range between StartTimestamp and EndTimestamp must not exceed 300 seconds");
  }
  r.range.start_ms = *start;
  r.range.end_ms = *end;

  OSPREY_ASSIGN_OR_RETURN(auto interval, body.Int("SamplingInterval"));
  if (interval && *interval < kMinSamplingIntervalMs) {
    return ValidationError("samplingInterval", std::to_string(*interval),
                           "Member must have value greater than or equal to 200");
  }
  r.interval_ms = interval.value_or(kDefaultSamplingIntervalMs);

  OSPREY_ASSIGN_OR_RETURN(auto format, body.String("Format"));
  if (!format) return MissingMember("format");
  if (*format != "JPEG" && *format != "PNG") {
    return ValidationError("format", *format, "Member must satisfy enum value set: [JPEG, PNG]");
  }
  r.png = *format == "PNG";
  OSPREY_ASSIGN_OR_RETURN(r.jpeg_quality, JpegQuality(body));

  OSPREY_ASSIGN_OR_RETURN(r.width, Pixels(body, "WidthPixels", "widthPixels", kMaxWidthPixels));
  OSPREY_ASSIGN_OR_RETURN(r.height, Pixels(body, "HeightPixels", "heightPixels", kMaxHeightPixels));
  if (r.width && !r.height) {
    return Status::InvalidArgument("WidthPixels requires HeightPixels");
  }

  OSPREY_ASSIGN_OR_RETURN(auto max_results, body.Int("MaxResults"));
  if (max_results && (*max_results < 1 || *max_results > kMaxImagesResults)) {
    return ValidationError("maxResults", std::to_string(*max_results),
                           "Member must have value between 1 and 100");
  }
  r.page_size = std::min<size_t>(size_t(max_results.value_or(kImagesPageSize)), kImagesPageSize);

  OSPREY_ASSIGN_OR_RETURN(r.next_token, body.String("NextToken"));
  if (r.next_token && (r.next_token->empty() || r.next_token->size() > 4096)) {
    return ValidationError("nextToken", *r.next_token,
                           "Member must have length between 1 and 4096");
  }
  return r;
}

size_t SampleCount(const TimeRange& range, int64_t interval_ms) {
  const int64_t span = range.end_ms - range.start_ms;
  if (span <= 0 || interval_ms <= 0) return 1;
  return size_t(std::max<int64_t>(1, (span + interval_ms - 1) / interval_ms));
}

int64_t SampleTime(const TimeRange& range, int64_t interval_ms, size_t i) {
  return range.start_ms + int64_t(i) * interval_ms;
}

ImageSize OutputSize(int source_width, int source_height, int width, int height) {
  if (width > 0 && height > 0) return {width, height};
  if (height > 0 && source_height > 0) {
    const double w = double(source_width) * double(height) / double(source_height);
    return {std::max(1, int(std::lround(w))), height};
  }
  return {source_width, source_height};
}

ImageSize DecodeBounds(int source_width, int source_height, int width, int height) {
  if (height <= 0 || source_width <= 0 || source_height <= 0) return {0, 0};
  // The decoder keeps the aspect ratio, so it is bounded in the dimension
  // whose scale factor is the larger; the other then comes out at least as
  // large as asked, and playback::ScalePicture stretches the rest.
  const double sy = double(height) / source_height;
  if (width <= 0) return sy < 1 ? ImageSize{0, height} : ImageSize{0, 0};
  const double sx = double(width) / source_width;
  if (std::max(sx, sy) >= 1) return {0, 0};
  return sx >= sy ? ImageSize{width, 0} : ImageSize{0, height};
}


std::optional<size_t> PickPicture(const std::vector<int64_t>& times_us, int64_t t_us,
                                  int64_t window_us) {
  auto it = std::lower_bound(times_us.begin(), times_us.end(), t_us);
  if (it == times_us.end() || *it >= t_us + window_us) return std::nullopt;
  return size_t(it - times_us.begin());
}

}  // namespace osprey::server::video
