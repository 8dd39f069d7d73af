// Routes shared by the server's HTTP/1.1 and HTTP/2 tests.
#pragma once

#include <memory>

#include "osprey/server/router.h"

namespace osprey::server::testing {

// Reads a request body to its end, discarding it.
inline void Drain(std::shared_ptr<Exchange> ex) {
  ex->ReadSome([ex](Status s, std::string_view, bool eof) {
    if (s.ok() && !eof) Drain(ex);
  });
}

// Like a camera's PutMedia: the upload never ends by itself; the answer is
// "started" at once and "bye" plus the end of the body when the server
// shuts down (Exchange::OnShutdown).
inline Route LiveRoute() {
  Route live;
  live.api = "Live";
  live.body = Route::Body::kStreaming;
  live.signs_empty_payload = true;
  live.streaming = [](std::shared_ptr<Exchange> ex) {
    ex->OnShutdown([ex] {
      ex->Write("bye");
      ex->Finish();
    });
    ex->StartResponse(200, Headers{});
    ex->Write("started");
    Drain(ex);
  };
  return live;
}

}  // namespace osprey::server::testing
