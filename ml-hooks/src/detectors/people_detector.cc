// "person": OpenCV's HOG descriptor with its built-in linear SVM for
// pedestrians (Dalal-Triggs, 64x128 window).
//
// Score: the SVM returns a margin w per window (0 is the decision boundary,
// confident hits are around 1 to 3). We report 1 / (1 + exp(-2w)): monotonic,
// 0.5 at the boundary, 0.88 at w = 1, 0.98 at w = 2. The inverse gives the
// hit threshold handed to OpenCV, so min_score filters before grouping and
// the cost of weak windows is not paid twice.
#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "detectors/detector_util.h"
#include "detectors/dnn_decode.h"

namespace osprey::ml_hooks::detectors {
namespace {

constexpr double kScoreSlope = 2.0;
// Windows of one person overlap heavily; grouping leaves some nested or
// side-by-side duplicates, which this IoU removes.
constexpr double kDuplicateIoU = 0.4;
// At least this many raw windows must agree before a box is reported:
// OpenCV's default, which keeps single-window flukes out.
constexpr int kGroupThreshold = 2;

// A window at a coarser pyramid level often frames a person already found at
// a finer one, with room to spare (IoU ~0.3, below any NMS threshold).
// Such a box is dropped when this share of the better box lies inside it.
constexpr double kNestedShare = 0.8;

double MarginToScore(double w) { return 1.0 / (1.0 + std::exp(-kScoreSlope * w)); }

double ScoreToMargin(double s) {
  s = std::clamp(s, 1e-6, 1 - 1e-6);
  return std::log(s / (1 - s)) / kScoreSlope;
}

class PeopleDetector final : public CvDetector {
 public:
  explicit PeopleDetector(const DetectorConfig& config) : CvDetector(config, "person detector") {
    hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  }

 private:
  Result<std::vector<Detection>> DetectIn(const cv::Mat& image) override {
    Scaled scaled = DownscaleTo(image, config_.max_width);
    const double up = config_.people.upscale;
    if (up != 1.0) {
      cv::Mat resized;
      cv::resize(scaled.image, resized, cv::Size(), up, up, up > 1 ? cv::INTER_LINEAR
                                                                    : cv::INTER_AREA);
      scaled.image = resized;
      scaled.to_original /= up;
    }
    // HOG on colour takes the strongest channel gradient per pixel, which
    // separates dark clothes from grass better than grey does.
    std::vector<cv::Rect> rects;
    std::vector<double> weights;
    const int stride = config_.people.win_stride;
    hog_.detectMultiScale(scaled.image, rects, weights, ScoreToMargin(config_.min_score),
                          cv::Size(stride, stride), cv::Size(16, 16),
                          config_.people.scale_step, kGroupThreshold);
    std::vector<Detection> out;
    for (size_t i = 0; i < rects.size(); ++i) {
      const double score = i < weights.size() ? MarginToScore(weights[i]) : 0.5;
      if (score < config_.min_score) continue;
      Detection d;
      d.label = "person";
      d.detector = "hog";
      d.score = score;
      d.box = ToOriginal(cv::Rect2d(rects[i]), scaled.to_original, image.cols, image.rows);
      if (d.box.Area() <= 0) continue;
      out.push_back(std::move(d));
    }
    return DropNested(NonMaxSuppression(std::move(out), kDuplicateIoU));
  }

  // `sorted` is best first, so each box only needs checking against the
  // boxes kept before it.
  static std::vector<Detection> DropNested(std::vector<Detection> sorted) {
    std::vector<Detection> kept;
    for (Detection& d : sorted) {
      const bool nests_better = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
        const double w = std::min(k.box.x + k.box.w, d.box.x + d.box.w) -
                         std::max(k.box.x, d.box.x);
        const double h = std::min(k.box.y + k.box.h, d.box.y + d.box.h) -
                         std::max(k.box.y, d.box.y);
        const double area = w > 0 && h > 0 ? w * h : 0;
        return area >= kNestedShare * k.box.Area();
      });
      if (!nests_better) kept.push_back(std::move(d));
    }
    return kept;
  }

  cv::HOGDescriptor hog_;
};

}  // namespace

Result<std::unique_ptr<Detector>> MakePeopleDetector(const DetectorConfig& config) {
  const PeopleOptions& p = config.people;
  if (!(p.scale_step > 1.0 && p.scale_step < 2.0)) {
    return Status::InvalidArgument("person scale_step must be in (1,2)");
  }
  if (p.win_stride <= 0 || p.win_stride % 8 != 0) {
    return Status::InvalidArgument("person win_stride must be a positive multiple of 8");
  }
  if (!(p.upscale >= 0.25 && p.upscale <= 4)) {
    return Status::InvalidArgument("person upscale must be in [0.25,4]");
  }
  return std::unique_ptr<Detector>(new PeopleDetector(config));
}

}  // namespace osprey::ml_hooks::detectors
