// The KVS control plane routes (video-api.md sections 1-3, appendix A):
// POST /<lowerCamelName> with a JSON body, answered in the KVS error model.
//
// Reads (Describe, List*, GetDataEndpoint) run on the connection's strand:
// they only take the catalog's lock. Changes fsync the catalog file, so they
// run on one control-plane thread instead, and an I/O thread never waits on
// a disk (video_routes.h). That thread is owned by the routes (the router)
// and drains its queue before it is joined; App destroys the router after
// the HTTP server has finished every request in flight.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "video/access_guard.h"
#include "video/control_plane_internal.h"

namespace osprey::server::video {

namespace {

using control_plane::Operation;

// Runs jobs one at a time, in order, on its own thread.
class SerialWorker {
 public:
  SerialWorker() : thread_([this] { Run(); }) {}
  ~SerialWorker() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  void Post(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every job has run
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                   // GUARDED_BY(mu_)
  std::thread thread_;                      // last: starts after the members above
};

// The one place control-plane Status codes become HTTP errors: KvsError,
// except that ResourceExhausted here always means the tag limit.
Response Fail(const Status& status) {
  if (status.code() == Status::Code::kResourceExhausted) {
    return ErrorResponse({400, "TagsPerResourceExceededLimitException", status.message()});
  }
  return KvsFail(status);
}

Response Run(Operation op, const Request& request, VideoContext* context) {
  Result<JsonRequest> body = JsonRequest::Parse(request.body);
  if (!body.ok()) return Fail(body.status());
  Result<std::string> out = op(*body, context);
  if (!out.ok()) return Fail(out.status());
  return KvsOk(std::move(out).value());
}

struct OperationSpec {
  const char* api;   // metrics and logs
  const char* path;  // as the botocore model has it
  Operation op;
  bool changes;      // writes the catalog: runs on the worker
};

constexpr OperationSpec kOperations[] = {
    {"CreateStream", "/createStream", control_plane::CreateStream, true},
    {"DescribeStream", "/describeStream", control_plane::DescribeStream, false},
    {"ListStreams", "/listStreams", control_plane::ListStreams, false},
    {"DeleteStream", "/deleteStream", control_plane::DeleteStream, true},
    {"UpdateStream", "/updateStream", control_plane::UpdateStream, true},
    {"UpdateDataRetention", "/updateDataRetention", control_plane::UpdateDataRetention, true},
    {"GetDataEndpoint", "/getDataEndpoint", control_plane::GetDataEndpoint, false},
    {"TagStream", "/tagStream", control_plane::TagStream, true},
    {"UntagStream", "/untagStream", control_plane::UntagStream, true},
    {"ListTagsForStream", "/listTagsForStream", control_plane::ListTagsForStream, false},
    // botocore sends these three with a capital letter (requestUri
    // "/TagResource"); the lower-camel paths are registered too, for
    // clients that follow the convention of every other operation.
    {"TagResource", "/TagResource", control_plane::TagResource, true},
    {"UntagResource", "/UntagResource", control_plane::UntagResource, true},
    {"ListTagsForResource", "/ListTagsForResource", control_plane::ListTagsForResource, false},
    {"TagResource", "/tagResource", control_plane::TagResource, true},
    {"UntagResource", "/untagResource", control_plane::UntagResource, true},
    {"ListTagsForResource", "/listTagsForResource", control_plane::ListTagsForResource, false},
};

}  // namespace

void RegisterControlPlaneRoutes(Router* router, VideoContext* context) {
  auto worker = std::make_shared<SerialWorker>();
  for (const OperationSpec& spec : kOperations) {
    Route route;
    route.api = spec.api;
    route.service = "kinesisvideo";
    route.body = Route::Body::kBuffered;
    Operation op = spec.op;
    if (spec.changes) {
      route.buffered = [op, context, worker](Request request, Responder respond) {
        worker->Post([op, context, request = std::move(request), respond = std::move(respond)] {
          respond(Run(op, request, context));
        });
      };
    } else {
      route.buffered = [op, context](Request request, Responder respond) {
        respond(Run(op, request, context));
      };
    }
    router->AddPath("POST", spec.path, Guarded(context, spec.api, std::move(route)));
  }
}

}  // namespace osprey::server::video
