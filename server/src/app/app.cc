#include "app/app.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "osprey/auth/credentials.h"
#include "osprey/auth/verifier.h"
#include "osprey/base/logging.h"
#include "osprey/base/metrics.h"
#include "osprey/server/http_server.h"
#include "osprey/server/router.h"
#include "app/app_state.h"
#include "console/console_routes.h"

namespace osprey::server {

namespace fs = std::filesystem;


namespace {

// One server per data directory: a second one would corrupt the stores.
// flock is released by the kernel if the process dies, so a kill -9 leaves
// no stale lock behind.
Result<int> LockDataDir(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("open " + path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::FailedPrecondition("data directory " + dir +
                                        " is in use by another osprey-server");
    }
    return Status::FromErrno("lock " + path, err);
  }
  return fd;
}

// The answer to a key over its requests_per_second: each family's
// throttling error, all 400 (video-api.md 1.4; data-streams-api.md 2.2 and
// firehose-api.md 1: LimitExceededException covers "TPS throttles";
// ProvisionedThroughputExceeded is about shards, not callers).
ApiError Throttled(std::string_view service, const std::string& key) {
  const std::string message = "Rate exceeded for access key " + key;
  if (service == "kinesisvideo") return {400, "ClientLimitExceededException", message};
  return {400, "LimitExceededException", message};
}

// Wraps the SigV4 verifier in the HTTP layer's Authenticator, and applies
// the per-key rate limits: authentication runs once per request (once at
// open for PutMedia, GetMedia and WebSocket streams), before any handler.
Authenticator MakeAuthenticator(const AuthKeys* keys) {
  return [keys](const Request& request, std::string_view payload_hash,
                std::string_view service) {
    // One snapshot for the whole check, whatever a reload does meanwhile.
    std::shared_ptr<AuthKeys::Snapshot> snapshot = keys->current();
    const auth::Verifier* verifier = &snapshot->verifier;
    auth::RateLimiter* limiter = &snapshot->limiter;
    std::vector<auth::HeaderField> fields;
    fields.reserve(request.headers.entries().size());
    for (const auto& [name, value] : request.headers.entries()) fields.push_back({name, value});
    auth::RequestView view{request.method, request.target, fields};
    auth::VerifyResult result = verifier->Verify(view, payload_hash, service);
    AuthDecision decision;
    if (result.ok() && !limiter->Admit(result.identity().access_key_id)) {
      decision.error = Throttled(service, result.identity().access_key_id);
    } else if (result.ok()) {
      decision.ok = true;
      decision.access_key_id = result.identity().access_key_id;
    } else {
      const auth::AuthFailure& f = result.failure();
      decision.error = ApiError{f.http_status(service), std::string(f.exception_name()),
                                f.message};
    }
    return decision;
  };
}

void LogKeys(std::string_view what, const auth::CredentialStore& store) {
  size_t with_policy = 0, with_limit = 0;
  for (const auth::AccessKey& key : store.keys()) {
    with_policy += key.policy.has_value();
    with_limit += key.rate_limit.has_value();
  }
  log::Info("auth", what,
            {{"keys", store.size()},
             {"with_policy", with_policy},
             {"with_rate_limit", with_limit}});
}

// SIGHUP: re-read credentials.toml (a broken file keeps the running keys)
// and reopen audit.log (after logrotate renamed it).
void OnHangup(App::State* state) {
  if (state->keys) {
    Result<std::vector<std::string>> reloaded = state->keys->Reload();
    if (reloaded.ok()) {
      for (const auto& w : *reloaded) log::Warn("auth", w);
      LogKeys("access keys reloaded", state->keys->current()->store);
    } else {
      log::Error("auth", "credentials not reloaded; the previous keys stay in force",
                 {{"error", reloaded.status().ToString()}});
    }
  }
  if (state->audit) state->audit->Reopen();
}

void RegisterOperationalRoutes(Router* router) {
  Route health;
  health.api = "healthz";
  health.buffered = [](Request, Responder respond) {
    respond(Response::Json(200, R"({"status":"ok"})"));
  };
  router->AddPath("GET", "/healthz", health);

  Route metrics;
  metrics.api = "metrics";
  metrics.buffered = [](Request, Responder respond) {
    respond(Response::Text(200, MetricsRegistry::Global().RenderPrometheus(),
                           kPrometheusContentType));
  };
  router->AddPath("GET", "/metrics", metrics);
}

// The JSON protocol families we will serve. Declaring them now means an
// unimplemented operation gets AWS's own answer (400 UnknownOperation in the
// family's content type) after authentication.
void RegisterProtocolFamilies(Router* router) {
  router->AddTargetFamily("Kinesis_20131202.", "kinesis", "application/x-amz-json-1.1");
  router->AddTargetFamily("Firehose_20150804.", "firehose", "application/x-amz-json-1.1");
}

}  // namespace

