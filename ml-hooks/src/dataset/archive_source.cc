#include "osprey/ml_hooks/archive_source.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "osprey/base/file_util.h"
#include "osprey/ml_hooks/event.h"

namespace osprey::ml_hooks {

struct ArchiveFrameSource::Impl {
  struct Item {
    int64_t frame_time_ms = 0;
    std::string frame_key;
    std::vector<Detection> detections;
    std::string fragment_number;
    int64_t producer_ms = 0;
    int64_t server_ms = 0;
  };
  std::string root;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<Item> items;  // by frame time
  size_t next = 0;
  std::vector<Detection> current;
  int64_t skipped = 0;
};

ArchiveFrameSource::~ArchiveFrameSource() = default;

Result<std::unique_ptr<ArchiveFrameSource>> ArchiveFrameSource::Open(const std::string& root,
                                                                    const std::string& prefix,
                                                                    const std::string& stream,
                                                                    int64_t from_ms,
                                                                    int64_t to_ms) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(root) / prefix;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound("no archived events under " + dir.string());
  }
  std::unique_ptr<ArchiveFrameSource> source(new ArchiveFrameSource());
  source->impl_ = std::make_unique<Impl>();
  Impl& impl = *source->impl_;
  impl.root = root;
  impl.from_ms = from_ms;
  impl.to_ms = to_ms;
  std::map<std::string, Impl::Item> by_key;  // one item per frame
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    // Firehose's in-flight objects are temporary files renamed when done.
    if (!entry.is_regular_file() || entry.path().filename().string().find(".tmp-") !=
                                        std::string::npos) {
      continue;
    }
    Result<std::string> text = ReadFile(entry.path().string());
    if (!text.ok()) {
      ++impl.skipped;
      continue;
    }
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      Result<Event> event = ParseEventJson(line);
      if (!event.ok()) {
        ++impl.skipped;
        continue;
      }
      if (event->type != EventType::kTrackEnd || !event->frame_key) continue;
      if (!stream.empty() && event->source.stream_name != stream) continue;
      if (event->frame_time_ms < from_ms || event->frame_time_ms > to_ms) continue;
      Impl::Item& item = by_key[*event->frame_key];
      item.frame_time_ms = event->frame_time_ms;
      item.frame_key = *event->frame_key;
      item.detections = event->frame_detections;
      item.fragment_number = event->source.fragment_number;
      item.producer_ms = event->source.producer_timestamp_ms;
      item.server_ms = event->source.server_timestamp_ms;
    }
  }
  for (auto& [key, item] : by_key) impl.items.push_back(std::move(item));
  std::stable_sort(impl.items.begin(), impl.items.end(), [](const auto& a, const auto& b) {
    return a.frame_time_ms < b.frame_time_ms;
  });
  return source;
}

Result<std::optional<Frame>> ArchiveFrameSource::Next() {
  Impl& impl = *impl_;
  while (impl.next < impl.items.size()) {
    const Impl::Item& item = impl.items[impl.next++];
    Result<std::string> jpeg = ReadFile((std::filesystem::path(impl.root) / item.frame_key).string());
    if (!jpeg.ok()) {
      ++impl.skipped;
      continue;
    }
    const cv::Mat encoded(1, static_cast<int>(jpeg->size()), CV_8UC1, jpeg->data());
    const cv::Mat image = cv::imdecode(encoded, cv::IMREAD_COLOR);
    if (image.empty() || !image.isContinuous()) {
      ++impl.skipped;
      continue;
    }
    Frame frame;
    frame.width = image.cols;
    frame.height = image.rows;
    frame.bgr.assign(reinterpret_cast<const char*>(image.data), image.total() * image.elemSize());
    frame.pts_us = item.frame_time_ms * 1000;
    frame.fragment_number = item.fragment_number;
    frame.producer_timestamp_ms = item.producer_ms;
    frame.server_timestamp_ms = item.server_ms;
    impl.current = item.detections;
    return std::optional<Frame>(std::move(frame));
  }
  impl.current.clear();
  return std::optional<Frame>();
}

std::pair<int64_t, int64_t> ArchiveFrameSource::RangeMs() const {
  if (impl_->items.empty()) return {0, 0};
  return {impl_->items.front().frame_time_ms, impl_->items.back().frame_time_ms};
}

const std::vector<Detection>& ArchiveFrameSource::detections() const { return impl_->current; }

int64_t ArchiveFrameSource::skipped() const { return impl_->skipped; }

}  // namespace osprey::ml_hooks
