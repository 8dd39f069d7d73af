// GET /ws/putMedia: PutMedia over a WebSocket, for the edge agent
// (docs/video-ingest.md). The upgrade request is authenticated like any
// other (SigV4, service kinesisvideo, empty-payload hash; a presigned URL
// works too). Binary messages carry the MKV body in pieces of any size; the
// text message END_OF_STREAM ends the body; every ack comes back as one text
// message holding the same JSON object as PutMedia's ack lines.
#include <cctype>

#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "video/access_guard.h"
#include "video/kvs_json.h"
#include "video/put_media_session.h"

namespace osprey::server::video {
namespace {

constexpr std::string_view kEndOfStream = "END_OF_STREAM";

std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// The first value of query parameter `name` (exact, case-sensitive).
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq)) != name) continue;
    return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

// Query parameter, else the PutMedia header of the same meaning.
std::optional<std::string> Param(const Request& r, std::string_view query_name,
                                 std::string_view header) {
  if (auto v = QueryParam(r.query, query_name)) return v;
  if (auto h = r.headers.Get(header)) return std::string(*h);
  return std::nullopt;
}

class WebSocketAckTransport : public AckTransport {
 public:
  explicit WebSocketAckTransport(std::shared_ptr<WebSocket> socket) : socket_(std::move(socket)) {}
  void Send(std::string line) override {
    if (!line.empty() && line.back() == '\n') line.pop_back();  // one object per message
    socket_->Send(std::move(line), /*binary=*/false);
  }
  void End() override { socket_->Close(); }

 private:
  std::shared_ptr<WebSocket> socket_;
};

void ReadMessages(std::shared_ptr<WebSocket> socket, std::shared_ptr<PutMediaSession> session) {
  WebSocket* raw = socket.get();
  raw->Read([socket = std::move(socket), session = std::move(session)](
                Status status, std::string message, bool binary) mutable {
    if (!status.ok()) return session->OnConnectionLost();
    if (binary) {
      session->OnData(message);
    } else if (message == kEndOfStream) {
      return session->OnEndOfBody();
    } else {
      log::Warn("putmedia", "ignoring a text message on the ingest WebSocket",
                {{"remote", socket->request().remote}, {"bytes", message.size()}});
    }
    if (session->ending()) return;
    ReadMessages(std::move(socket), std::move(session));
  });
}

void HandleWebSocket(std::shared_ptr<WebSocket> socket, VideoContext* context,
                     const std::shared_ptr<PutMediaRegistry>& registry) {
  const Request& request = socket->request();
  PutMediaTarget target;
  target.stream_name = Param(request, "StreamName", "x-amzn-stream-name");
  target.stream_arn = Param(request, "StreamARN", "x-amzn-stream-arn");
  target.timecode_type = Param(request, "FragmentTimecodeType", "x-amzn-fragment-timecode-type");
  if (!target.timecode_type) target.timecode_type = "ABSOLUTE";
  target.start_timestamp =
      Param(request, "ProducerStartTimestamp", "x-amzn-producer-start-timestamp");
  std::optional<ApiError> denied =
      CheckAccess(*context, request, "PutMedia", TargetStreams(target));
  Result<PreparedPutMedia> prepared =
      denied ? Result<PreparedPutMedia>(Status::PermissionDenied(denied->message))
             : PreparePutMedia(target, context);
  if (!prepared.ok()) {
    // The upgrade is done: the HTTP error travels as one text message in the
    // AWS error shape, then the socket closes.
    ApiError e = denied ? *denied : KvsError(prepared.status());
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Key("__type").String(e.type).Key("message").String(e.message).EndObject();
    socket->Send(std::move(body), /*binary=*/false);
    socket->Close();
    return;
  }
  auto session = std::make_shared<PutMediaSession>(
      std::move(prepared).value(), std::make_unique<WebSocketAckTransport>(socket),
      request.remote);
  session->Start(registry);
  ReadMessages(std::move(socket), std::move(session));
}

}  // namespace

void RegisterWebSocketIngestRoute(Router* router, VideoContext* context,
                                  std::shared_ptr<PutMediaRegistry> registry) {
  Route route;
  route.api = "putMediaWebSocket";
  route.service = "kinesisvideo";
  route.body = Route::Body::kWebSocket;
  route.signs_empty_payload = true;
  route.websocket = [context, registry](std::shared_ptr<WebSocket> socket) {
    HandleWebSocket(std::move(socket), context, registry);
  };
  router->AddPath("GET", "/ws/putMedia", std::move(route));
}

}  // namespace osprey::server::video