std::string EndpointFor(const ServerOptions& options, const std::string& host, uint16_t port) {
  if (!options.public_url.empty()) return options.public_url;
  std::string shown = host;
  if (shown == "0.0.0.0" || shown.empty()) shown = "127.0.0.1";
  if (shown == "::") shown = "[::1]";
  else if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
  const char* scheme = options.tls_cert.empty() ? "http://" : "https://";
  return scheme + shown + ":" + std::to_string(port);
}

std::string DataEndpointFor(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}


App::App(std::unique_ptr<State> state) : state_(std::move(state)) {}
App::~App() = default;

const App::Startup& App::startup() const { return state_->startup; }

Result<std::unique_ptr<App>> App::Start(const ServerOptions& options) {
  auto state = std::make_unique<State>();
  Startup& s = state->startup;

  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) return Status::IOError("create data directory " + options.data_dir + ": " + ec.message());
  s.data_dir = fs::absolute(options.data_dir, ec).lexically_normal().string();
  if (!s.data_dir.empty() && s.data_dir.back() == '/') s.data_dir.pop_back();
  OSPREY_ASSIGN_OR_RETURN(state->lock_fd, LockDataDir(s.data_dir));

  Authenticator authenticate;
  if (options.auth == "sigv4") {
    s.credentials_path = s.data_dir + "/credentials.toml";
    OSPREY_ASSIGN_OR_RETURN(auto loaded, auth::CredentialStore::LoadOrCreate(s.credentials_path));
    for (const auto& w : loaded.warnings) log::Warn("auth", w, {{"file", s.credentials_path}});
    s.credentials_created = loaded.created;
    if (loaded.store.size() == 0) {
      return Status::InvalidArgument(s.credentials_path + " holds no [[keys]]");
    }
    const auth::AccessKey& first = loaded.store.keys().front();
    s.access_key_id = first.access_key_id;
    if (s.credentials_created) s.secret_access_key = first.secret_access_key;
    LogKeys("access keys loaded", loaded.store);
    state->keys = std::make_unique<AuthKeys>(s.credentials_path, std::move(loaded.store));
    authenticate = MakeAuthenticator(state->keys.get());
  } else {
    log::Warn("auth", "authentication is off (--auth=none): any local process can call the API");
  }

  OSPREY_ASSIGN_OR_RETURN(state->audit, access::AuditLog::Open(s.data_dir + "/audit.log"));
  access::AccessControl::Options access_options;
  access_options.region = options.region;
  if (state->keys) {
    access_options.credentials = [keys = state->keys.get()] { return keys->store(); };
  }
  access_options.audit = state->audit.get();
  state->access = std::make_unique<access::AccessControl>(std::move(access_options));
  state->video.access = state->access.get();
  state->kinesis.access = state->access.get();
  state->firehose.access = state->access.get();

  RegisterOperationalRoutes(&state->router);
  RegisterProtocolFamilies(&state->router);

  OSPREY_ASSIGN_OR_RETURN(ListenAddress listen, ParseListenAddress(options.listen));
  OSPREY_RETURN_IF_ERROR(StartVideo(options, listen, state.get()));
  OSPREY_RETURN_IF_ERROR(StartDataStreams(options, state.get()));
  OSPREY_RETURN_IF_ERROR(StartFirehose(options, state.get()));
  OSPREY_RETURN_IF_ERROR(console::RegisterConsoleRoutes(
      {options.console_password, s.data_dir,
       options.public_url.starts_with("https://") || !options.tls_cert.empty()},
      &state->video, state->streams.get(), &state->router));
  HttpServerOptions http;
  http.host = listen.host;
  http.port = listen.port;
  http.threads = options.threads > 0 ? options.threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http.header_timeout = std::chrono::milliseconds(options.header_timeout_ms);
  http.idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms);
  http.max_body_bytes = static_cast<size_t>(options.max_body_bytes);
  http.max_connections = static_cast<size_t>(options.max_connections);
  http.shutdown_grace = std::chrono::milliseconds(options.shutdown_grace_ms);
  http.tls_cert_file = options.tls_cert;
  http.tls_key_file = options.tls_key;
  OSPREY_ASSIGN_OR_RETURN(state->http, HttpServer::Start(http, &state->router, authenticate,
                                                         &MetricsRegistry::Global()));
  s.endpoint = EndpointFor(options, listen.host, state->http->port());
  if (state->video.data_endpoint.empty()) {
    // Port 0: the port exists only now. No client can know it before the
    // banner prints it, so no GetDataEndpoint can be in flight yet.
    state->video.data_endpoint = DataEndpointFor(s.endpoint);
  }
  state->housekeeping->Start();
  OSPREY_ASSIGN_OR_RETURN(state->hangup,
                          HangupWatcher::Start([st = state.get()] { OnHangup(st); }));
  log::Info("server", "listening",
            {{"addr", listen.host + ":" + std::to_string(state->http->port())},
             {"endpoint", s.endpoint},
             {"data_dir", s.data_dir},
             {"auth", options.auth},
             {"threads", http.threads}});
  return std::unique_ptr<App>(new App(std::move(state)));
}


void App::RunUntilSignalled() { state_->http->RunUntilSignalled(); }

void App::Shutdown() { state_->http->Shutdown(); }

}  // namespace osprey::server
