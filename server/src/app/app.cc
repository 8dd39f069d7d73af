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

// Wraps the SigV4 verifier in the HTTP layer's Authenticator.
Authenticator MakeAuthenticator(const auth::Verifier* verifier) {
  return [verifier](const Request& request, std::string_view payload_hash,
                    std::string_view service) {
    std::vector<auth::HeaderField> fields;
    fields.reserve(request.headers.entries().size());
    for (const auto& [name, value] : request.headers.entries()) fields.push_back({name, value});
    auth::RequestView view{request.method, request.target, fields};
    auth::VerifyResult result = verifier->Verify(view, payload_hash, service);
    AuthDecision decision;
    if (result.ok()) {
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
  return "http://" + shown + ":" + std::to_string(port);
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
    state->credentials = std::make_unique<auth::CredentialStore>(std::move(loaded.store));
    if (state->credentials->size() == 0) {
      return Status::InvalidArgument(s.credentials_path + " holds no [[keys]]");
    }
    const auth::AccessKey& first = state->credentials->keys().front();
    s.access_key_id = first.access_key_id;
    if (s.credentials_created) s.secret_access_key = first.secret_access_key;
    state->verifier = std::make_unique<auth::Verifier>(state->credentials.get());
    authenticate = MakeAuthenticator(state->verifier.get());
  } else {
    log::Warn("auth", "authentication is off (--auth=none): any local process can call the API");
  }

  RegisterOperationalRoutes(&state->router);
  RegisterProtocolFamilies(&state->router);

  OSPREY_ASSIGN_OR_RETURN(ListenAddress listen, ParseListenAddress(options.listen));
  OSPREY_RETURN_IF_ERROR(StartVideo(options, listen, state.get()));
  OSPREY_RETURN_IF_ERROR(StartDataStreams(options, state.get()));
  OSPREY_RETURN_IF_ERROR(StartFirehose(options, state.get()));
  OSPREY_RETURN_IF_ERROR(console::RegisterConsoleRoutes(
      {options.console_password, s.data_dir, options.public_url.starts_with("https://")},
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
  OSPREY_ASSIGN_OR_RETURN(state->http, HttpServer::Start(http, &state->router, authenticate,
                                                         &MetricsRegistry::Global()));
  s.endpoint = EndpointFor(options, listen.host, state->http->port());
  if (state->video.data_endpoint.empty()) {
    // Port 0: the port exists only now. No client can know it before the
    // banner prints it, so no GetDataEndpoint can be in flight yet.
    state->video.data_endpoint = DataEndpointFor(s.endpoint);
  }
  state->housekeeping->Start();
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
