#include "osprey/ml_hooks/server_source.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/client/get_media_reader.h"
#include "osprey/client/list_fragments.h"

namespace osprey::ml_hooks {
namespace {

// GetMediaForFragmentList takes at most 1000 numbers; smaller batches keep
// each response short so a dropped connection costs little.
constexpr size_t kBatch = 100;

class ServerFrameSource final : public FrameSource {
 public:
  explicit ServerFrameSource(ServerRange range)
      : range_(std::move(range)), frames_(range_.sampling) {}

  std::pair<int64_t, int64_t> RangeMs() const override { return {range_.from_ms, range_.to_ms}; }

  Result<std::optional<Frame>> Next() override {
    if (!listed_) {
      client::ProducerTimeRange list;
      list.url = range_.url;
      list.credentials = range_.credentials;
      list.region = range_.region;
      list.stream_name = range_.stream_name;
      list.from_ms = range_.from_ms;
      list.to_ms = range_.to_ms;
      OSPREY_ASSIGN_OR_RETURN(fragments_, client::ListFragmentsByProducerTime(list));
      listed_ = true;
    }
    while (ready_.empty()) {
      if (reader_ == nullptr) {
        if (next_ >= fragments_.size()) return std::optional<Frame>();
        client::GetMediaOptions options;
        options.url = range_.url;
        options.stream_name = range_.stream_name;
        options.credentials = range_.credentials;
        options.region = range_.region;
        const size_t end = std::min(fragments_.size(), next_ + kBatch);
        for (size_t i = next_; i < end; ++i) options.fragment_list.push_back(fragments_[i].number);
        OSPREY_ASSIGN_OR_RETURN(reader_, client::GetMediaReader::Open(options));
        remaining_in_batch_ = end - next_;
        next_ = end;
      }
      if (remaining_in_batch_ == 0) {
        reader_.reset();
        continue;
      }
      OSPREY_ASSIGN_OR_RETURN(client::MediaFragment fragment, reader_->Next());
      --remaining_in_batch_;
      std::vector<Frame> frames;
      // A damaged fragment costs its frames, not the export.
      (void)frames_.Decode(fragment, &frames);
      for (Frame& f : frames) {
        const int64_t ms = f.pts_us / 1000;
        if (ms >= range_.from_ms && ms <= range_.to_ms) ready_.push_back(std::move(f));
      }
    }
    Frame f = std::move(ready_.front());
    ready_.pop_front();
    return std::optional<Frame>(std::move(f));
  }

 private:
  ServerRange range_;
  FragmentFrames frames_;
  bool listed_ = false;
  std::vector<client::ListedFragment> fragments_;
  size_t next_ = 0;
  std::unique_ptr<client::GetMediaReader> reader_;
  size_t remaining_in_batch_ = 0;
  std::deque<Frame> ready_;
};

}  // namespace

Result<std::unique_ptr<FrameSource>> OpenServerFrameSource(const ServerRange& range) {
  if (range.stream_name.empty()) return Status::InvalidArgument("a stream name is required");
  if (range.to_ms <= range.from_ms) {
    return Status::InvalidArgument("the time range is empty: --to must be after --from");
  }
  return std::unique_ptr<FrameSource>(std::make_unique<ServerFrameSource>(range));
}

}  // namespace osprey::ml_hooks
