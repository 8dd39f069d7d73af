// Http2Session: answers and bodies of individual streams (the connection
// side is in http2_session.cc).
#include <nghttp2/nghttp2.h>

#include <cctype>
#include <vector>

#include "http/http2_session.h"
#include "http/pipeline.h"
#include "http/util.h"
#include "osprey/base/logging.h"

namespace osprey::server {
// nghttp2's data source for every response body (http2_session.cc).
ssize_t Http2ProvideBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                         uint32_t* data_flags, nghttp2_data_source* source, void* user_data);

namespace {

// Header block of a response: HTTP/2 wants lowercase names.
struct HeaderBlock {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<nghttp2_nv> nv;

  void Add(std::string_view name, std::string value) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fields.emplace_back(std::move(lower), std::move(value));
  }
  const nghttp2_nv* Build() {
    nv.clear();
    for (auto& [n, v] : fields) {
      nv.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(n.data()),
                              reinterpret_cast<uint8_t*>(v.data()), n.size(), v.size(),
                              NGHTTP2_NV_FLAG_NONE});
    }
    return nv.data();
  }
};

HeaderBlock ResponseHeaders(int status, Headers headers, const Http2Session::Stream& s) {
  if (s.cors) AddCorsHeaders(&headers);
  const std::string& request_id = s.request.request_id;
  HeaderBlock block;
  block.Add(":status", std::to_string(status));
  for (const auto& [name, value] : headers.entries()) {
    // Connection-specific fields are forbidden in HTTP/2 (RFC 9113 8.2.2).
    if (EqualsIgnoreCase(name, "connection") || EqualsIgnoreCase(name, "transfer-encoding") ||
        EqualsIgnoreCase(name, "keep-alive")) {
      continue;
    }
    block.Add(name, value);
  }
  if (!headers.Has("x-amzn-RequestId")) block.Add("x-amzn-requestid", request_id);
  block.Add("date", HttpDate());
  block.Add("server", "osprey");
  return block;
}

}  // namespace

void Http2Session::SubmitResponse(int32_t id, Response response) {
  Stream* s = Find(id);
  if (s == nullptr || s->status != 0 || closed_) return;
  s->status = response.status;
  HeaderBlock block = ResponseHeaders(response.status, std::move(response.headers), *s);
  if (response.shared_body) response.body = *response.shared_body;  // nghttp2 reads from s->out
  block.Add("content-length", std::to_string(response.body.size()));
  s->out = std::move(response.body);
  s->out_offset = 0;
  s->out_eof = true;
  nghttp2_data_provider provider{};
  provider.read_callback = &Http2ProvideBody;
  const nghttp2_nv* nv = block.Build();
  nghttp2_submit_response(session_, id, nv, block.nv.size(), &provider);
  Flush();
}

void Http2Session::SubmitStreamedHeaders(int32_t id, int status, Headers headers) {
  Stream* s = Find(id);
  if (s == nullptr || s->status != 0 || closed_) return;
  s->status = status;
  HeaderBlock block = ResponseHeaders(status, std::move(headers), *s);
  nghttp2_data_provider provider{};
  provider.read_callback = &Http2ProvideBody;
  const nghttp2_nv* nv = block.Build();
  nghttp2_submit_response(session_, id, nv, block.nv.size(), &provider);
  Flush();
}

void Http2Session::AppendBody(int32_t id, std::string data, std::function<void(Status)> done) {
  Stream* s = Find(id);
  if (s == nullptr || s->out_eof || closed_) {
    if (done) done(Status::Cancelled("stream closed"));
    return;
  }
  s->out.append(data);
  if (done) s->out_done.emplace_back(s->out.size(), std::move(done));
  if (s->status != 0) nghttp2_session_resume_data(session_, id);
  Flush();
}

void Http2Session::EndBody(int32_t id) {
  Stream* s = Find(id);
  if (s == nullptr || s->out_eof || closed_) return;
  s->out_eof = true;
  if (s->status != 0) nghttp2_session_resume_data(session_, id);
  Flush();
}

void Http2Session::ReadBody(int32_t id, std::function<void(Status, std::string_view, bool)> cb) {
  Stream* s = Find(id);
  if (s == nullptr || closed_) return cb(Status::Cancelled("stream closed"), {}, false);
  if (!s->in.empty()) {
    std::string chunk = std::move(s->in.front());
    s->in.pop_front();
    // Reopen the flow-control window only for what the handler has taken,
    // so a slow consumer slows the sender instead of filling our memory.
    nghttp2_session_consume(session_, id, chunk.size());
    bool eof = s->in_eof && s->in.empty();
    cb(Status::Ok(), chunk, eof);
    Flush();
    return;
  }
  if (s->in_eof) return cb(Status::Ok(), {}, true);
  s->pending_read = std::move(cb);
}

void Http2Session::DeliverBody(Stream* s) {
  if (!s->pending_read || (s->in.empty() && !s->in_eof)) return;
  // Called from inside nghttp2: run the handler's callback afterwards.
  net::post(executor(), [self = shared_from_this(), id = s->id] {
    Stream* s = self->Find(id);
    if (s == nullptr || !s->pending_read) return;
    self->ReadBody(id, std::exchange(s->pending_read, nullptr));
  });
}

void Http2Session::ResetStream(int32_t id) {
  if (closed_ || Find(id) == nullptr) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
  Flush();
}

void Http2Session::OnStreamClosed(int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  std::unique_ptr<Stream> s = std::move(it->second);
  streams_.erase(it);
  server_->in_flight--;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s->started).count();
  std::string_view api = s->route ? std::string_view(s->route->api) : "invalid";
  server_->metrics.OnRequest(api, s->status, seconds);
  log::Debug("http2", "request",
             {{"api", api}, {"status", s->status}, {"ms", seconds * 1000}, {"remote", remote_},
              {"request_id", s->request.request_id}});
  auto executor = this->executor();
  if (s->pending_read) {
    net::post(executor, [cb = std::move(s->pending_read)] { cb(Status::Cancelled("stream closed"), {}, false); });
  }
  for (auto& [end, done] : s->out_done) {
    net::post(executor, [cb = std::move(done)] { cb(Status::Cancelled("stream closed")); });
  }
}

}  // namespace osprey::server
