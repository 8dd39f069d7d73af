#include "osprey/client/get_media_reader.h"

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <deque>

#include "osprey/base/json_writer.h"
#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::client {
namespace {

std::string_view AsView(std::span<const uint8_t> raw) {
  return {reinterpret_cast<const char*>(raw.data()), raw.size()};
}

Status StatusForAwsError(std::string_view type, std::string message) {
  message = std::string(type) + ": " + message;
  if (type == "ResourceNotFoundException") return Status::NotFound(message);
  if (type == "InvalidArgumentException" || type == "ValidationException" ||
      type == "InvalidEndpointException") {
    return Status::InvalidArgument(message);
  }
  if (type == "NotAuthorizedException" || type == "AccessDeniedException" ||
      type == "UnrecognizedClientException" || type == "InvalidSignatureException") {
    return Status::PermissionDenied(message);
  }
  if (type == "ConnectionLimitExceededException" || type == "ClientLimitExceededException") {
    return Status::ResourceExhausted(message);
  }
  return Status::Internal(message);
}

// Collects the elements of the current chunk. `bytes_` mirrors the stream
// from `base_` on, so the Cluster can be handed out as the exact bytes the
// server sent (Demux and the fragment store speak that form).
class ChunkCollector : public fragments::MkvHandler {
 public:
  void Append(std::string_view data) { bytes_.append(data); }

  Status OnSegmentStart(const fragments::SegmentStart&) override {
    current_ = MediaFragment{};
    have_cluster_ = false;
    return Status::Ok();
  }
  Status OnInfo(const fragments::SegmentInfo&, std::span<const uint8_t> raw) override {
    current_.stream_header.assign(AsView(raw));
    return Status::Ok();
  }
  Status OnTracks(const std::vector<fragments::TrackEntry>&, std::span<const uint8_t> raw) override {
    current_.stream_header.append(AsView(raw));
    return Status::Ok();
  }
  Status OnClusterEnd(const fragments::ClusterEnd& end) override {
    if (end.offset < base_ || end.end_offset > base_ + bytes_.size()) {
      return Status::Internal("cluster outside the buffered bytes");
    }
    current_.cluster = bytes_.substr(end.offset - base_, end.end_offset - end.offset);
    have_cluster_ = true;
    return Status::Ok();
  }
  Status OnTags(const std::vector<fragments::Tag>& tags, std::span<const uint8_t> raw,
                uint64_t offset) override {
    bool end_of_chunk = false;
    int error_id = 0;
    std::string error_code;
    for (const auto& tag : tags) {
      for (const auto& t : tag.simple_tags) {
        if (t.name == fragments::kTagFragmentNumber) {
          current_.fragment_number = t.value;
        } else if (t.name == fragments::kTagServerTimestamp) {
          OSPREY_ASSIGN_OR_RETURN(current_.server_timestamp_ms, ParseEpochSecondsTag(t.value));
        } else if (t.name == fragments::kTagProducerTimestamp) {
          OSPREY_ASSIGN_OR_RETURN(current_.producer_timestamp_ms, ParseEpochSecondsTag(t.value));
        } else if (t.name == fragments::kTagMillisBehindNow) {
          current_.millis_behind_now = std::strtoll(t.value.c_str(), nullptr, 10);
        } else if (t.name == fragments::kTagContinuationToken) {
          current_.continuation_token = t.value;
          end_of_chunk = true;
        } else if (t.name == fragments::kTagErrorId) {
          error_id = std::atoi(t.value.c_str());
        } else if (t.name == fragments::kTagErrorCode) {
          error_code = t.value;
        }
      }
    }
    // Everything before the end of these Tags is no longer needed.
    const uint64_t end = offset + raw.size();
    if (end > base_) {
      bytes_.erase(0, std::min<uint64_t>(end - base_, bytes_.size()));
      base_ = end;
    }
    if (error_id != 0) {
      errors_.push_back(Status::Internal("GetMedia error chunk after fragment " +
                                         current_.fragment_number + ": " +
                                         std::to_string(error_id) + " " + error_code));
      return Status::Ok();
    }
    if (end_of_chunk) {
      if (!have_cluster_) return Status::Corruption("GetMedia chunk without a Cluster");
      ready_.push_back(std::move(current_));
      current_ = MediaFragment{};
      have_cluster_ = false;
    }
    return Status::Ok();
  }

  std::deque<MediaFragment> ready_;
  std::deque<Status> errors_;

