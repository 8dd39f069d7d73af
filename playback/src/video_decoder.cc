// H.264 / H.265 decoding with libavcodec, BGR conversion with libswscale
// (video_decoder.h).
#include "osprey/playback/video_decoder.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstring>
#include <memory>

#include "av_helpers.h"
#include "osprey/playback/codec_info.h"

namespace osprey::playback {
namespace {

// Matroska times are whole milliseconds, so a 30 fps source arrives up to
// 0.5 ms off its ideal grid; 5 ms of slack keeps max_fps = source fps from
// dropping such frames without letting a faster source through.
constexpr int64_t kMaxDueSlackUs = 5000;
constexpr size_t kSwsOutputSlack = 64;

// The NAL length size of an avcC / hvcC record (1, 2 or 4), or 0.
int NalLengthSize(Codec codec, const std::string& config) {
  const size_t at = codec == Codec::kH264 ? 4 : 21;
  if (config.size() <= at || config[0] != 1) return 0;
  const int size = (uint8_t(config[at]) & 3) + 1;
  return size == 3 ? 0 : size;
}

// The NAL length size of a usable avcC / hvcC, or InvalidArgument.
Result<int> CheckCodecPrivate(Codec codec, const std::string& config) {
  Result<VideoInfo> info =
      codec == Codec::kH264 ? ParseAvcDecoderConfig(config) : ParseHevcDecoderConfig(config);
  if (!info.ok())
    return Status::InvalidArgument("bad codec private data: " + info.status().message());
  const int size = NalLengthSize(codec, config);
  if (size == 0) return Status::InvalidArgument("bad codec private data: NAL length size");
  return size;
}

// True when the length prefixes of an AVCC/HVCC sample tile it exactly; the
// decoder would otherwise guess at the boundary (or read a truncated NAL).
bool FramingValid(const std::string& data, int length_size) {
  size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < size_t(length_size)) return false;
    size_t n = 0;
    for (int i = 0; i < length_size; ++i) n = (n << 8) | uint8_t(data[at + i]);
    at += size_t(length_size);
    if (n == 0 || n > data.size() - at) return false;
    at += n;
  }
  return !data.empty();
}

int SwsColorspace(AVColorSpace space) {
  switch (space) {
    case AVCOL_SPC_BT709:
      return SWS_CS_ITU709;
    case AVCOL_SPC_FCC:
      return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M:
      return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
      return SWS_CS_BT2020;
    default:
      return SWS_CS_ITU601;  // also what encoders mean by "unspecified"
  }
}

// The JPEG-range pixel formats are deprecated aliases; swscale wants the
// plain format plus a range flag.
AVPixelFormat PlainFormat(AVPixelFormat f, bool* full_range) {
  switch (f) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    default:
      return f;
  }
}

class LibavVideoDecoder final : public VideoDecoder {
 public:
  LibavVideoDecoder(Codec codec, const DecodeOptions& options) : codec_(codec), options_(options) {
    if (options.max_fps > 0) {
      interval_us_ = std::max<int64_t>(1, std::llround(1e6 / options.max_fps));
      slack_us_ = std::min(kMaxDueSlackUs, interval_us_ / 4);
    }
  }

