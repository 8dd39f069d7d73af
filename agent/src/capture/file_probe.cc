// ProbeFile on GstDiscoverer (gstreamer-pbutils). The discoverer prerolls
// the file's demuxer and reports each stream's caps; we take the first video
// stream. It does not tell whether a decoder exists (it can stop at parsed
// caps), so that is checked against the registry separately.
#include "file_probe.h"

#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "osprey/base/logging.h"

namespace osprey::agent {
namespace {

// Long enough for a slow disk or a big index, short enough that a broken
// file does not look like a hung agent.
constexpr GstClockTime kProbeTimeout = 10 * GST_SECOND;

// Whether an installed decoder (any rank above NONE: decodebin ignores the
// others) accepts `caps` on its sink pad.
bool HaveDecoderFor(const GstCaps* caps) {
  GList* decoders = gst_element_factory_list_get_elements(
      GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO, GST_RANK_MARGINAL);
  GList* usable = gst_element_factory_list_filter(decoders, caps, GST_PAD_SINK, FALSE);
  const bool found = usable != nullptr;
  gst_plugin_feature_list_free(usable);
  gst_plugin_feature_list_free(decoders);
  return found;
}

// Human-readable list of what the discoverer says is missing (demuxer or
// decoder), e.g. "MS-MPEG4 v3 decoder"; empty when nothing is.
std::string MissingPlugins(GstDiscovererInfo* info) {
  std::string out;
  const gchar** details = gst_discoverer_info_get_missing_elements_installer_details(info);
  for (const gchar** d = details; d != nullptr && *d != nullptr; ++d) {
    // Installer details are "gstreamer|1.0|app|description|detail"; keep
    // the description, the part a person can act on.
    std::string s = *d;
    size_t from = 0;
    for (int i = 0; i < 3 && from != std::string::npos; ++i) from = s.find('|', from + 1);
    if (from != std::string::npos) {
      size_t to = s.find('|', from + 1);
      s = s.substr(from + 1, to == std::string::npos ? std::string::npos : to - from - 1);
    }
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

std::string CapsText(const GstCaps* caps) {
  gchar* text = gst_caps_to_string(caps);
  std::string out = text != nullptr ? text : "";
  g_free(text);
  return out;
}

Result<FileVideoInfo> FromVideoStream(const std::string& path, GstDiscovererVideoInfo* video) {
  if (gst_discoverer_video_info_is_image(video)) {
    return Status::InvalidArgument("file '" + path + "': a still image, not a video");
  }
  GstCaps* caps = gst_discoverer_stream_info_get_caps(GST_DISCOVERER_STREAM_INFO(video));
  if (caps == nullptr || gst_caps_is_empty(caps)) {
    if (caps != nullptr) gst_caps_unref(caps);
    return Status::InvalidArgument("file '" + path + "': the video stream has no known format");
  }
  const std::string name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
  const std::string caps_text = CapsText(caps);
  FileVideoInfo out;
  out.h264 = name == "video/x-h264";
  // Raw video needs no decoder (decodebin passes it on to videoconvert).
  const bool decodable = out.h264 || name == "video/x-raw" || HaveDecoderFor(caps);
  gchar* codec = gst_pb_utils_get_codec_description(caps);
  const std::string codec_name = codec != nullptr ? codec : name;
  g_free(codec);
  gst_caps_unref(caps);
  if (!decodable) {
    return Status::Unavailable("file '" + path + "': no GStreamer decoder for its video (" +
                               codec_name + ", " + caps_text +
                               "); install gstreamer1.0-libav or the plugin for it");
  }
  const guint num = gst_discoverer_video_info_get_framerate_num(video);
  const guint den = gst_discoverer_video_info_get_framerate_denom(video);
  if (num > 0 && den > 0) {  // 0/1 is GStreamer's "variable or unknown"
    out.fps_num = num;
    out.fps_den = den;
  }
  log::Info("agent.capture", "probed file",
            {{"path", path},
             {"codec", codec_name},
             {"pass_through", out.h264},
             {"width", static_cast<int64_t>(gst_discoverer_video_info_get_width(video))},
             {"height", static_cast<int64_t>(gst_discoverer_video_info_get_height(video))},
             {"fps", std::to_string(num) + "/" + std::to_string(den)}});
  return out;
}

// The codec of the file's first audio stream, when we can pass it through:
// AAC (MPEG-4, or MPEG-2 which is the same bitstream) or Opus.
AudioCodec FirstAudioCodec(GstDiscovererInfo* info) {
  GList* audios = gst_discoverer_info_get_audio_streams(info);
  AudioCodec codec = AudioCodec::kNone;
  if (audios != nullptr) {
    GstCaps* caps = gst_discoverer_stream_info_get_caps(GST_DISCOVERER_STREAM_INFO(audios->data));
    if (caps != nullptr && !gst_caps_is_empty(caps)) {
      const GstStructure* s = gst_caps_get_structure(caps, 0);
      const std::string name = gst_structure_get_name(s);
      int version = 0;
      gst_structure_get_int(s, "mpegversion", &version);
      if (name == "audio/mpeg" && (version == 4 || version == 2)) codec = AudioCodec::kAac;
      if (name == "audio/x-opus") codec = AudioCodec::kOpus;
      log::Info("agent.capture", "probed file audio",
                {{"caps", CapsText(caps)}, {"pass_through", codec != AudioCodec::kNone}});
    }
    if (caps != nullptr) gst_caps_unref(caps);
  }
  gst_discoverer_stream_info_list_free(audios);
  return codec;
}

}  // namespace

Result<FileVideoInfo> ProbeFile(const std::string& path) {
  // The discoverer's message for a missing file is a generic "resource not
  // found"; errno says more and names nothing GStreamer-specific.
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Status::InvalidArgument("file '" + path + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    return Status::InvalidArgument("file '" + path + "': not a regular file");

  GError* error = nullptr;
  gchar* uri = gst_filename_to_uri(path.c_str(), &error);
  if (uri == nullptr) {
    std::string msg = error != nullptr ? error->message : "bad path";
    if (error != nullptr) g_error_free(error);
    return Status::InvalidArgument("file '" + path + "': " + msg);
  }
  GstDiscoverer* discoverer = gst_discoverer_new(kProbeTimeout, &error);
  if (discoverer == nullptr) {
    std::string msg = error != nullptr ? error->message : "unknown error";
    if (error != nullptr) g_error_free(error);
    g_free(uri);
    return Status::Unavailable("cannot create a GstDiscoverer: " + msg);
  }
  GstDiscovererInfo* info = gst_discoverer_discover_uri(discoverer, uri, &error);
  g_free(uri);
  const std::string error_text = error != nullptr ? error->message : "";
  if (error != nullptr) g_error_free(error);

  Result<FileVideoInfo> result = Status::Internal("file '" + path + "': probe gave no answer");
  if (info != nullptr) {
    const GstDiscovererResult r = gst_discoverer_info_get_result(info);
    GList* videos = gst_discoverer_info_get_video_streams(info);
    if (r == GST_DISCOVERER_TIMEOUT) {
      result = Status::Unavailable("file '" + path + "': probing timed out");
    } else if (videos != nullptr) {
      // A video stream was found even if something else (an audio codec,
      // say) is missing: that stream is all we play.
      result = FromVideoStream(path, GST_DISCOVERER_VIDEO_INFO(videos->data));
      if (result.ok()) result->audio = FirstAudioCodec(info);
    } else if (r == GST_DISCOVERER_MISSING_PLUGINS) {
      // Typefinding worked (an unknown format is an ERROR instead), so the
      // file is probably fine and the machine lacks a demuxer or decoder.
      const std::string missing = MissingPlugins(info);
      result = Status::Unavailable("file '" + path + "': GStreamer cannot decode it (missing: " +
                                   (missing.empty() ? "a plugin" : missing) +
                                   "); install gstreamer1.0-libav or the plugin for it");
    } else if (r != GST_DISCOVERER_OK) {
      result = Status::InvalidArgument("file '" + path + "': not a video GStreamer can read" +
                                       (error_text.empty() ? "" : " (" + error_text + ")"));
    } else {
      result = Status::InvalidArgument("file '" + path + "': has no video stream");
    }
    gst_discoverer_stream_info_list_free(videos);
    gst_discoverer_info_unref(info);
  } else if (!error_text.empty()) {
    result = Status::InvalidArgument("file '" + path + "': " + error_text);
  }
  g_object_unref(discoverer);
  return result;
}

}  // namespace osprey::agent
