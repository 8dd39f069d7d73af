// App: the composition root of osprey-server. It owns the data directory
// (and its LOCK), the credential store, the router with every route, the
// metrics registry wiring and the HTTP server. Engines join it as their
// issues land: each adds its routes in its own Register*Routes function.
//
// Threading: Start, RunUntilSignalled and Shutdown from the main thread.
#pragma once

#include <memory>
#include <string>

#include "config/server_options.h"
#include "osprey/base/result.h"

namespace osprey::server {

class App {
 public:
  struct Startup {
    std::string endpoint;          // e.g. http://127.0.0.1:9470 (loopback when bound to any)
    std::string data_dir;          // absolute
    std::string credentials_path;  // absolute
    bool credentials_created = false;
    std::string access_key_id;     // the first key
    std::string secret_access_key; // only when just created, to print once
  };

  static Result<std::unique_ptr<App>> Start(const ServerOptions& options);
  ~App();

  const Startup& startup() const;
  void RunUntilSignalled();
  void Shutdown();

  struct State;

 private:
  explicit App(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace osprey::server
