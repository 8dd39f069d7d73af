// Route registration of the console (console_routes.h): the embedded
// pages, sign-in and sign-out, and the cookie gate in front of every API
// handler.
#include "console/console_routes.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>

#include "console/console_assets.h"
#include "console/console_internal.h"
#include "osprey/base/crc32c.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "video/hls_internal.h"
#include "video/kvs_json.h"

namespace osprey::server::console {

namespace {

// Pages may only load what the server itself serves; hls.js feeds the
// video element from blob: URLs (MediaSource) and runs its worker from one.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "worker-src 'self' blob:; connect-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

void SecurityHeaders(Response* r) {
  r->headers.Set("X-Content-Type-Options", "nosniff");
  r->headers.Set("Referrer-Policy", "no-referrer");
  r->headers.Set("X-Frame-Options", "DENY");
}

std::string ClientAddress(std::string_view remote) {
  // "1.2.3.4:5678" or "[::1]:5678": the port changes per connection, the
  // address is what a guesser cannot change as cheaply.
  size_t colon = remote.rfind(':');
  std::string_view host = colon == std::string_view::npos ? remote : remote.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

std::string CookieHeader(std::string_view token, int64_t max_age_s, bool secure) {
  return std::string(kCookieName) + "=" + std::string(token) +
         "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s) +
         (secure ? "; Secure" : "");
}

void RegisterAssets(Router* router) {
  size_t count = 0;
  const Asset* assets = Assets(&count);
  // The assets' URLs carry a hash of every asset (?v=...), so a browser may
  // keep them for a year and still never mixes files of two builds; the
  // page itself is revalidated each time.
  uint32_t crc = 0;
  for (size_t i = 0; i < count; ++i) crc = crc32c::Extend(crc, assets[i].data.data(), assets[i].data.size());
  char version[16];
  std::snprintf(version, sizeof(version), "%08x", crc);
  for (size_t i = 0; i < count; ++i) {
    const Asset& a = assets[i];
    Route route;
    route.api = "console";
    if (a.name == "index.html") {
      std::string page(a.data);
      for (size_t at; (at = page.find("__VERSION__")) != std::string::npos;) page.replace(at, 11, version);
      route.buffered = [page](Request, Responder respond) {
        Response r = Response::Text(200, page, ContentType("index.html"));
        r.headers.Set("Cache-Control", "no-cache");
        r.headers.Set("Content-Security-Policy", std::string(kContentSecurityPolicy));
        SecurityHeaders(&r);
        respond(std::move(r));
      };
      router->AddPath("GET", "/console", route);
      router->AddPath("GET", "/console/", route);
      continue;
    }
    route.buffered = [a](Request, Responder respond) {
      Response r = Response::Text(200, std::string(a.data), ContentType(a.name));
      r.headers.Set("Cache-Control", "public, max-age=31536000, immutable");
      SecurityHeaders(&r);
      respond(std::move(r));
    };
    router->AddPath("GET", "/console/assets/" + std::string(a.name), route);
  }
}

// A route whose handler runs only for a signed-in browser.
using Gated = std::function<void(ConsoleState&, const Request&, Responder)>;
void AddGated(Router* router, std::shared_ptr<ConsoleState> state, std::string method,
              std::string path, Gated handler) {
  Route route;
  route.api = "console";
  route.max_body_bytes = 4096;
  route.buffered = [state, handler](Request request, Responder respond) {
    std::string_view cookie;
    if (auto header = request.headers.Get("Cookie")) cookie = ConsoleAuth::FromCookieHeader(*header);
    if (cookie.empty()) return respond(JsonError(401, "Sign in to use the console."));
    if (!state->auth.Valid(cookie)) {
      return respond(JsonError(401, "Your session has expired or was signed out. Sign in again."));
    }
    handler(*state, request, std::move(respond));
  };
  router->AddPath(std::move(method), std::move(path), std::move(route));
}

void RegisterSignIn(Router* router, std::shared_ptr<ConsoleState> state) {
  Route signin;
  signin.api = "console";
  signin.max_body_bytes = 4096;
  signin.buffered = [state](Request request, Responder respond) {
    Result<video::JsonRequest> body = video::JsonRequest::Parse(request.body);
    Result<std::optional<std::string>> password =
        body.ok() ? body->String("password") : Result<std::optional<std::string>>(body.status());
    if (!password.ok() || !*password) {
      return respond(JsonError(400, "Send {\"password\": \"...\"} as JSON."));
    }
    const std::string address = ClientAddress(request.remote);
    ConsoleAuth::SignIn result = state->auth.TrySignIn(address, **password);
    if (result.retry_after_ms > 0) {
      const int64_t seconds = (result.retry_after_ms + 999) / 1000;
      Response r = JsonError(429, "Too many wrong passwords from your address. Try again in " +
                                      std::to_string(seconds) + " s.");
      r.headers.Set("Retry-After", std::to_string(seconds));
      return respond(std::move(r));
    }
    if (!result.ok) {
      log::Warn("console", "wrong console password", {{"client", address}});
      return respond(JsonError(401, "Wrong password."));
    }
    log::Info("console", "signed in", {{"client", address}});
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("expires").Int64(state->now_ms() + kSessionMs).EndObject();
    Response r = JsonOk(std::move(out));
    r.headers.Set("Set-Cookie", CookieHeader(result.cookie, kSessionMs / 1000, state->secure_cookie));
    respond(std::move(r));
  };
  router->AddPath("POST", "/console/api/signin", std::move(signin));

  AddGated(router, state, "POST", "/console/api/signout",
           [](ConsoleState& s, const Request& request, Responder respond) {
             // Gated, so the header holds a valid cookie.
             auto header = request.headers.Get("Cookie");
             s.auth.Revoke(ConsoleAuth::FromCookieHeader(*header));
             Response r = JsonOk("{}");
             r.headers.Set("Set-Cookie", CookieHeader("", 0, s.secure_cookie));
             respond(std::move(r));
           });
  AddGated(router, state, "GET", "/console/api/session",
           [](ConsoleState&, const Request&, Responder respond) { respond(JsonOk("{}")); });
}

}  // namespace

Response JsonError(int status, std::string_view message) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("error").String(message).EndObject();
  Response r = Response::Json(status, std::move(out));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

Response JsonOk(std::string body) {
  Response r = Response::Json(200, std::move(body));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

Result<int64_t> QueryMs(const Query& query, const std::string& name) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) {
    return Status::InvalidArgument(name + " is required (epoch milliseconds)");
  }
  int64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return Status::InvalidArgument(name + " must be epoch milliseconds, not '" + s + "'");
  }
  return v;
}

