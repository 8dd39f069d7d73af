// ml_detectors_bench: what one core pays per camera in osprey-ml (issue
// "ML hooks"): H.264 decode through ml_hooks::FragmentFrames, and each
// detector through ml_hooks::Detector, next to the same OpenCV calls made
// directly (the peer: what the wrapper costs on top of OpenCV).
//
//   ml_detectors_bench --clip NAME=PATH.mkv [--clip ...] [--heavy-every 10]
//
// Each clip is a Matroska file whose Clusters each start with an IDR (one
// Cluster = one fragment; bench/ml_detectors.sh makes them with ffmpeg).
// Prints one JSON object per line (decode, detect, gate); the script turns
// them into tables.
//
// Single thread by construction: OpenCV's thread pool is switched off and
// libavcodec runs one thread (DecodeOptions default), so the calling
// thread's CPU time (CLOCK_THREAD_CPUTIME_ID) is the whole cost; the
// process CPU time is printed too, as a check that nothing ran elsewhere.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/video/background_segm.hpp>

#include "osprey/client/get_media_reader.h"
#include "osprey/fragments/mkv_parser.h"
#include "osprey/ml_hooks/detector.h"
#include "osprey/ml_hooks/fragment_frames.h"

namespace {

using namespace osprey;  // NOLINT
namespace ml = osprey::ml_hooks;

double Now(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// CPU (this thread and whole process) and wall time of a span of work.
struct Span {
  double thread0 = Now(CLOCK_THREAD_CPUTIME_ID);
  double process0 = Now(CLOCK_PROCESS_CPUTIME_ID);
  double wall0 = Now(CLOCK_MONOTONIC);
};

struct Totals {
  double thread_s = 0, process_s = 0, wall_s = 0;
  std::vector<double> per_call_ms;  // thread CPU per call
  void Add(const Span& s) {
    const double t = Now(CLOCK_THREAD_CPUTIME_ID) - s.thread0;
    thread_s += t;
    process_s += Now(CLOCK_PROCESS_CPUTIME_ID) - s.process0;
    wall_s += Now(CLOCK_MONOTONIC) - s.wall0;
    per_call_ms.push_back(t * 1e3);
  }
  double MedianMs() const {
    if (per_call_ms.empty()) return 0;
    std::vector<double> v = per_call_ms;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  }
};

// A clip cut into fragments the way the store keeps them: the raw Info and
// Tracks elements, and one Cluster's bytes per fragment.
struct Clip {
  std::string name;
  std::string stream_header;
  std::vector<client::MediaFragment> fragments;
  uint64_t video_frames = 0;
  double seconds = 0;
};

class ClipSplitter final : public fragments::MkvHandler {
 public:
  explicit ClipSplitter(const std::string& bytes) : bytes_(bytes) {}
  Status OnInfo(const fragments::SegmentInfo&, std::span<const uint8_t> raw) override {
    info_.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnTracks(const std::vector<fragments::TrackEntry>&, std::span<const uint8_t> raw) override {
    tracks_.assign(reinterpret_cast<const char*>(raw.data()), raw.size());
    return Status::Ok();
  }
  Status OnClusterStart(const fragments::ClusterStart& c) override {
    timecode_ = c.timecode;
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame& f) override {
    last_timecode_ = std::max<int64_t>(last_timecode_, f.timecode);
    return Status::Ok();
  }
  Status OnClusterEnd(const fragments::ClusterEnd& c) override {
    client::MediaFragment f;
    // A fixed epoch base: the decoder's max_fps schedule runs on these times.
    f.producer_timestamp_ms = 1'700'000'000'000 + static_cast<int64_t>(timecode_);
    f.server_timestamp_ms = f.producer_timestamp_ms;
    f.fragment_number = std::to_string(clusters_.size());
    f.cluster = bytes_.substr(c.offset, c.end_offset - c.offset);
    clusters_.push_back(std::move(f));
    frames_ += c.frame_count;
    return Status::Ok();
  }

  std::string info_, tracks_;
  std::vector<client::MediaFragment> clusters_;
  uint64_t frames_ = 0;
  uint64_t timecode_ = 0;
  int64_t last_timecode_ = 0;

 private:
  const std::string& bytes_;
};

Clip LoadClip(const std::string& name, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  ClipSplitter splitter(bytes);
  fragments::MkvParser parser(&splitter);
  Status s = parser.Feed(std::string_view(bytes));
  if (s.ok()) s = parser.Finish();
  if (!s.ok() || splitter.clusters_.empty()) {
    std::fprintf(stderr, "ml_detectors_bench: %s: %s\n", path.c_str(),
                 s.ok() ? "no clusters" : s.ToString().c_str());
    std::exit(1);
  }
  Clip clip;
  clip.name = name;
  clip.stream_header = splitter.info_ + splitter.tracks_;
  clip.fragments = std::move(splitter.clusters_);
  for (auto& f : clip.fragments) f.stream_header = clip.stream_header;
  clip.video_frames = splitter.frames_;
  // Timecode scale is 1 ms in ffmpeg's Matroska output.
  clip.seconds = splitter.last_timecode_ / 1e3;
  return clip;
}

// Decodes the whole clip; every fragment is timed as one call. Frames are
// kept only when `keep`: holding hundreds of MB of pictures would add page
// faults of fresh memory to the timed decode, which osprey-ml (one
// fragment's frames at a time) does not pay.
std::vector<ml::Frame> DecodeClip(const Clip& clip, double max_fps, Totals* totals, bool keep) {
  ml::FrameSampling sampling;
  sampling.max_fps = max_fps;
  ml::FragmentFrames decoder(sampling);
  std::vector<ml::Frame> out;
  for (const client::MediaFragment& f : clip.fragments) {
    std::vector<ml::Frame> frames;
    Span span;
    Status s = decoder.Decode(f, &frames);
    totals->Add(span);
    if (!s.ok()) std::fprintf(stderr, "decode %s: %s\n", f.fragment_number.c_str(), s.ToString().c_str());
    if (keep) for (auto& fr : frames) out.push_back(std::move(fr));
  }
  return out;
}

cv::Mat Wrap(const ml::Frame& f) {
  return cv::Mat(f.height, f.width, CV_8UC3, const_cast<char*>(f.bgr.data()));
}

// The peers: the OpenCV calls each Osprey detector makes, with the same
// parameters (ml-hooks/src/detectors/), minus the Frame checks, exception
// mapping, score mapping, NMS and Detection structs.
class PeerMotion {
 public:
  size_t Run(const cv::Mat& image) {
    cv::Mat small = image;
    if (image.cols > 640) {
      cv::resize(image, small, cv::Size(640, image.rows * 640 / image.cols), 0, 0, cv::INTER_AREA);
    }
    if (!model_) {
      model_ = cv::createBackgroundSubtractorMOG2(500, 16, false);
      const int open = std::max(3, (small.cols / 213) | 1);
      const int close = std::max(5, (small.cols / 64) | 1);
      open_ = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(open, open));
      close_ = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(close, close));
    }
    cv::Mat fg;
    const bool warming = seen_++ < 30;
    model_->apply(small, fg, warming ? -1.0 : 1.0 / 500);
    if (warming) return 0;
    cv::threshold(fg, fg, 200, 255, cv::THRESH_BINARY);
    cv::morphologyEx(fg, fg, cv::MORPH_OPEN, open_);
    cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, close_);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(fg, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    size_t n = 0;
    for (const auto& c : contours) n += cv::contourArea(c) >= 0.001 * small.cols * small.rows;
    return n;
  }

 private:
  cv::Ptr<cv::BackgroundSubtractorMOG2> model_;
  cv::Mat open_, close_;
  int seen_ = 0;
};

class PeerPerson {
 public:
  PeerPerson() { hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector()); }
  size_t Run(const cv::Mat& image) {
    std::vector<cv::Rect> rects;
    std::vector<double> weights;
    hog_.detectMultiScale(image, rects, weights, 0, cv::Size(8, 8), cv::Size(16, 16), 1.05, 2);
    return rects.size();
  }

