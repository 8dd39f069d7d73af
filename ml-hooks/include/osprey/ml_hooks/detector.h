// Detector: finds objects in one decoded frame. Four kinds, chosen by
// DetectorConfig::type:
//   "motion"  MOG2 background subtraction; boxes around moving regions
//   "person"  HOG + the default linear SVM people detector
//   "face"    Haar cascade (Debian's opencv-data frontal face by default)
//   "dnn"     an ONNX (YOLOv5/v8-style) or Caffe (SSD) model (OpenCV dnn)
// OpenCV stays behind this header: frames and detections are the plain types
// of frame.h.
//
// Boxes are in the pixels of the frame passed to Detect(), even when the
// detector works on a downscaled copy (max_width), clipped to the frame.
//
// Scores are in [0,1]; detections scoring below min_score are dropped, not
// returned: min_score is the floor of what a consumer may want. One that
// keeps uncertain detections for hard-negative review (the dataset export)
// sets min_score to its review floor and applies its own threshold. The
// "motion" score is always 1. Per kind:
//   person: score = 1 / (1 + exp(-2 * w)), w the SVM margin of the grouped
//           window, so min_score 0.5 is OpenCV's default hit threshold 0.
//   face:   score = n / (n + 3), n the raw windows merged into the box, so
//           min_score 0.5 is OpenCV's default minNeighbors 3 (and no score
//           is under 0.4: a single window is never reported).
//   dnn:    the model's confidence (YOLOv5: objectness * class score).
//
// Thread safety: a Detector is not thread-safe (the motion detector keeps a
// background model, and OpenCV's HOG, cascade and net objects hold scratch
// buffers): use one Detector per stream and thread. Distinct Detectors may
// run on distinct threads.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {

struct MotionOptions {
  int history = 500;            // frames of the MOG2 model (learning rate 1/history)
  double var_threshold = 16;    // squared Mahalanobis distance for "foreground"
  bool detect_shadows = false;  // true: MOG2 marks shadows, which are then ignored
  double min_area = 0.001;      // smallest region, as a fraction of the frame area
  // Frames that only train the model (Detect returns none) after the first
  // frame and after a change of resolution; they learn faster than later
  // frames so the model settles quickly.
  int warmup_frames = 30;
  std::vector<Polygon> masks;   // ignored regions, normalised coordinates
};

struct PeopleOptions {
  double scale_step = 1.05;  // pyramid scale between levels
  int win_stride = 8;        // pixels between windows (a multiple of 8)
  // Enlarge the frame before detecting: the detector's window is 64x128 and
  // finds people about 100 px tall or more; 1.5 finds ~65 px people (slower).
  double upscale = 1.0;
};

struct FaceOptions {
  // Empty: OSPREY_OPENCV_DATA_DIR "/haarcascades/haarcascade_frontalface_default.xml".
  std::string cascade_path;
  double scale_step = 1.1;
  int min_size = 24;  // smallest face side in pixels of the detector's image
};

struct DnnOptions {
  std::string model_path;    // .onnx, or .caffemodel with config_path
  std::string config_path;   // .prototxt for Caffe; empty for ONNX
  std::string classes_path;  // one class name per line; empty: labels "class_<id>"
  std::string layout = "yolo";  // "yolo" (rows cx,cy,w,h,[obj],scores) or "ssd" (1x1xNx7)
  int input_width = 640;
  int input_height = 640;
  double scale = 1.0 / 255;  // pixel multiplier after mean subtraction
  std::array<double, 3> mean{0, 0, 0};  // subtracted per channel, in the blob's order
  bool swap_rb = true;       // feed RGB (most ONNX exports) rather than BGR
  bool letterbox = true;     // keep the aspect ratio, pad; false stretches (SSD)
  double nms_threshold = 0.45;  // IoU above which the lower-scored box of a class goes
  // Class id of the first line of the classes file; -1 picks 1 for "ssd"
  // (id 0 is the background) and 0 for "yolo". Ids below it are dropped.
  int class_id_offset = -1;
  std::vector<std::string> labels;  // keep only these labels; empty keeps all
};

struct DetectorConfig {
  std::string type;       // "motion", "person", "face", "dnn"
  double min_score = 0.5;  // see the score mappings above
  // Downscale frames wider than this before detecting; 0 picks the kind's
  // default (motion 640, the others the full frame). Boxes are still
  // returned in the original frame's pixels.
  int max_width = 0;
  MotionOptions motion;
  PeopleOptions people;
  FaceOptions face;
  DnnOptions dnn;
};

class Detector {
 public:
  virtual ~Detector() = default;

  // Detections in `frame`, highest score first (motion: largest first).
  // InvalidArgument when the frame is empty or bgr.size() != width * height
  // * 3, or when a dnn model's output fits no layout; Internal when OpenCV
  // fails. `frame` is only read during the call.
  virtual Result<std::vector<Detection>> Detect(const Frame& frame) = 0;

  virtual const DetectorConfig& config() const = 0;
};

// Builds the detector of config.type, loading its files now so a bad path
// fails here rather than on the first frame. InvalidArgument for an unknown
// type or an out-of-range option; NotFound, naming the path, for a missing
// cascade, model, config or classes file.
Result<std::unique_ptr<Detector>> MakeDetector(const DetectorConfig& config);

}  // namespace osprey::ml_hooks
