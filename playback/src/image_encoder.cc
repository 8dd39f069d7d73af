// JPEG and PNG stills of decoded pictures with libavcodec's mjpeg and png
// encoders (video_decoder.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "av_helpers.h"
#include "osprey/playback/video_decoder.h"

namespace osprey::playback {
namespace {

// JPEG's own limit is 65535; this also keeps width * 3 far from overflow.
constexpr int kMaxDimension = 16384;

Status CheckPicture(const DecodedPicture& p) {
  if (p.width <= 0 || p.height <= 0 || p.width > kMaxDimension || p.height > kMaxDimension) {
    return Status::InvalidArgument("picture size out of range");
  }
  if (p.bgr.size() != size_t(p.width) * size_t(p.height) * 3) {
    return Status::InvalidArgument("picture bytes do not match width x height x 3");
  }
  return Status::Ok();
}

Result<std::unique_ptr<AVFrame, av::FrameDeleter>> NewFrame(AVPixelFormat format, int w, int h) {
  std::unique_ptr<AVFrame, av::FrameDeleter> frame(av_frame_alloc());
  if (!frame) return Status::ResourceExhausted("encoder: out of memory");
  frame->format = format;
  frame->width = w;
  frame->height = h;
  if (av_frame_get_buffer(frame.get(), 0) < 0) {
    return Status::ResourceExhausted("encoder: out of memory");
  }
  return frame;
}

// Opens `codec_id` for one w x h picture, sends it and collects the output.
// `setup` sets what differs between the encoders before opening.
template <typename Setup>
Result<std::string> EncodeOne(AVCodecID codec_id, const char* name, AVFrame* frame, Setup setup) {
  const AVCodec* codec = avcodec_find_encoder(codec_id);
  if (codec == nullptr) return Status::Unavailable(std::string("libavcodec has no ") + name);
  std::unique_ptr<AVCodecContext, av::CodecContextDeleter> ctx(avcodec_alloc_context3(codec));
  std::unique_ptr<AVPacket, av::PacketDeleter> packet(av_packet_alloc());
  if (!ctx || !packet) return Status::ResourceExhausted("encoder: out of memory");
  ctx->width = frame->width;
  ctx->height = frame->height;
  ctx->pix_fmt = AVPixelFormat(frame->format);
  ctx->time_base = AVRational{1, 25};  // required, meaningless for a still
  setup(ctx.get());
  int err = avcodec_open2(ctx.get(), codec, nullptr);
  if (err < 0) return Status::Internal(std::string(name) + " open: " + av::ErrorString(err));
  frame->pts = 0;
  err = avcodec_send_frame(ctx.get(), frame);
  if (err >= 0) err = avcodec_send_frame(ctx.get(), nullptr);
  if (err < 0) return Status::Internal(std::string(name) + " encode: " + av::ErrorString(err));
  std::string out;
  while ((err = avcodec_receive_packet(ctx.get(), packet.get())) >= 0) {
    out.append(reinterpret_cast<const char*>(packet->data), size_t(packet->size));
    av_packet_unref(packet.get());
  }
  if (err != AVERROR_EOF) {
    return Status::Internal(std::string(name) + " encode: " + av::ErrorString(err));
  }
  if (out.empty()) return Status::Internal(std::string(name) + " produced nothing");
  return out;
}

}  // namespace

Result<DecodedPicture> ScalePicture(const DecodedPicture& picture, int width, int height) {
  OSPREY_RETURN_IF_ERROR(CheckPicture(picture));
  if (width <= 0 || height <= 0 || width > kMaxDimension || height > kMaxDimension) {
    return Status::InvalidArgument("target size out of range");
  }
  if (width == picture.width && height == picture.height) return picture;
  std::unique_ptr<SwsContext, av::SwsDeleter> sws(
      sws_getContext(picture.width, picture.height, AV_PIX_FMT_BGR24, width, height,
                     AV_PIX_FMT_BGR24, SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr,
                     nullptr));
  if (!sws) return Status::Internal("swscale: cannot scale BGR");
  DecodedPicture out;
  out.width = width;
  out.height = height;
  out.pts_us = picture.pts_us;
  out.key = picture.key;
  out.bgr.resize(size_t(width) * size_t(height) * 3);
  const uint8_t* src[4] = {reinterpret_cast<const uint8_t*>(picture.bgr.data()), nullptr,
                           nullptr, nullptr};
  const int src_stride[4] = {picture.width * 3, 0, 0, 0};
  uint8_t* dst[4] = {reinterpret_cast<uint8_t*>(out.bgr.data()), nullptr, nullptr, nullptr};
  const int dst_stride[4] = {width * 3, 0, 0, 0};
  if (sws_scale(sws.get(), src, src_stride, 0, picture.height, dst, dst_stride) != height) {
    return Status::Internal("swscale: scaling failed");
  }
  return out;
}

Result<std::string> EncodeJpeg(const DecodedPicture& picture, int quality) {
  OSPREY_RETURN_IF_ERROR(CheckPicture(picture));
  const int w = picture.width, h = picture.height;
  OSPREY_ASSIGN_OR_RETURN(auto frame, NewFrame(AV_PIX_FMT_YUV420P, w, h));
  // SWS_ACCURATE_RND also keeps swscale off its fast BGR24 -> YUV420P path,
  // which ignores the range set below and would write video range.
  std::unique_ptr<SwsContext, av::SwsDeleter> sws(
      sws_getContext(w, h, AV_PIX_FMT_BGR24, w, h, AV_PIX_FMT_YUV420P,
                     SWS_BILINEAR | SWS_ACCURATE_RND, nullptr, nullptr, nullptr));
  if (!sws) return Status::Internal("swscale: cannot convert BGR to YUV");
  // JFIF means BT.601 coefficients over the full 0..255 range.
  const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(sws.get(), bt601, 1, bt601, 1, 0, 1 << 16, 1 << 16);
  const uint8_t* src[4] = {reinterpret_cast<const uint8_t*>(picture.bgr.data()), nullptr, nullptr,
                           nullptr};
  const int src_stride[4] = {w * 3, 0, 0, 0};
  if (sws_scale(sws.get(), src, src_stride, 0, h, frame->data, frame->linesize) != h) {
    return Status::Internal("swscale: conversion failed");
  }
  // mjpeg's quantiser scale runs from 2 (best) to 31; map 100..1 onto it.
  const int q = 31 - int(std::lround((std::clamp(quality, 1, 100) - 1) * 29.0 / 99.0));
  frame->quality = q * FF_QP2LAMBDA;
  return EncodeOne(AV_CODEC_ID_MJPEG, "mjpeg", frame.get(), [q](AVCodecContext* ctx) {
    ctx->color_range = AVCOL_RANGE_JPEG;
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = q * FF_QP2LAMBDA;
  });
}

Result<std::string> EncodePng(const DecodedPicture& picture) {
  OSPREY_RETURN_IF_ERROR(CheckPicture(picture));
  const int w = picture.width, h = picture.height;
  OSPREY_ASSIGN_OR_RETURN(auto frame, NewFrame(AV_PIX_FMT_RGB24, w, h));
  // PNG stores RGB: swapping two bytes per pixel is exact, no swscale needed.
  for (int y = 0; y < h; ++y) {
    const char* src = picture.bgr.data() + size_t(y) * size_t(w) * 3;
    uint8_t* dst = frame->data[0] + size_t(y) * size_t(frame->linesize[0]);
    for (int x = 0; x < w; ++x) {
      dst[3 * x] = uint8_t(src[3 * x + 2]);
      dst[3 * x + 1] = uint8_t(src[3 * x + 1]);
      dst[3 * x + 2] = uint8_t(src[3 * x]);
    }
  }
  return EncodeOne(AV_CODEC_ID_PNG, "png", frame.get(), [](AVCodecContext*) {});
}

}  // namespace osprey::playback