 private:
  cv::HOGDescriptor hog_;
};

class PeerFace {
 public:
  PeerFace() {
    ok_ = cascade_.load("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml");
  }
  size_t Run(const cv::Mat& image) {
    cv::Mat grey;
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    cv::equalizeHist(grey, grey);
    std::vector<cv::Rect> rects;
    std::vector<int> neighbours;
    cascade_.detectMultiScale(grey, rects, neighbours, 1.1, 1, 0, cv::Size(24, 24));
    size_t n = 0;
    for (int k : neighbours) n += k >= 3;  // min_score 0.5 = 3 windows
    return n;
  }
  bool ok_ = false;

 private:
  cv::CascadeClassifier cascade_;
};

void PrintTotals(const char* kind, const std::string& clip, const std::string& what,
                 const std::string& impl, size_t frames, const Totals& t, const std::string& extra) {
  std::printf(
      "{\"kind\":\"%s\",\"clip\":\"%s\",\"what\":\"%s\",\"impl\":\"%s\",\"frames\":%zu,"
      "\"thread_cpu_s\":%.4f,\"process_cpu_s\":%.4f,\"wall_s\":%.4f,\"calls\":%zu,"
      "\"median_call_ms\":%.3f%s}\n",
      kind, clip.c_str(), what.c_str(), impl.c_str(), frames, t.thread_s, t.process_s, t.wall_s,
      t.per_call_ms.size(), t.MedianMs(), extra.c_str());
  std::fflush(stdout);
}

