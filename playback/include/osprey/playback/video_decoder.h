// Decoding the video samples of stored fragments into BGR pictures (for the
// ML process's detectors and for GetImages), and still-image encoding of
// such pictures. libavcodec and libswscale stay behind this header.
//
// Fragment at a time: DecodeFragment() feeds one fragment's samples, then
// drains the decoder, so every picture of that fragment (B-frames included)
// is returned before the call ends, in presentation order, and nothing is
// carried into the next call except the max_fps schedule. A fragment must
// start with a sync sample (media_fragment.h: IDR / IRAP); samples before
// its first sync sample are skipped, since the previous fragment's
// references are gone.
//
// Selection (DecodeOptions): keyframes_only feeds the sync samples alone (a
// cheap scan: about one picture per GOP, never decoding the rest). max_fps
// decodes everything needed but converts and returns only the pictures due
// on a schedule of max_fps per second of presentation time, kept across
// fragments so the rate stays even at their boundaries: a picture is
// returned when it is the first at or after its due time, and the next due
// time is one period later. The long-run rate is therefore exactly max_fps
// (or the source's, if lower), with gaps rounded to whole source frames
// (7 fps from 25 fps: 120 or 160 ms). A picture up to 5 ms (at most a
// quarter period) early counts as due, which absorbs the millisecond
// rounding of Matroska times when max_fps equals the source rate. After a
// gap in the stream the schedule restarts at the next picture; a fragment
// starting before the last returned picture (the caller went back) restarts
// it too.
//
// Errors: DecodeFragment returns Corruption when a sample is malformed (its
// length prefixes do not cover it exactly) or libavcodec reports damage
// (an error, or a picture it had to conceal). The rest of that fragment is
// skipped; `out` still receives the pictures the decoder had output before
// the damaged sample went in (none of them can depend on it; with B-frames
// some earlier samples' pictures are lost with the rest), and the decoder
// is reset, so the next fragment decodes normally.
//
// Threading: a VideoDecoder is used by one thread at a time (it holds codec
// state); distinct decoders are independent. ScalePicture, EncodeJpeg and
// EncodePng are pure functions, callable from any thread. libav may log damage to stderr
// through its default log callback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {

struct DecodedPicture {
  int width = 0;
  int height = 0;
  std::string bgr;     // width * height * 3 bytes, rows packed, B,G,R order
  int64_t pts_us = 0;  // the pts of the sample it was decoded from
  bool key = false;    // decoded from a sync sample
};

struct DecodeOptions {
  bool keyframes_only = false;  // feed only sync samples
  double max_fps = 0;           // 0: every picture; else at most this rate
  int max_width = 0;            // 0: no bound; else scale down (never up),
  int max_height = 0;           //   keeping the stored aspect ratio
  int threads = 1;              // libavcodec threads; 0: one per core
};

class VideoDecoder {
 public:
  // H.264 or H.265 with a usable avcC / hvcC in track.codec_private;
  // InvalidArgument for any other codec, a bad codec_private or bad options.
  static Result<std::unique_ptr<VideoDecoder>> Create(const Track& track,
                                                      const DecodeOptions& options);
  virtual ~VideoDecoder() = default;

  // Decodes one fragment's samples (decode order, as Demux gives them) and
  // appends the selected pictures of that fragment to `out`, in
  // presentation order. Corruption as described above; InvalidArgument when
  // the fragment has no sync sample (nothing can be decoded) or another
  // codec. A fragment whose CodecPrivate differs from the previous one's (a
  // producer restarted with another resolution or profile) reopens the
  // decoder with it; InvalidArgument if it is unusable.
  virtual Status DecodeFragment(const TrackSamples& samples, std::vector<DecodedPicture>* out) = 0;
};

// The picture resized to exactly width x height (bilinear; the aspect
// ratio is the caller's business). InvalidArgument for an inconsistent
// picture or a size out of range.
Result<DecodedPicture> ScalePicture(const DecodedPicture& picture, int width, int height);

// Baseline JPEG (4:2:0, full range) of a picture; quality 1 (smallest) to
// 100 (best), clamped. InvalidArgument for an empty or inconsistent picture.
Result<std::string> EncodeJpeg(const DecodedPicture& picture, int quality);
// Lossless 8-bit RGB PNG of a picture.
Result<std::string> EncodePng(const DecodedPicture& picture);

}  // namespace osprey::playback
