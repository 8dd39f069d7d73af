#include "osprey/ml_hooks/fragment_frames.h"

#include "osprey/playback/media_fragment.h"
#include "osprey/playback/video_decoder.h"

namespace osprey::ml_hooks {

FragmentFrames::FragmentFrames(FrameSampling sampling) : sampling_(sampling) {}
FragmentFrames::~FragmentFrames() = default;

Status FragmentFrames::Decode(const client::MediaFragment& fragment, std::vector<Frame>* out) {
  OSPREY_ASSIGN_OR_RETURN(playback::DemuxedFragment demuxed,
                          playback::Demux(playback::FragmentBytes{
                              fragment.stream_header, fragment.cluster,
                              fragment.producer_timestamp_ms, 0}));
  const playback::TrackSamples* video = nullptr;
  for (const auto& t : demuxed.tracks) {
    if (t.track.is_video()) {
      video = &t;
      break;
    }
  }
  if (video == nullptr) return Status::Ok();
  if (!decoder_ || codec_private_ != video->track.codec_private) {
    decoder_.reset();
    playback::DecodeOptions options;
    options.keyframes_only = sampling_.keyframes_only;
    options.max_fps = sampling_.max_fps;
    options.max_width = sampling_.max_width;
    OSPREY_ASSIGN_OR_RETURN(decoder_, playback::VideoDecoder::Create(video->track, options));
    codec_private_ = video->track.codec_private;
  }
  std::vector<playback::DecodedPicture> pictures;
  const Status status = decoder_->DecodeFragment(*video, &pictures);
  for (playback::DecodedPicture& p : pictures) {
    Frame frame;
    frame.width = p.width;
    frame.height = p.height;
    frame.bgr = std::move(p.bgr);
    frame.pts_us = p.pts_us;
    frame.key = p.key;
    frame.fragment_number = fragment.fragment_number;
    frame.server_timestamp_ms = fragment.server_timestamp_ms;
    frame.producer_timestamp_ms = fragment.producer_timestamp_ms;
    out->push_back(std::move(frame));
  }
  return status;
}

}  // namespace osprey::ml_hooks