  // (Re)opens libavcodec for this avcC / hvcC; the old context, if any, is
  // dropped.
  Status Open(const std::string& codec_private) {
    OSPREY_ASSIGN_OR_RETURN(nal_length_size_, CheckCodecPrivate(codec_, codec_private));
    codec_private_.clear();  // until the new context is open
    const AVCodec* decoder =
        avcodec_find_decoder(codec_ == Codec::kH264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_HEVC);
    if (decoder == nullptr) return Status::Unavailable("libavcodec has no H.264/H.265 decoder");
    ctx_.reset(avcodec_alloc_context3(decoder));
    frame_.reset(av_frame_alloc());
    packet_.reset(av_packet_alloc());
    if (!ctx_ || !frame_ || !packet_) return Status::ResourceExhausted("decoder: out of memory");
    ctx_->extradata =
        static_cast<uint8_t*>(av_mallocz(codec_private.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (ctx_->extradata == nullptr) return Status::ResourceExhausted("decoder: out of memory");
    std::memcpy(ctx_->extradata, codec_private.data(), codec_private.size());
    ctx_->extradata_size = int(codec_private.size());
    ctx_->pkt_timebase = AVRational{1, 1000000};
    ctx_->thread_count = options_.threads;
    ctx_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    // The H.264 decoder flags the pictures it had to conceal, which is
    // precise (a bad SEI alone fails nothing). The HEVC decoder conceals
    // silently, so damage is only visible as an error from send_packet.
    if (codec_ == Codec::kH265) ctx_->err_recognition |= AV_EF_EXPLODE;
    const int err = avcodec_open2(ctx_.get(), decoder, nullptr);
    if (err < 0) {
      ctx_.reset();
      return Status::InvalidArgument("cannot open decoder: " + av::ErrorString(err));
    }
    codec_private_ = codec_private;
    return Status::Ok();
  }

  Status DecodeFragment(const TrackSamples& samples, std::vector<DecodedPicture>* out) override;

 private:
  // One fragment's bookkeeping: which pictures arrived before each packet
  // was sent, so damage can be cut out together with whatever came later.
  struct Sent {
    int64_t pts_us;
    size_t pictures_before;
  };

  Status Feed(const Sample& sample);
  // Receives every picture the decoder has ready; sets error_ and cut_ when
  // damage shows.
  void Receive();
  bool Due(int64_t pts_us);
  Status Convert(const AVFrame& frame, DecodedPicture* picture);

  const Codec codec_;
  const DecodeOptions options_;
  std::string codec_private_;  // what ctx_ was opened with
  int nal_length_size_ = 4;
  int64_t interval_us_ = 0;  // 0: every picture
  int64_t slack_us_ = 0;
  bool scheduled_ = false;  // next_due_us_ is meaningful
  int64_t next_due_us_ = 0;
  int64_t last_returned_us_ = INT64_MIN;

  std::unique_ptr<AVCodecContext, av::CodecContextDeleter> ctx_;
  std::unique_ptr<AVFrame, av::FrameDeleter> frame_;
  std::unique_ptr<AVPacket, av::PacketDeleter> packet_;
  std::unique_ptr<SwsContext, av::SwsDeleter> sws_;
  std::array<int, 7> sws_key_{};  // the input and output sws_ was made for

  // Per fragment.
  std::vector<Sent> sent_;
  std::vector<int64_t> key_pts_;
  std::vector<DecodedPicture> pictures_;
  Status error_;
  size_t cut_ = 0;
};

Status LibavVideoDecoder::DecodeFragment(const TrackSamples& samples,
                                         std::vector<DecodedPicture>* out) {
  if (samples.track.codec != codec_) {
    return Status::InvalidArgument("fragment track codec differs from the decoder's");
  }
  // A producer that restarts with other settings (resolution, profile)
  // writes a new CodecPrivate; decoding the new fragments with the old
  // parameter sets would fail, so the decoder follows the fragment's.
  if (!ctx_ || samples.track.codec_private != codec_private_) {
    OSPREY_RETURN_IF_ERROR(Open(samples.track.codec_private));
  }
  const auto first = std::find_if(samples.samples.begin(), samples.samples.end(),
                                  [](const Sample& s) { return s.sync; });
  if (first == samples.samples.end()) {
    if (samples.samples.empty()) return Status::Ok();
    return Status::InvalidArgument("fragment has no sync sample to start decoding from");
  }
  if (scheduled_ && first->pts_us < last_returned_us_) scheduled_ = false;
  sent_.clear();
  key_pts_.clear();
  pictures_.clear();
  error_ = Status::Ok();
  for (auto it = first; it != samples.samples.end() && error_.ok(); ++it) {
    if (options_.keyframes_only && !it->sync) continue;
    if (Status s = Feed(*it); !s.ok()) {
      error_ = std::move(s);
      cut_ = pictures_.size();
      break;
    }
    Receive();
  }
  if (error_.ok()) {
    // Drain: the pictures still held for reordering come out now, so the
    // fragment is complete when this call returns.
    const int err = avcodec_send_packet(ctx_.get(), nullptr);
    if (err < 0) {
      error_ = Status::Internal("decoder drain: " + av::ErrorString(err));
      cut_ = pictures_.size();
    } else {
      Receive();
    }
  }
  // Back to a clean state for the next fragment (also after EOF, which a
  // drained decoder otherwise keeps answering).
  avcodec_flush_buffers(ctx_.get());
  if (!error_.ok()) {
    pictures_.resize(std::min(cut_, pictures_.size()));
    scheduled_ = false;  // the discarded pictures advanced it
  }
  std::stable_sort(
      pictures_.begin(), pictures_.end(),
      [](const DecodedPicture& a, const DecodedPicture& b) { return a.pts_us < b.pts_us; });
  if (!pictures_.empty()) last_returned_us_ = pictures_.back().pts_us;
  for (DecodedPicture& p : pictures_) out->push_back(std::move(p));
  pictures_.clear();
  return error_;
}

Status LibavVideoDecoder::Feed(const Sample& sample) {
  if (!FramingValid(sample.data, nal_length_size_)) {
    return Status::Corruption("sample at pts " + std::to_string(sample.pts_us) +
                              " us: NAL length prefixes do not match its size");
  }
  av_packet_unref(packet_.get());
  if (av_new_packet(packet_.get(), int(sample.data.size())) < 0) {
    return Status::ResourceExhausted("decoder: out of memory");
  }
  std::memcpy(packet_->data, sample.data.data(), sample.data.size());
  packet_->pts = sample.pts_us;
  packet_->dts = sample.dts_us;
  if (sample.sync) {
    packet_->flags |= AV_PKT_FLAG_KEY;
    key_pts_.push_back(sample.pts_us);
  }
  sent_.push_back({sample.pts_us, pictures_.size()});
  const int err = avcodec_send_packet(ctx_.get(), packet_.get());
  // Every picture is received right after each packet, so EAGAIN (input
  // full) cannot happen; any error is about this packet.
  if (err < 0) {
    return Status::Corruption("sample at pts " + std::to_string(sample.pts_us) +
                              " us: " + av::ErrorString(err));
  }
  return Status::Ok();
}

void LibavVideoDecoder::Receive() {
  for (;;) {
    const int err = avcodec_receive_frame(ctx_.get(), frame_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    if (err < 0) {
      // Frame threads report a packet's damage late; which packet is not
      // known, so keep only what arrived before.
      error_ = Status::Corruption("decoding: " + av::ErrorString(err));
      cut_ = pictures_.size();
      return;
    }
    const int64_t pts = frame_->pts != AV_NOPTS_VALUE ? frame_->pts : frame_->best_effort_timestamp;
    if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT) != 0) {
      // Keep only pictures that came out before the damaged one was sent:
      // they cannot reference it.
      cut_ = pictures_.size();
      for (const Sent& s : sent_) {
        if (s.pts_us == pts) cut_ = std::min(cut_, s.pictures_before);
      }
      error_ = Status::Corruption("picture at pts " + std::to_string(pts) +
                                  " us decoded with errors (concealed)");
      av_frame_unref(frame_.get());
      return;
    }
    if (Due(pts)) {
      DecodedPicture picture;
      picture.pts_us = pts;
      picture.key = std::find(key_pts_.begin(), key_pts_.end(), pts) != key_pts_.end();
      Status s = Convert(*frame_, &picture);
      if (!s.ok()) {
        error_ = std::move(s);
        cut_ = pictures_.size();
        av_frame_unref(frame_.get());
        return;
      }
      pictures_.push_back(std::move(picture));
    }
    av_frame_unref(frame_.get());
  }
}

bool LibavVideoDecoder::Due(int64_t pts_us) {
  if (interval_us_ == 0) return true;
  if (scheduled_ && pts_us + slack_us_ < next_due_us_) return false;
  next_due_us_ = scheduled_ ? next_due_us_ + interval_us_ : pts_us + interval_us_;
  // After a gap the schedule restarts here rather than catching up in a burst.
  if (next_due_us_ <= pts_us) next_due_us_ = pts_us + interval_us_;
  scheduled_ = true;
  return true;
}

Status LibavVideoDecoder::Convert(const AVFrame& frame, DecodedPicture* picture) {
  const int w = frame.width, h = frame.height;
  if (w <= 0 || h <= 0) return Status::Corruption("decoded picture without a size");
  double scale = 1;
  if (options_.max_width > 0) scale = std::min(scale, double(options_.max_width) / w);
  if (options_.max_height > 0) scale = std::min(scale, double(options_.max_height) / h);
  const int ow = std::max(1, int(std::lround(w * scale)));
  const int oh = std::max(1, int(std::lround(h * scale)));
  bool full_range = frame.color_range == AVCOL_RANGE_JPEG;
  const AVPixelFormat format = PlainFormat(AVPixelFormat(frame.format), &full_range);
  const int colorspace = SwsColorspace(frame.colorspace);
  const std::array<int, 7> key = {w, h, int(format), ow, oh, colorspace, int(full_range)};
  if (!sws_ || key != sws_key_) {
    // A new context only when the input or its signalling changes: setting
    // up the colour tables costs more than converting a small picture.
    sws_.reset(sws_getContext(w, h, format, ow, oh, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr,
                              nullptr, nullptr));
    if (!sws_) return Status::Internal("swscale: unsupported pixel format");
    // RGB output is always full range; the input's range is the stream's.
    const int* coefficients = sws_getCoefficients(colorspace);
    sws_setColorspaceDetails(sws_.get(), coefficients, full_range ? 1 : 0, coefficients, 1, 0,
                             1 << 16, 1 << 16);
    sws_key_ = key;
  }
  picture->width = ow;
  picture->height = oh;
  // swscale promises nothing about writes past a packed output's last pixel
  // and its SIMD paths work in blocks; slack costs nothing, and trimming it
  // afterwards does not reallocate.
  const size_t size = size_t(ow) * size_t(oh) * 3;
  picture->bgr.resize(size + kSwsOutputSlack);
  uint8_t* dst[4] = {reinterpret_cast<uint8_t*>(picture->bgr.data()), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {ow * 3, 0, 0, 0};
  const int rows = sws_scale(sws_.get(), frame.data, frame.linesize, 0, h, dst, dst_stride);
  picture->bgr.resize(size);
  if (rows != oh) return Status::Internal("swscale: conversion failed");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::Create(const Track& track,
                                                           const DecodeOptions& options) {
  if (!track.is_video()) {
    return Status::InvalidArgument("cannot decode codec " + track.codec_id + ": not H.264/H.265");
  }
  if (!(options.max_fps >= 0) || !std::isfinite(options.max_fps) || options.max_width < 0 ||
      options.max_height < 0 || options.threads < 0) {
    return Status::InvalidArgument("bad decode options");
  }
  auto decoder = std::make_unique<LibavVideoDecoder>(track.codec, options);
  OSPREY_RETURN_IF_ERROR(decoder->Open(track.codec_private));
  return std::unique_ptr<VideoDecoder>(std::move(decoder));
}

}  // namespace osprey::playback
