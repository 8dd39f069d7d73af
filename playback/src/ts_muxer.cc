// MPEG-TS through libavformat into a memory AVIOContext (ts_segment.h).
#include <algorithm>
#include <cstring>
#include <limits>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include "osprey/playback/ts_segment.h"

namespace osprey::playback {
namespace {

constexpr int kIoBufferSize = 64 * 1024;

std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

int WriteToString(void* opaque, uint8_t* data, int size) {
  static_cast<std::string*>(opaque)->append(reinterpret_cast<const char*>(data), size_t(size));
  return size;
}

// Owns the muxer context and its AVIOContext, freed in every return path.
class TsMuxer {
 public:
  ~TsMuxer() {
    if (ctx_ != nullptr) avformat_free_context(ctx_);
    if (io_ != nullptr) {
      av_freep(&io_->buffer);
      avio_context_free(&io_);
    }
    av_packet_free(&packet_);
  }

  Status Open(std::string* out) {
    int err = avformat_alloc_output_context2(&ctx_, nullptr, "mpegts", nullptr);
    if (err < 0) return Status::Internal("mpegts muxer: " + AvError(err));
    auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferSize));
    if (buffer == nullptr) return Status::ResourceExhausted("mpegts: out of memory");
    io_ = avio_alloc_context(buffer, kIoBufferSize, 1, out, nullptr, WriteToString, nullptr);
    if (io_ == nullptr) {
      av_free(buffer);
      return Status::ResourceExhausted("mpegts: out of memory");
    }
    ctx_->pb = io_;
    ctx_->flags |= AVFMT_FLAG_CUSTOM_IO;
    packet_ = av_packet_alloc();
    if (packet_ == nullptr) return Status::ResourceExhausted("mpegts: out of memory");
    return Status::Ok();
  }

  Status AddStream(const Track& t) {
    AVStream* st = avformat_new_stream(ctx_, nullptr);
    if (st == nullptr) return Status::ResourceExhausted("mpegts: out of memory");
    AVCodecParameters* par = st->codecpar;
    switch (t.codec) {
      case Codec::kH264:
      case Codec::kH265:
        par->codec_type = AVMEDIA_TYPE_VIDEO;
        par->codec_id = t.codec == Codec::kH264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_HEVC;
        par->width = int(t.width);
        par->height = int(t.height);
        break;
      case Codec::kAac:
        par->codec_type = AVMEDIA_TYPE_AUDIO;
        par->codec_id = AV_CODEC_ID_AAC;
        par->sample_rate = int(t.sample_rate);
        av_channel_layout_default(&par->ch_layout, t.channels ? int(t.channels) : 2);
        break;
      case Codec::kOpus:
      case Codec::kUnsupported:
        return Status::InvalidArgument("unsupported codec " + t.codec_id);
    }
    if (!t.codec_private.empty()) {
      par->extradata = static_cast<uint8_t*>(
          av_mallocz(t.codec_private.size() + AV_INPUT_BUFFER_PADDING_SIZE));
      if (par->extradata == nullptr) return Status::ResourceExhausted("mpegts: out of memory");
      std::memcpy(par->extradata, t.codec_private.data(), t.codec_private.size());
      par->extradata_size = int(t.codec_private.size());
    }
    st->time_base = AVRational{1, 1'000'000};
    return Status::Ok();
  }

  Status WriteHeader() {
    AVDictionary* options = nullptr;
    av_dict_set(&options, "mpegts_copyts", "1", 0);
    const int err = avformat_write_header(ctx_, &options);
    av_dict_free(&options);
    if (err < 0) return Status::Internal("mpegts header: " + AvError(err));
    return Status::Ok();
  }

  // Times in microseconds; rescaled to the stream's time base (90 kHz).
  Status WritePacket(int stream, const Sample& s, int64_t dts_us) {
    av_packet_unref(packet_);
    if (av_new_packet(packet_, int(s.data.size())) < 0) {
      return Status::ResourceExhausted("mpegts: out of memory");
    }
    std::memcpy(packet_->data, s.data.data(), s.data.size());
    packet_->stream_index = stream;
    packet_->pts = s.pts_us;
    packet_->dts = dts_us;
    packet_->duration = s.duration_us;
    if (s.sync) packet_->flags |= AV_PKT_FLAG_KEY;
    av_packet_rescale_ts(packet_, AVRational{1, 1'000'000}, ctx_->streams[stream]->time_base);
    const int err = av_interleaved_write_frame(ctx_, packet_);
    if (err < 0) return Status::Internal("mpegts packet: " + AvError(err));
    return Status::Ok();
  }

  Status Finish() {
    const int err = av_write_trailer(ctx_);
    if (err < 0) return Status::Internal("mpegts trailer: " + AvError(err));
    avio_flush(io_);
    return Status::Ok();
  }

 private:
  AVFormatContext* ctx_ = nullptr;
  AVIOContext* io_ = nullptr;
  AVPacket* packet_ = nullptr;
};

struct Pending {
  int stream;
  const Sample* sample;
  int64_t dts_us;
};

}  // namespace

bool TsCarries(const Track& track) { return track.is_video() || track.codec == Codec::kAac; }

Result<std::string> BuildTsSegment(const DemuxedFragment& fragment) {
  std::string out;
  TsMuxer muxer;
  OSPREY_RETURN_IF_ERROR(muxer.Open(&out));
  std::vector<Pending> packets;
  int stream = 0;
  for (const TrackSamples& ts : fragment.tracks) {
    if (!TsCarries(ts.track) || ts.samples.empty()) continue;
    OSPREY_RETURN_IF_ERROR(muxer.AddStream(ts.track));
    int64_t delay = 0;
    for (const Sample& s : ts.samples) delay = std::max(delay, s.dts_us - s.pts_us);
    for (const Sample& s : ts.samples) packets.push_back(Pending{stream, &s, s.dts_us - delay});
    ++stream;
  }
  if (stream == 0) return Status::InvalidArgument("fragment has no supported track with samples");
  std::stable_sort(packets.begin(), packets.end(),
                   [](const Pending& a, const Pending& b) { return a.dts_us < b.dts_us; });
  OSPREY_RETURN_IF_ERROR(muxer.WriteHeader());
  for (const Pending& p : packets) {
    OSPREY_RETURN_IF_ERROR(muxer.WritePacket(p.stream, *p.sample, p.dts_us));
  }
  OSPREY_RETURN_IF_ERROR(muxer.Finish());
  return out;
}

}  // namespace osprey::playback