void CallApi(const ConsoleState& state, std::string_view path, std::string body,
             std::function<void(Response)> done) {
  static std::atomic<uint64_t> calls{0};
  Unrouted unrouted;
  const Route* route = state.router->Find("POST", path, "", &unrouted);
  if (route == nullptr || !route->buffered) {
    return done(JsonError(500, "the console needs the " + std::string(path) + " API"));
  }
  Request request;
  request.method = "POST";
  request.target = request.path = std::string(path);
  request.headers.Add("Content-Type", "application/json");
  request.body = std::move(body);
  request.request_id = "console-" + std::to_string(++calls);
  request.access_key_id = "console";
  request.internal = true;  // signed in with the console password, not an access key
  request.route = route;
  route->buffered(std::move(request), std::move(done));
}

std::string ApiErrorMessage(const Response& response) {
  Result<video::JsonRequest> doc = video::JsonRequest::Parse(response.body);
  if (doc.ok()) {
    auto message = doc->String("message");
    if (message.ok() && *message && !(*message)->empty()) return **message;
  }
  return "the server answered " + std::to_string(response.status);
}

Status RegisterConsoleRoutes(const ConsoleOptions& options, video::VideoContext* video,
                             streams::StreamEngine* streams, Router* router) {
  OSPREY_ASSIGN_OR_RETURN(LoadedPassword loaded,
                          LoadOrCreatePassword({options.password, options.data_dir}));
  if (loaded.created) {
    log::Warn("console", "generated the web console password; it is shown only this once",
              {{"password", loaded.password}, {"file", loaded.path}});
  }
  auto state = std::make_shared<ConsoleState>(loaded.password, [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  });
  state->video = video;
  state->streams = streams;
  state->secure_cookie = options.secure_cookie;
  state->router = router;
  RegisterAssets(router);
  RegisterSignIn(router, state);
  auto query = [](const Request& r) { return video::ParseQuery(r.query); };
  AddGated(router, state, "GET", "/console/api/streams",
           [](ConsoleState& s, const Request&, Responder respond) { respond(ListStreams(s)); });
  AddGated(router, state, "GET", "/console/api/timeline",
           [query](ConsoleState& s, const Request& r, Responder respond) {
             respond(Timeline(s, query(r)));
           });
  AddGated(router, state, "GET", "/console/api/events",
           [query](ConsoleState& s, const Request& r, Responder respond) {
             respond(Events(s, query(r)));
           });
  AddGated(router, state, "GET", "/console/api/thumbnail",
           [query](ConsoleState& s, const Request& r, Responder respond) {
             Thumbnail(s, query(r), std::move(respond));
           });
  AddGated(router, state, "GET", "/console/api/hls",
           [query](ConsoleState& s, const Request& r, Responder respond) {
             HlsSession(s, query(r), std::move(respond));
           });
  AddGated(router, state, "GET", "/console/api/clip",
           [query](ConsoleState& s, const Request& r, Responder respond) {
             Clip(s, query(r), std::move(respond));
           });
  return Status::Ok();
}

}  // namespace osprey::server::console
