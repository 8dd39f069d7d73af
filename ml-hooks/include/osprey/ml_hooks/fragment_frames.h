// FragmentFrames: one GetMedia fragment in, decoded frames out, as every
// consumer of ml-hooks needs them (the osprey-ml stream worker, the dataset
// exporter). Demuxes with playback::Demux, decodes the first video track with
// playback::VideoDecoder (rebuilt when the track's codec private data
// changes: a camera restarting with other settings), and stamps each frame
// with its fragment's number and timestamps.
//
// Threading: one instance per thread (it owns a decoder).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "osprey/base/status.h"
#include "osprey/client/get_media_reader.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::playback {
class VideoDecoder;
}

namespace osprey::ml_hooks {

struct FrameSampling {
  double max_fps = 0;           // 0: every frame
  bool keyframes_only = false;  // decode key frames alone (cheap scan)
  int max_width = 0;            // scale down wider frames (0: native)
};

class FragmentFrames {
 public:
  explicit FragmentFrames(FrameSampling sampling);
  ~FragmentFrames();

  // Appends the fragment's selected frames to `out`. A fragment without a
  // video track yields none and OK. Demux or decode errors are returned, and
  // the frames decoded before the damage are still appended.
  Status Decode(const client::MediaFragment& fragment, std::vector<Frame>* out);

 private:
  FrameSampling sampling_;
  std::unique_ptr<playback::VideoDecoder> decoder_;
  std::string codec_private_;  // of the track the decoder was made for
};

}  // namespace osprey::ml_hooks
