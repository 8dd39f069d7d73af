// POST /putMedia (video-api.md section 4, appendix A): headers checked
// before the body is read, then 200 with chunked acks while the body streams
// in. The WebSocket variant is in websocket_ingest.cc; both share
// PutMediaSession and one PutMediaRegistry (newest producer wins).
#include <cctype>

#include "osprey/base/logging.h"
#include "osprey/fragments/ingest_session.h"
#include "video/access_guard.h"
#include "video/kvs_json.h"
#include "video/put_media_session.h"

namespace osprey::server::video {

void RegisterWebSocketIngestRoute(Router* router, VideoContext* context,
                                  std::shared_ptr<PutMediaRegistry> registry);

std::optional<int64_t> ParseEpochSecondsMs(std::string_view text) {
  // Digits, optionally '.' and 1-9 more digits; what the producer sends
  // ("%.3f"-style), and what the CLI docs show.
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 12) return std::nullopt;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 9)) return std::nullopt;
  int64_t ms = 0;
  for (char c : whole) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    ms = ms * 10 + (c - '0');
  }
  ms *= 1000;
  int64_t scale = 100;
  for (size_t i = 0; i < frac.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(frac[i]))) return std::nullopt;
    if (i < 3) {
      ms += (frac[i] - '0') * scale;
      scale /= 10;
    }
  }
  return ms;
}

std::vector<std::string> TargetStreams(const PutMediaTarget& target) {
  std::vector<std::string> streams;
  if (target.stream_name) streams.push_back(*target.stream_name);
  if (target.stream_arn) streams.push_back(*target.stream_arn);
  return streams;
}

Result<PreparedPutMedia> PreparePutMedia(const PutMediaTarget& target, VideoContext* context) {
  if (!context->catalog || !context->store) {
    return Status::Internal("video engines are not configured");
  }
  if (target.stream_name.has_value() == target.stream_arn.has_value()) {
    return Status::InvalidArgument(
        "Exactly one of x-amzn-stream-name and x-amzn-stream-arn must be given");
  }
  PreparedPutMedia p;
  if (target.stream_name) {
    OSPREY_RETURN_IF_ERROR(CheckStreamName("streamName", *target.stream_name));
    OSPREY_ASSIGN_OR_RETURN(p.stream, context->catalog->GetByName(*target.stream_name));
  } else {
    OSPREY_RETURN_IF_ERROR(CheckStreamArn("streamARN", *target.stream_arn));
    OSPREY_ASSIGN_OR_RETURN(p.stream, context->catalog->GetByArn(*target.stream_arn));
  }
  if (p.stream.status == "DELETING") {
    return Status::NotFound("Stream " + p.stream.name + " is being deleted");
  }
  if (!target.timecode_type || (*target.timecode_type != "ABSOLUTE" &&
                                *target.timecode_type != "RELATIVE")) {
    return Status::InvalidArgument(
        "x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE");
  }
  p.options.timecode_type = *target.timecode_type == "RELATIVE"
                                ? fragments::TimecodeType::kRelative
                                : fragments::TimecodeType::kAbsolute;
  if (target.start_timestamp) {
    std::optional<int64_t> ms = ParseEpochSecondsMs(*target.start_timestamp);
    if (!ms) {
      return Status::InvalidArgument("x-amzn-producer-start-timestamp '" +
                                     *target.start_timestamp +
                                     "' is not epoch seconds (e.g. 1700000000.123)");
    }
    p.options.producer_start_ms = *ms;
  } else if (p.options.timecode_type == fragments::TimecodeType::kRelative) {
    return Status::InvalidArgument(
        "x-amzn-producer-start-timestamp is required with RELATIVE timecodes");
  }
  auto log = context->store->OpenStream(p.stream.store_id());
  if (!log.ok()) return Status::Internal("opening the fragment log: " + log.status().ToString());
  p.options.log = std::move(log).value();
  p.options.stream_creation_ms = p.stream.creation_ms;
  const VideoLimits& l = context->limits;
  p.options.limits.max_fragment_bytes = l.max_fragment_bytes;
  p.options.limits.max_fragment_duration_ms = l.max_fragment_duration_ms;
  p.options.limits.max_connection_duration_ms = l.max_connection_duration_ms;
  return p;
}