 private:
  std::string bytes_;
  uint64_t base_ = 0;
  MediaFragment current_;
  bool have_cluster_ = false;
};

class Reader final : public GetMediaReader {
 public:
  explicit Reader(std::unique_ptr<HttpConnection> conn) : conn_(std::move(conn)) {
    fragments::ParserOptions options;
    options.allow_multiple_segments = true;
    parser_ = std::make_unique<fragments::MkvParser>(&collector_, options);
  }

  Result<MediaFragment> Next() override {
    while (true) {
      if (aborted_.load()) return Status::Cancelled("GetMedia reader aborted");
      if (!collector_.ready_.empty()) {
        MediaFragment out = std::move(collector_.ready_.front());
        collector_.ready_.pop_front();
        return out;
      }
      if (!collector_.errors_.empty()) return collector_.errors_.front();
      if (ended_) return Status::Unavailable("GetMedia response ended");
      Result<std::string> chunk = conn_->ReadChunk();
      if (!chunk.ok()) {
        if (aborted_.load()) return Status::Cancelled("GetMedia reader aborted");
        if (chunk.status().code() == Status::Code::kDeadlineExceeded) return chunk.status();
        return Status::Unavailable("GetMedia connection: " + chunk.status().message());
      }
      if (chunk->empty()) {
        ended_ = true;
        continue;
      }
      collector_.Append(*chunk);
      OSPREY_RETURN_IF_ERROR(parser_->Feed(*chunk));
    }
  }

  void Abort() override {
    aborted_.store(true);
    conn_->Abort();
  }

 private:
  std::unique_ptr<HttpConnection> conn_;
  ChunkCollector collector_;
  std::unique_ptr<fragments::MkvParser> parser_;
  std::atomic<bool> aborted_{false};
  bool ended_ = false;
};

std::string RequestBody(const GetMediaOptions& options) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (!options.stream_arn.empty()) {
    w.Key("StreamARN").String(options.stream_arn);
  } else {
    w.Key("StreamName").String(options.stream_name);
  }
  if (!options.fragment_list.empty()) {
    w.Key("Fragments").BeginArray();
    for (const std::string& number : options.fragment_list) w.String(number);
    w.EndArray().EndObject();
    return out;
  }
  w.Key("StartSelector").BeginObject();
  w.Key("StartSelectorType").String(options.start.type);
  if (options.start.type == "FRAGMENT_NUMBER") {
    w.Key("AfterFragmentNumber").String(options.start.value);
  } else if (options.start.type == "CONTINUATION_TOKEN") {
    w.Key("ContinuationToken").String(options.start.value);
  } else if (options.start.type == "SERVER_TIMESTAMP" ||
             options.start.type == "PRODUCER_TIMESTAMP") {
    w.Key("StartTimestamp").Double(static_cast<double>(options.start.timestamp_ms) / 1000.0);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace

Result<int64_t> ParseEpochSecondsTag(std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  const double seconds = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(seconds)) {
    return Status::Corruption("bad epoch-seconds tag value: " + s);
  }
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

Result<std::unique_ptr<GetMediaReader>> GetMediaReader::Open(const GetMediaOptions& options) {
  OSPREY_ASSIGN_OR_RETURN(auto conn, HttpConnection::Connect(options.url, options.connect_timeout,
                                                             options.idle_timeout));
  const std::string body = RequestBody(options);
  HeaderList headers = {{"host", options.url.host}, {"user-agent", "osprey/1.0"}};
  HeaderList unsigned_headers = {{"content-type", "application/json"},
                                 {"content-length", std::to_string(body.size())}};
  OSPREY_ASSIGN_OR_RETURN(std::string head,
                          SignedRequestHead("POST",
                                            options.fragment_list.empty()
                                                ? "/getMedia"
                                                : "/getMediaForFragmentList",
                                            headers, unsigned_headers,
                                            auth::Sha256Hex(body), options.credentials,
                                            options.region));
  OSPREY_RETURN_IF_ERROR(conn->SendAll(head));
  OSPREY_RETURN_IF_ERROR(conn->SendAll(body));
  OSPREY_ASSIGN_OR_RETURN(ResponseHead response, conn->ReadResponseHead());
  if (response.status != 200) {
    std::string type = response.Header("x-amzn-errortype");
    type = type.substr(0, type.find(':'));
    Result<std::string> error_body = conn->ReadBody(response);
    return StatusForAwsError(type.empty() ? "HTTP " + std::to_string(response.status) : type,
                             error_body.ok() ? *error_body : "");
  }
  if (!response.chunked) return Status::Internal("GetMedia response is not chunked");
  return std::unique_ptr<GetMediaReader>(std::make_unique<Reader>(std::move(conn)));
}

}  // namespace osprey::client
