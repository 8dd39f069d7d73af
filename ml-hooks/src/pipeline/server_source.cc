#include "osprey/ml_hooks/server_source.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/client/get_media_reader.h"

namespace osprey::ml_hooks {
namespace {

// GetMediaForFragmentList takes at most 1000 numbers; smaller batches keep
// each response short so a dropped connection costs little.
constexpr size_t kBatch = 100;

Status ErrorOf(const client::JsonResponse& r, std::string_view op) {
  const std::string message = std::string(op) + ": " + r.error_type + " " + r.body;
  if (r.error_type == "ResourceNotFoundException") return Status::NotFound(message);
  if (r.error_type == "InvalidArgumentException" || r.error_type == "ValidationException") {
    return Status::InvalidArgument(message);
  }
  if (r.status == 403) return Status::PermissionDenied(message);
  return Status::Unavailable(message);
}

struct Listed {
  std::string number;
  int64_t producer_ms = 0;
};

Result<std::vector<Listed>> ListRange(const ServerRange& range) {
  std::vector<Listed> out;
  std::string token;
  do {
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Key("StreamName").String(range.stream_name).Key("MaxResults").Int64(1000);
    if (token.empty()) {
      w.Key("FragmentSelector").BeginObject()
          .Key("FragmentSelectorType").String("PRODUCER_TIMESTAMP")
          .Key("TimestampRange").BeginObject()
          .Key("StartTimestamp").Double(static_cast<double>(range.from_ms) / 1000.0)
          .Key("EndTimestamp").Double(static_cast<double>(range.to_ms) / 1000.0)
          .EndObject().EndObject();
    } else {
      w.Key("NextToken").String(token);
    }
    w.EndObject();
    OSPREY_ASSIGN_OR_RETURN(auto r, client::PostJson(range.url, client::KvsCall("/listFragments"),
                                                     body, range.credentials, range.region,
                                                     std::chrono::milliseconds(30000)));
    if (r.status != 200) return ErrorOf(r, "ListFragments");
    OSPREY_ASSIGN_OR_RETURN(Value doc, ParseJson(r.body));
    token.clear();
    if (const Value* list = doc.Find("Fragments");
        list != nullptr && list->type() == Value::Type::kArray) {
      for (const Value& f : list->as_array()) {
        const Value* number = f.Find("FragmentNumber");
        const Value* producer = f.Find("ProducerTimestamp");
        if (number == nullptr || number->type() != Value::Type::kString) continue;
        Listed l{number->as_string(), 0};
        if (producer != nullptr && producer->type() == Value::Type::kDouble) {
          l.producer_ms = std::llround(producer->as_double() * 1000);
        } else if (producer != nullptr && producer->type() == Value::Type::kInt) {
          l.producer_ms = producer->as_int() * 1000;
        }
        out.push_back(std::move(l));
      }
    }
    if (const Value* next = doc.Find("NextToken");
        next != nullptr && next->type() == Value::Type::kString) {
      token = next->as_string();
    }
  } while (!token.empty());
  // ListFragments answers in no particular order (as KVS); footage is read
  // in time order.
  std::stable_sort(out.begin(), out.end(),
                   [](const Listed& a, const Listed& b) { return a.producer_ms < b.producer_ms; });
  return out;
}

class ServerFrameSource final : public FrameSource {
 public:
  explicit ServerFrameSource(ServerRange range)
      : range_(std::move(range)), frames_(range_.sampling) {}

  std::pair<int64_t, int64_t> RangeMs() const override { return {range_.from_ms, range_.to_ms}; }

  Result<std::optional<Frame>> Next() override {
    if (!listed_) {
      OSPREY_ASSIGN_OR_RETURN(fragments_, ListRange(range_));
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
  std::vector<Listed> fragments_;
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