namespace {

// Each ack is one Write(), so one HTTP chunk (appendix A: the producer
// drops a chunk over 1024 bytes, and wants one ack per chunk).
class HttpAckTransport : public AckTransport {
 public:
  explicit HttpAckTransport(std::shared_ptr<Exchange> exchange) : exchange_(std::move(exchange)) {}
  void Send(std::string line) override { exchange_->Write(std::move(line)); }
  void End() override { exchange_->Finish(); }

 private:
  std::shared_ptr<Exchange> exchange_;
};

std::optional<std::string> Header(const Request& r, std::string_view name) {
  auto v = r.headers.Get(name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

// Reads the body piece by piece into the session until it ends, fails, or
// the session stops wanting it (after an error the connection closes when
// the response ends).
void ReadBody(std::shared_ptr<Exchange> exchange, std::shared_ptr<PutMediaSession> session) {
  Exchange* raw = exchange.get();
  raw->ReadSome([exchange = std::move(exchange), session = std::move(session)](
                    Status status, std::string_view data, bool eof) mutable {
    if (!status.ok()) return session->OnConnectionLost();
    if (!data.empty()) session->OnData(data);
    if (eof) return session->OnEndOfBody();
    if (session->ending()) return;
    ReadBody(std::move(exchange), std::move(session));
  });
}

void HandlePutMedia(std::shared_ptr<Exchange> exchange, VideoContext* context,
                    const std::shared_ptr<PutMediaRegistry>& registry) {
  const Request& request = exchange->request();
  PutMediaTarget target;
  target.stream_name = Header(request, "x-amzn-stream-name");
  target.stream_arn = Header(request, "x-amzn-stream-arn");
  target.timecode_type = Header(request, "x-amzn-fragment-timecode-type");
  target.start_timestamp = Header(request, "x-amzn-producer-start-timestamp");
  if (auto denied = CheckAccess(*context, request, "PutMedia", TargetStreams(target))) {
    Response r = ErrorResponse(*denied);
    r.close = true;  // the body was not read
    return exchange->Respond(std::move(r));
  }
  Result<PreparedPutMedia> prepared = PreparePutMedia(target, context);
  if (!prepared.ok()) {
    Response r = KvsFail(prepared.status());
    r.close = true;  // the body was not read
    return exchange->Respond(std::move(r));
  }
  Headers headers;
  headers.Add("Content-Type", "application/json");
  exchange->StartResponse(200, std::move(headers));
  auto session = std::make_shared<PutMediaSession>(
      std::move(prepared).value(), std::make_unique<HttpAckTransport>(exchange), request.remote);
  session->Start(registry);
  exchange->OnShutdown([weak = std::weak_ptr<PutMediaSession>(session)] {
    if (auto s = weak.lock()) s->OnShutdown();
  });
  ReadBody(std::move(exchange), std::move(session));
}

}  // namespace

void RegisterPutMediaRoutes(Router* router, VideoContext* context) {
  auto registry = std::make_shared<PutMediaRegistry>(context->limits);
  registry->Start();
  if (context->catalog) {
    context->catalog->OnDelete(
        [weak = std::weak_ptr<PutMediaRegistry>(registry)](const fragments::VideoStream& s) {
          if (auto r = weak.lock()) r->OnStreamDeleted(s.store_id());
        });
  }

  Route route;
  route.api = "putMedia";
  route.service = "kinesisvideo";
  route.body = Route::Body::kStreaming;
  route.signs_empty_payload = true;
  route.streaming = [context, registry](std::shared_ptr<Exchange> exchange) {
    HandlePutMedia(std::move(exchange), context, registry);
  };
  router->AddPath("POST", "/putMedia", std::move(route));

  RegisterWebSocketIngestRoute(router, context, registry);
}

}  // namespace osprey::server::video
