// "face": a Haar cascade (Viola-Jones), by default Debian opencv-data's
// frontal face model.
//
// Score: a cascade says yes or no per window; what separates a face from a
// fluke is how many neighbouring windows (positions and scales) said yes. We
// report n / (n + 3) for a box merged from n windows: 0.5 at n = 3, which is
// OpenCV's default minNeighbors, 0.77 at n = 10, 0.91 at n = 30.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "detectors/detector_util.h"

namespace osprey::ml_hooks::detectors {
namespace {

constexpr double kNeighbourHalf = 3.0;

class FaceDetector final : public CvDetector {
 public:
  FaceDetector(const DetectorConfig& config, std::string model)
      : CvDetector(config, "face detector"), model_(std::move(model)) {}

  Status Load(const std::string& path) {
    try {
      if (!cascade_.load(path) || cascade_.empty()) {
        return Status::InvalidArgument("not a usable cascade file: " + path);
      }
    } catch (const cv::Exception& e) {
      return Status::InvalidArgument("cannot load cascade " + path + ": " + e.what());
    }
    return Status::Ok();
  }

 private:
  Result<std::vector<Detection>> DetectIn(const cv::Mat& image) override {
    const Scaled scaled = DownscaleTo(image, config_.max_width);
    cv::Mat grey;
    cv::cvtColor(scaled.image, grey, cv::COLOR_BGR2GRAY);
    // Evens out lighting so one cascade threshold fits dim and bright scenes.
    cv::equalizeHist(grey, grey);
    std::vector<cv::Rect> rects;
    std::vector<int> neighbours;
    // minNeighbors 1 keeps every cluster of two or more windows; min_score
    // then decides, through the mapping above.
    const int min_size = config_.face.min_size;
    cascade_.detectMultiScale(grey, rects, neighbours, config_.face.scale_step, 1, 0,
                              cv::Size(min_size, min_size));
    std::vector<Detection> out;
    for (size_t i = 0; i < rects.size(); ++i) {
      const double n = i < neighbours.size() ? neighbours[i] : 0;
      const double score = n / (n + kNeighbourHalf);
      if (score < config_.min_score) continue;
      Detection d;
      d.label = "face";
      d.detector = "haar";
      d.model = model_;
      d.score = score;
      d.box = ToOriginal(cv::Rect2d(rects[i]), scaled.to_original, image.cols, image.rows);
      out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(),
              [](const Detection& a, const Detection& b) { return a.score > b.score; });
    return out;
  }

  const std::string model_;
  cv::CascadeClassifier cascade_;
};

}  // namespace

Result<std::unique_ptr<Detector>> MakeFaceDetector(const DetectorConfig& config) {
  const FaceOptions& f = config.face;
  if (!(f.scale_step > 1.0 && f.scale_step < 2.0)) {
    return Status::InvalidArgument("face scale_step must be in (1,2)");
  }
  if (f.min_size < 1) return Status::InvalidArgument("face min_size must be >= 1");
  const std::string path =
      f.cascade_path.empty()
          ? std::string(OSPREY_OPENCV_DATA_DIR "/haarcascades/haarcascade_frontalface_default.xml")
          : f.cascade_path;
  OSPREY_RETURN_IF_ERROR(CheckReadable(path, "face cascade"));
  auto detector = std::make_unique<FaceDetector>(
      config, std::filesystem::path(path).filename().string());
  OSPREY_RETURN_IF_ERROR(detector->Load(path));
  return std::unique_ptr<Detector>(std::move(detector));
}

}  // namespace osprey::ml_hooks::detectors
