// "dnn": an object-detection network run by cv::dnn on the CPU, with the
// output decoded by dnn_decode (YOLO rows or SSD DetectionOutput).
#include <algorithm>
#include <filesystem>
#include <vector>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detectors/detector_util.h"
#include "detectors/dnn_decode.h"

namespace osprey::ml_hooks::detectors {
namespace {

// The grey YOLO trainers pad letterboxed images with.
constexpr double kPadLevel = 114;

std::string ModelName(const DetectorConfig& config) {
  return std::filesystem::path(config.dnn.model_path).filename().string();
}

class DnnDetector final : public CvDetector {
 public:
  DnnDetector(const DetectorConfig& config, cv::dnn::Net net, DecodeOptions decode)
      : CvDetector(config, "dnn detector " + ModelName(config)),
        net_(std::move(net)),
        decode_(std::move(decode)),
        model_(ModelName(config)) {}

 private:
  Result<std::vector<Detection>> DetectIn(const cv::Mat& image) override {
    const DnnOptions& o = config_.dnn;
    // max_width only saves the resize cost here: the network sees
    // input_width x input_height whatever the frame.
    const Scaled scaled = DownscaleTo(image, config_.max_width);
    BlobGeometry g;
    g.input_width = o.input_width;
    g.input_height = o.input_height;
    g.frame_width = image.cols;
    g.frame_height = image.rows;
    cv::Mat input;
    if (o.letterbox) {
      const double r = std::min(static_cast<double>(o.input_width) / scaled.image.cols,
                                static_cast<double>(o.input_height) / scaled.image.rows);
      const int w = std::max(1, static_cast<int>(scaled.image.cols * r));
      const int h = std::max(1, static_cast<int>(scaled.image.rows * r));
      input = cv::Mat(o.input_height, o.input_width, CV_8UC3, cv::Scalar::all(kPadLevel));
      // Padding right and bottom keeps the mapping a pure scale.
      cv::resize(scaled.image, input(cv::Rect(0, 0, w, h)), cv::Size(w, h));
      g.scale_x = g.scale_y = r / scaled.to_original;
    } else {
      cv::resize(scaled.image, input, cv::Size(o.input_width, o.input_height));
      g.scale_x = static_cast<double>(o.input_width) / image.cols;
      g.scale_y = static_cast<double>(o.input_height) / image.rows;
    }
    const cv::Mat blob = cv::dnn::blobFromImage(
        input, o.scale, cv::Size(), cv::Scalar(o.mean[0], o.mean[1], o.mean[2]), o.swap_rb,
        /*crop=*/false, CV_32F);
    net_.setInput(blob);
    cv::Mat output = net_.forward();
    if (!output.isContinuous()) output = output.clone();
    TensorView view;
    view.data = output.ptr<float>();
    view.shape.assign(output.size.p, output.size.p + output.dims);
    Result<std::vector<Detection>> decoded =
        o.layout == "ssd" ? DecodeSsd(view, g, decode_) : DecodeYolo(view, g, decode_);
    if (!decoded.ok()) return decoded.status().WithContext(model_);
    std::vector<Detection> out = NonMaxSuppression(std::move(decoded).value(), o.nms_threshold);
    for (Detection& d : out) d.model = model_;
    return out;
  }

  cv::dnn::Net net_;
  const DecodeOptions decode_;
  std::string model_;
};

}  // namespace

Result<std::unique_ptr<Detector>> MakeDnnDetector(const DetectorConfig& config) {
  const DnnOptions& o = config.dnn;
  if (o.layout != "yolo" && o.layout != "ssd") {
    return Status::InvalidArgument("dnn layout must be \"yolo\" or \"ssd\", got \"" + o.layout +
                                   "\"");
  }
  if (o.input_width < 1 || o.input_height < 1 || o.input_width > 4096 ||
      o.input_height > 4096) {
    return Status::InvalidArgument("dnn input size must be in [1,4096]");
  }
  if (!(o.scale > 0)) return Status::InvalidArgument("dnn scale must be > 0");
  if (!(o.nms_threshold > 0 && o.nms_threshold <= 1)) {
    return Status::InvalidArgument("dnn nms_threshold must be in (0,1]");
  }
  if (o.model_path.empty()) return Status::InvalidArgument("dnn model_path is empty");
  OSPREY_RETURN_IF_ERROR(CheckReadable(o.model_path, "dnn model"));
  if (!o.config_path.empty()) OSPREY_RETURN_IF_ERROR(CheckReadable(o.config_path, "dnn config"));

  DecodeOptions decode;
  decode.min_score = config.min_score;
  decode.labels = o.labels;
  decode.class_id_offset = o.class_id_offset >= 0 ? o.class_id_offset
                                                   : (o.layout == "ssd" ? 1 : 0);
  if (!o.classes_path.empty()) {
    OSPREY_ASSIGN_OR_RETURN(decode.classes, ReadClassNames(o.classes_path));
  }
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNet(o.model_path, o.config_path);
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument("cannot load dnn model " + o.model_path + ": " + e.what());
  }
  if (net.empty()) return Status::InvalidArgument("dnn model has no layers: " + o.model_path);
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return std::unique_ptr<Detector>(new DnnDetector(config, std::move(net), std::move(decode)));
}

}  // namespace osprey::ml_hooks::detectors