void BenchClip(const Clip& clip, int heavy_every) {
  const std::string clip_info = ",\"fragments\":" + std::to_string(clip.fragments.size()) +
                                ",\"video_frames\":" + std::to_string(clip.video_frames) +
                                ",\"seconds\":" + std::to_string(clip.seconds);
  // Decode: every picture converted to BGR, and the osprey-ml default of
  // 5 fps (all pictures still decoded, 5 per second converted).
  Totals all, five, untimed;
  (void)DecodeClip(clip, 0, &all, false);
  PrintTotals("decode", clip.name, "every frame", "FragmentFrames", clip.video_frames, all,
              clip_info);
  (void)DecodeClip(clip, 5, &five, false);
  // The detectors' input: the same 5 fps frames, decoded once more untimed.
  std::vector<ml::Frame> frames = DecodeClip(clip, 5, &untimed, true);
  PrintTotals("decode", clip.name, "5 fps", "FragmentFrames", clip.video_frames, five,
              clip_info + ",\"converted\":" + std::to_string(frames.size()) +
                  ",\"width\":" + std::to_string(frames.empty() ? 0 : frames[0].width) +
                  ",\"height\":" + std::to_string(frames.empty() ? 0 : frames[0].height));

  // Motion on every 5 fps frame, as osprey-ml runs it; wrapper and peer
  // interleaved so a change of machine load hits both.
  {
    ml::DetectorConfig config;
    config.type = "motion";
    auto detector = ml::MakeDetector(config);
    PeerMotion peer;
    Totals ours, theirs;
    size_t fired = 0, after_warmup = 0, gated_open = 0, disagree = 0;
    int64_t last_motion_us = INT64_MIN / 2;
    for (size_t i = 0; i < frames.size(); ++i) {
      Span a;
      auto found = (*detector)->Detect(frames[i]);
      ours.Add(a);
      Span b;
      const size_t peer_boxes = peer.Run(Wrap(frames[i]));
      theirs.Add(b);
      // Same calls, same parameters: the box counts must match.
      disagree += !found.ok() || found->size() != peer_boxes;
      if (i < 30) continue;  // warm-up frames never report motion
      ++after_warmup;
      const int64_t t = frames[i].pts_us;
      if (found.ok() && !found->empty()) {
        ++fired;
        last_motion_us = t;
      }
      // StreamWorker's gate: costly detectors run within 2 s of motion.
      gated_open += t - last_motion_us <= 2'000'000;
    }
    PrintTotals("detect", clip.name, "motion", "osprey", frames.size(), ours, "");
    PrintTotals("detect", clip.name, "motion", "opencv", frames.size(), theirs, "");
    std::printf("{\"kind\":\"gate\",\"clip\":\"%s\",\"frames\":%zu,\"motion_fired\":%zu,"
                "\"gate_open_2s\":%zu,\"motion_frames_disagreeing_with_peer\":%zu}\n",
                clip.name.c_str(), after_warmup, fired, gated_open, disagree);
  }
  // Person and face: every heavy_every-th 5 fps frame (spread over the
  // clip; their cost depends on the image size far more than on content).
  for (const std::string type : {"person", "face"}) {
    ml::DetectorConfig config;
    config.type = type;
    auto detector = ml::MakeDetector(config);
    if (!detector.ok()) {
      std::fprintf(stderr, "%s: %s\n", type.c_str(), detector.status().ToString().c_str());
      continue;
    }
    PeerPerson person;
    PeerFace face;
    Totals ours, theirs;
    size_t n = 0, found_ours = 0, found_theirs = 0;
    for (size_t i = 0; i < frames.size(); i += heavy_every) {
      Span a;
      auto found = (*detector)->Detect(frames[i]);
      ours.Add(a);
      Span b;
      found_theirs += type == "person" ? person.Run(Wrap(frames[i])) : face.Run(Wrap(frames[i]));
      theirs.Add(b);
      if (found.ok()) found_ours += found->size();
      ++n;
    }
    PrintTotals("detect", clip.name, type, "osprey", n, ours,
                ",\"detections\":" + std::to_string(found_ours));
    PrintTotals("detect", clip.name, type, "opencv", n, theirs,
                ",\"detections\":" + std::to_string(found_theirs));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> clips;
  int heavy_every = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--clip" && value.find('=') != std::string::npos) {
      clips.emplace_back(value.substr(0, value.find('=')), value.substr(value.find('=') + 1));
    } else if (flag == "--heavy-every") {
      heavy_every = std::max(1, std::atoi(value.c_str()));
    } else {
      std::fprintf(stderr, "usage: ml_detectors_bench --clip NAME=PATH.mkv ... [--heavy-every N]\n");
      return 2;
    }
  }
  if (clips.empty()) {
    std::fprintf(stderr, "usage: ml_detectors_bench --clip NAME=PATH.mkv ... [--heavy-every N]\n");
    return 2;
  }
  // One core: OpenCV's parallel_for_ would otherwise spread HOG and the
  // cascade over the pool, and thread CPU time would miss that work.
  cv::setNumThreads(0);
  for (const auto& [name, path] : clips) BenchClip(LoadClip(name, path), heavy_every);
  return 0;
}
