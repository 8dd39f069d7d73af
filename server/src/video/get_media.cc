// POST /getMedia (video-api.md section 5): the request is checked and the
// StartSelector resolved before the 200 is sent (errors are plain KVS JSON
// errors); then a FragmentReader in follow mode streams the chunks.
//
// GetMediaReaders enforces VideoLimits::max_get_media_per_stream, ends the
// readers of a deleted stream and ticks readers for their heartbeat.
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "osprey/base/logging.h"
#include "video/access_guard.h"
#include "video/fragment_reader.h"
#include "video/get_media.h"
#include "video/video_routes.h"

namespace osprey::server::video {

namespace {

class GetMediaReaders {
 public:
  explicit GetMediaReaders(int max_per_stream) : max_per_stream_(max_per_stream) {
    ticker_ = std::thread([this] { Run(); });
  }
  ~GetMediaReaders() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    ticker_.join();
  }

  uint64_t NextId() {
    std::lock_guard lock(mu_);
    return next_id_++;
  }
  // False when the stream already has max_per_stream readers.
  bool Add(const std::string& store_id, uint64_t id, std::weak_ptr<FragmentReader> reader) {
    std::lock_guard lock(mu_);
    auto& readers = streams_[store_id];
    if (static_cast<int>(readers.size()) >= max_per_stream_) {
      if (readers.empty()) streams_.erase(store_id);
      return false;
    }
    readers[id] = std::move(reader);
    return true;
  }
  void Remove(const std::string& store_id, uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = streams_.find(store_id);
    if (it == streams_.end()) return;
    it->second.erase(id);
    if (it->second.empty()) streams_.erase(it);
  }
  void OnStreamDeleted(const std::string& store_id) {
    for (const auto& reader : Snapshot(&store_id)) reader->OnStreamDeleted();
  }

 private:
  std::vector<std::shared_ptr<FragmentReader>> Snapshot(const std::string* store_id) {
    std::vector<std::shared_ptr<FragmentReader>> out;
    std::lock_guard lock(mu_);
    for (const auto& [id, readers] : streams_) {
      if (store_id && id != *store_id) continue;
      for (const auto& [n, weak] : readers) {
        if (auto r = weak.lock()) out.push_back(std::move(r));
      }
    }
    return out;
  }

  void Run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      if (stop_) break;
      lock.unlock();
      for (const auto& reader : Snapshot(nullptr)) reader->Tick();
      lock.lock();
    }
  }

  const int max_per_stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;  // GUARDED_BY(mu_)
  std::map<std::string, std::map<uint64_t, std::weak_ptr<FragmentReader>>> streams_;  // GUARDED_BY(mu_)
  bool stop_ = false;     // GUARDED_BY(mu_)
  std::thread ticker_;
};

struct PreparedGetMedia {
  fragments::VideoStream stream;
  std::shared_ptr<fragments::FragmentLog> log;
  uint64_t after_index = 0;
};

Result<PreparedGetMedia> PrepareGetMedia(std::string_view body_text, VideoContext* context) {
  if (!context->catalog || !context->store) {
    return Status::Internal("video engines are not configured");
  }
  OSPREY_ASSIGN_OR_RETURN(JsonRequest body, JsonRequest::Parse(body_text));
  OSPREY_ASSIGN_OR_RETURN(StartSelector selector, ParseStartSelector(body));
  PreparedGetMedia p;
  OSPREY_ASSIGN_OR_RETURN(p.stream, ResolveStream(body, *context->catalog));
  if (p.stream.status == "DELETING") {
    return Status::NotFound("Stream " + p.stream.name + " is being deleted");
  }
  auto log = context->store->OpenStream(p.stream.store_id());
  if (!log.ok()) return Status::Internal("opening the fragment log: " + log.status().ToString());
  p.log = std::move(log).value();
  OSPREY_ASSIGN_OR_RETURN(p.after_index,
                          ResolveStartSelector(selector, *p.log, p.stream.creation_ms));
  return p;
}

void HandleGetMedia(std::shared_ptr<Exchange> exchange, VideoContext* context,
                    const std::shared_ptr<GetMediaReaders>& readers) {
  // A streaming route without signs_empty_payload: the JSON body has been
  // read whole and verified against the signature already.
  Result<PreparedGetMedia> prepared = PrepareGetMedia(exchange->request().body, context);
  if (!prepared.ok()) return exchange->Respond(KvsFail(prepared.status()));
  PreparedGetMedia& p = prepared.value();

  const uint64_t id = readers->NextId();
  const std::string store_id = p.stream.store_id();
  FragmentReaderOptions options;
  options.follow = true;
  options.after_index = p.after_index;
  options.stream_creation_ms = p.stream.creation_ms;
  options.max_live_lag_bytes = context->limits.get_media_queue_bytes;
  options.on_end = [weak = std::weak_ptr<GetMediaReaders>(readers), store_id, id] {
    if (auto r = weak.lock()) r->Remove(store_id, id);
  };
  auto reader = FragmentReader::Create(exchange, p.log, std::move(options));
  if (!readers->Add(store_id, id, reader)) {
    return exchange->Respond(ErrorResponse(ApiError{
        400, "ConnectionLimitExceededException",
        "Stream " + p.stream.name + " already has " +
            std::to_string(context->limits.max_get_media_per_stream) +
            " GetMedia connections, the most allowed"}));
  }
  reader->Start();
}

}  // namespace

void RegisterGetMediaRoutes(Router* router, VideoContext* context) {
  auto readers = std::make_shared<GetMediaReaders>(context->limits.max_get_media_per_stream);
  if (context->catalog) {
    context->catalog->OnDelete(
        [weak = std::weak_ptr<GetMediaReaders>(readers)](const fragments::VideoStream& s) {
          if (auto r = weak.lock()) r->OnStreamDeleted(s.store_id());
        });
  }
  Route route;
  route.api = "getMedia";
  route.service = "kinesisvideo";
  route.body = Route::Body::kStreaming;
  route.streaming = [context, readers](std::shared_ptr<Exchange> exchange) {
    HandleGetMedia(std::move(exchange), context, readers);
  };
  router->AddPath("POST", "/getMedia", Guarded(context, "GetMedia", std::move(route)));
}

}  // namespace osprey::server::video
