#include "osprey/ml_hooks/runner.h"

#include <chrono>
#include <thread>

#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "pipeline/publisher.h"
#include "pipeline/stream_worker.h"

namespace osprey::ml_hooks {

using pipeline::StreamWorker;

struct MlRunner::Impl {
  MlConfig config;
  pipeline::WorkerEnv env;
  std::unique_ptr<pipeline::EventPublisher> publisher;
  std::map<std::string, std::unique_ptr<StreamWorker>> workers;  // by stream name
  std::map<std::string, std::pair<bool, std::optional<int64_t>>> wildcard_arms;  // rule -> state

  // Every video stream on the server (ListStreams, following NextToken).
  Result<std::vector<std::string>> ListVideoStreams() {
    std::vector<std::string> names;
    std::string token;
    do {
      std::string body;
      JsonWriter w(&body);
      w.BeginObject().Key("MaxResults").Int64(1000);
      if (!token.empty()) w.Key("NextToken").String(token);
      w.EndObject();
      OSPREY_ASSIGN_OR_RETURN(auto r, client::PostJson(env.url, client::KvsCall("/listStreams"), body,
                                                       env.credentials, env.region,
                                                       std::chrono::milliseconds(5000)));
      if (r.status != 200) return Status::Unavailable("ListStreams: " + r.error_type + " " + r.body);
      OSPREY_ASSIGN_OR_RETURN(Value doc, ParseJson(r.body));
      token.clear();
      if (const Value* list = doc.Find("StreamInfoList");
          list != nullptr && list->type() == Value::Type::kArray) {
        for (const Value& info : list->as_array()) {
          const Value* name = info.Find("StreamName");
          if (name != nullptr && name->type() == Value::Type::kString) {
            names.push_back(name->as_string());
          }
        }
      }
      if (const Value* next = doc.Find("NextToken");
          next != nullptr && next->type() == Value::Type::kString) {
        token = next->as_string();
      }
    } while (!token.empty());
    return names;
  }

  Status StartWorker(const StreamConfig& stream) {
    if (workers.count(stream.name) != 0) return Status::Ok();
    OSPREY_ASSIGN_OR_RETURN(auto worker, StreamWorker::Create(config, stream, env));
    for (const auto& [rule, state] : wildcard_arms) {
      (void)worker->Arm(rule, state.first, state.second);
    }
    worker->Start();
    log::Info("ml", "watching stream", {{"stream", stream.name}});
    workers[stream.name] = std::move(worker);
    return Status::Ok();
  }
};

MlRunner::~MlRunner() { Stop(); }

Result<std::unique_ptr<MlRunner>> MlRunner::Create(MlConfig config,
                                                   auth::Credentials credentials) {
  OSPREY_RETURN_IF_ERROR(ValidateMlConfig(config));
  OSPREY_ASSIGN_OR_RETURN(client::Url url, client::ParseEndpoint(config.endpoint));
  url.ca_file = config.ca_file;
  std::unique_ptr<MlRunner> runner(new MlRunner());
  runner->impl_ = std::make_unique<Impl>();
  Impl& impl = *runner->impl_;
  impl.env.url = url;
  impl.env.credentials = credentials;
  impl.env.region = config.region;
  impl.env.state_dir = config.state_dir;
  impl.env.snapshot_dir =
      config.snapshot_dir.empty() ? config.state_dir : config.snapshot_dir;
  impl.env.outputs = config.outputs;
  impl.publisher = std::make_unique<pipeline::EventPublisher>(url, credentials, config.region,
                                                              config.outputs);
  impl.env.publisher = impl.publisher.get();
  impl.config = std::move(config);
  return runner;
}

Status MlRunner::Start() {
  OSPREY_RETURN_IF_ERROR(impl_->publisher->EnsureOutputs());
  for (const StreamConfig& s : impl_->config.streams) {
    if (s.name != "*") OSPREY_RETURN_IF_ERROR(impl_->StartWorker(s));
  }
  return Refresh();
}

Status MlRunner::Refresh() {
  const StreamConfig* wildcard = nullptr;
  for (const StreamConfig& s : impl_->config.streams) {
    if (s.name == "*") wildcard = &s;
  }
  if (wildcard == nullptr) return Status::Ok();
  OSPREY_ASSIGN_OR_RETURN(std::vector<std::string> names, impl_->ListVideoStreams());
  for (const std::string& name : names) {
    if (impl_->workers.count(name) != 0) continue;
    StreamConfig s = *wildcard;
    s.name = name;
    OSPREY_RETURN_IF_ERROR(impl_->StartWorker(s));
  }
  return Status::Ok();
}

void MlRunner::Stop() {
  if (!impl_) return;
  // Workers publish the events of tracks still open; give that a few
  // seconds, then make the publisher give up (server gone, say).
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 250 && !done.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    impl_->publisher->RequestStop();
  });
  for (auto& [name, worker] : impl_->workers) worker->Stop();
  done.store(true);
  watchdog.join();
  impl_->workers.clear();
}

Status MlRunner::Arm(const std::string& stream, const std::string& rule, bool armed,
                     std::optional<int64_t> until_ms) {
  if (stream == "*") {
    impl_->wildcard_arms[rule] = {armed, until_ms};
    for (auto& [name, worker] : impl_->workers) (void)worker->Arm(rule, armed, until_ms);
    return Status::Ok();
  }
  auto it = impl_->workers.find(stream);
  if (it == impl_->workers.end()) return Status::NotFound("no worker for stream " + stream);
  return it->second->Arm(rule, armed, until_ms);
}

Status MlRunner::ClearArm(const std::string& stream, const std::string& rule) {
  if (stream == "*") {
    impl_->wildcard_arms.erase(rule);
    for (auto& [name, worker] : impl_->workers) (void)worker->ClearArm(rule);
    return Status::Ok();
  }
  auto it = impl_->workers.find(stream);
  if (it == impl_->workers.end()) return Status::NotFound("no worker for stream " + stream);
  return it->second->ClearArm(rule);
}

std::vector<StreamStats> MlRunner::stats() const {
  std::vector<StreamStats> out;
  for (const auto& [name, worker] : impl_->workers) out.push_back(worker->stats());
  return out;
}

}  // namespace osprey::ml_hooks
