// MPEG-DASH manifest text (dash_manifest.h).
#include "osprey/playback/dash_manifest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace osprey::playback {
namespace {

bool IsBase64Url(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '=';
  });
}

// The only characters our attribute values can hold that XML reserves: '&'
// in URLs (codecs strings and tokens are checked or fixed alphabets).
std::string XmlAttr(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (c == '<') {
      out += "&lt;";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// DASH FrameRateType: "15", "30000/1001" or "<fps x 1000>/1000".
std::string FrameRate(double fps) {
  const int64_t milli = std::llround(fps * 1000.0);
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  const double ntsc = fps * 1.001;
  if (std::fabs(ntsc - std::round(ntsc)) < 0.005) {
    return std::to_string(std::llround(ntsc) * 1000) + "/1001";
  }
  return std::to_string(milli) + "/1000";
}

// Timeline order, one segment per start, no overlaps (header comment).
std::vector<DashSegment> Timeline(std::vector<DashSegment> segments) {
  std::stable_sort(segments.begin(), segments.end(),
                   [](const DashSegment& a, const DashSegment& b) {
                     if (a.start_ms != b.start_ms) return a.start_ms < b.start_ms;
                     return a.fragment_number < b.fragment_number;  // same width: numeric order
                   });
  std::vector<DashSegment> out;
  for (DashSegment& s : segments) {
    if (!out.empty() && out.back().start_ms == s.start_ms) {
      out.back() = std::move(s);  // sorted: the higher FragmentNumber wins
      continue;
    }
    out.push_back(std::move(s));
  }
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    out[i].duration_ms =
        std::clamp<int64_t>(out[i].duration_ms, 0, out[i + 1].start_ms - out[i].start_ms);
  }
  if (out.back().duration_ms < 0) out.back().duration_ms = 0;
  return out;
}

void AppendTimeline(const DashManifestInput& in, const std::vector<DashSegment>& timeline,
                    std::string* out) {
  *out += "          <SegmentTimeline>\n";
  for (const DashSegment& s : timeline) {
    *out += "            <S t=\"" + std::to_string(s.start_ms) + "\" d=\"" +
            std::to_string(s.duration_ms) + "\"";
    if (in.display_fragment_timestamp) {
      *out += " kvs:ts=\"" + FormatProgramDateTime(s.display_start_ms) + "\"";
    }
    if (in.display_fragment_number) *out += " kvs:fn=\"" + s.fragment_number + "\"";
    *out += "/>\n";
  }
  *out += "          </SegmentTimeline>\n";
}

void AppendAdaptationSet(const DashManifestInput& in, const DashRepresentation& r,
                         const std::vector<DashSegment>& timeline, int64_t pto, std::string* out) {
  const std::string id = std::to_string(r.track_number);
  *out += "    <AdaptationSet id=\"" + id + "\" contentType=\"" +
          std::string(r.video ? "video" : "audio") + "\" mimeType=\"" +
          std::string(r.video ? "video/mp4" : "audio/mp4") +
          "\" segmentAlignment=\"true\" startWithSAP=\"1\">\n";
  *out += "      <Representation id=\"" + id + "\" codecs=\"" + XmlAttr(r.codecs) +
          "\" bandwidth=\"" + std::to_string(std::max<uint64_t>(r.bandwidth, 1)) + "\"";
  if (r.video) {
    *out +=
        " width=\"" + std::to_string(r.width) + "\" height=\"" + std::to_string(r.height) + "\"";
    if (r.frame_rate && *r.frame_rate > 0)
      *out += " frameRate=\"" + FrameRate(*r.frame_rate) + "\"";
  } else if (r.sample_rate > 0) {
    *out += " audioSamplingRate=\"" + std::to_string(r.sample_rate) + "\"";
  }
  *out += ">\n";
  if (!r.video && r.channels > 0) {
    *out +=
        "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:"
        "audio_channel_configuration:2011\" value=\"" +
        std::to_string(r.channels) + "\"/>\n";
  }
  *out += "        <SegmentTemplate timescale=\"1000\" presentationTimeOffset=\"" +
          std::to_string(pto) + "\" initialization=\"" +
          XmlAttr(DashInitUrl(in.session_token, r.track_number)) + "\" media=\"" +
          XmlAttr(DashMediaUrlTemplate(in.session_token, r.track_number)) + "\">\n";
  AppendTimeline(in, timeline, out);
  *out += "        </SegmentTemplate>\n";
  *out += "      </Representation>\n";
  *out += "    </AdaptationSet>\n";
}

}  // namespace

std::string DashDuration(int64_t ms) {
  ms = std::max<int64_t>(ms, 0);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "PT%lld.%03lldS", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string DashInitUrl(const std::string& token, uint64_t track) {
  return "getMP4InitFragment.mp4?SessionToken=" + token + "&TrackNumber=" + std::to_string(track);
}

std::string DashMediaUrlTemplate(const std::string& token, uint64_t track) {
  return "getMP4MediaFragment.mp4?SessionToken=" + token + "&TrackNumber=" + std::to_string(track) +
         "&Time=$Time$";
}

Result<std::string> BuildDashManifest(const DashManifestInput& in) {
  if (in.segments.empty()) return Status::InvalidArgument("a manifest needs a segment");
  if (in.representations.empty()) return Status::InvalidArgument("a manifest needs a track");
  if (!IsBase64Url(in.session_token)) {
    return Status::InvalidArgument("session token is not base64url");
  }
  const std::vector<DashSegment> timeline = Timeline(in.segments);
  const int64_t first = timeline.front().start_ms;
  const int64_t end = timeline.back().start_ms + timeline.back().duration_ms;
  int64_t longest = 1;
  for (const DashSegment& s : timeline) longest = std::max(longest, s.duration_ms);

  const bool dynamic = in.mode != PlaybackMode::kOnDemand;
  const int64_t pto = dynamic ? in.timeline_origin_ms : first;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" xmlns:kvs=\"" +
         std::string(kDashKvsNamespace) + "\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"";
  if (!dynamic) {
    out += " type=\"static\" mediaPresentationDuration=\"" + DashDuration(end - first) + "\"";
  } else {
    out += " type=\"dynamic\" availabilityStartTime=\"" +
           FormatProgramDateTime(in.availability_start_ms) + "\" publishTime=\"" +
           FormatProgramDateTime(in.now_ms) + "\"";
    if (in.ended) {
      // Presentation time of the end: media time since the origin.
      out += " mediaPresentationDuration=\"" + DashDuration(end - pto) + "\"";
    } else {
      out += " minimumUpdatePeriod=\"PT1.000S\"";
    }
    out += " timeShiftBufferDepth=\"" + DashDuration(end - first) + "\"";
    // Three segments behind the newest, as far as the window allows.
    out += " suggestedPresentationDelay=\"" +
           DashDuration(std::min(3 * longest, std::max<int64_t>(end - first, longest))) + "\"";
  }
  out += " minBufferTime=\"" + DashDuration(longest) + "\" maxSegmentDuration=\"" +
         DashDuration(longest) + "\">\n";
  out += "  <Period id=\"0\" start=\"PT0.000S\">\n";
  for (const DashRepresentation& r : in.representations) {
    AppendAdaptationSet(in, r, timeline, pto, &out);
  }
  out += "  </Period>\n";
  if (dynamic) {
    out += "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:direct:2014\" value=\"" +
           FormatProgramDateTime(in.now_ms) + "\"/>\n";
  }
  out += "</MPD>\n";
  return out;
}

}  // namespace osprey::playback
