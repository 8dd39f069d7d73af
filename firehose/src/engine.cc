// FirehoseEngine implementation: the registry and the per-stream
// DeliveryStreams (engine.h).
#include "osprey/firehose/engine.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

#include "delivery_stream.h"
#include "kinesis_reader.h"
#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "osprey/streams/stream_engine.h"
#include "registry.h"

namespace osprey::firehose {

std::string_view StatusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kCreating: return "CREATING";
    case StreamStatus::kActive: return "ACTIVE";
    case StreamStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

namespace {

std::string NewIncarnation() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

class Engine : public FirehoseEngine {
 public:
  explicit Engine(FirehoseOptions options) : options_(std::move(options)) {}
  ~Engine() override { (void)Close(); }

  Status Init() {
    OSPREY_RETURN_IF_ERROR(MakeDirs(options_.root_dir));
    OSPREY_ASSIGN_OR_RETURN(auto loaded, LoadRegistry(RegistryPath()));
    for (DeliveryStreamInfo& info : loaded) {
      info.arn = Arn(info.name);
      Entry entry{std::move(info), nullptr, nullptr};
      OSPREY_ASSIGN_OR_RETURN(entry.stream, OpenStream(entry.info));
      OSPREY_ASSIGN_OR_RETURN(entry.reader, OpenReader(entry.info, entry.stream.get()));
      streams_.emplace(entry.info.name, std::move(entry));
    }
    return Status::Ok();
  }

  Status Create(const CreateRequest& req) override {
    if (req.type != "DirectPut" && req.type != kKinesisSource) {
      return Status::InvalidArgument("DeliveryStreamType " + req.type + " is not supported");
    }
    if (req.type == kKinesisSource) OSPREY_RETURN_IF_ERROR(CheckSource(req.source_stream_arn).status());
    {
      DeliveryStreamInfo probe;
      probe.destination_kind = req.destination_kind;
      probe.destination = req.destination;
      OSPREY_RETURN_IF_ERROR(BuildConfig(probe).status());
    }
    if (req.tags.size() > options_.max_tags) {
      return Status::ResourceExhausted("Number of tags exceeds the limit of " +
                                       std::to_string(options_.max_tags));
    }
    std::lock_guard lock(mu_);
    if (streams_.count(req.name)) {
      return Status::AlreadyExists("Firehose " + req.name + " under account " + options_.account +
                                   " already exists.");
    }
    if (streams_.size() >= options_.max_streams) {
      return Status::ResourceExhausted("You have already consumed your firehose quota of " +
                                       std::to_string(options_.max_streams) + " hoses.");
    }
    Entry entry;
    entry.info.name = req.name;
    entry.info.arn = Arn(req.name);
    entry.info.type = req.type;
    entry.info.status = options_.create_delay_ms > 0 ? StreamStatus::kCreating : StreamStatus::kActive;
    entry.info.create_ms = options_.clock();
    entry.info.throughput_hint_mbs = req.throughput_hint_mbs;
    entry.info.destination_kind = req.destination_kind;
    entry.info.destination = req.destination;
    entry.info.tags = req.tags;
    entry.info.incarnation = NewIncarnation();
    if (req.type == kKinesisSource) {
      entry.info.source_stream_arn = req.source_stream_arn;
      entry.info.source_role_arn = req.source_role_arn;
      entry.info.delivery_start_ms = entry.info.create_ms;
    }
    // A directory left by a delete that crashed half-way is not ours.
    OSPREY_RETURN_IF_ERROR(RemoveTree(StreamDir(req.name)));
    OSPREY_ASSIGN_OR_RETURN(entry.stream, OpenStream(entry.info));
    // On failure `entry` goes away, and its stream's destructor closes it.
    OSPREY_ASSIGN_OR_RETURN(entry.reader, OpenReader(entry.info, entry.stream.get()));
    streams_.emplace(req.name, std::move(entry));
    Status st = SaveLocked();
    if (!st.ok()) {
      auto node = streams_.extract(req.name);
      if (node.mapped().reader) node.mapped().reader->Close();
      (void)node.mapped().stream->Close();
      (void)RemoveTree(StreamDir(req.name));
      return st;
    }
    return Status::Ok();
  }

  Result<DeliveryStreamInfo> Describe(const std::string& name) override {
    std::lock_guard lock(mu_);
    OSPREY_ASSIGN_OR_RETURN(Entry* e, FindLocked(name));
    DeliveryStreamInfo info = e->info;
    if (e->reader) {
      if (std::string why = e->reader->Failure(); !why.empty()) {
        info.failure_type = "UNKNOWN_ERROR";
        info.failure_details = std::move(why);
      }
    }
    return info;
  }

  std::vector<std::string> List(const std::string& type_filter) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [name, e] : streams_) {
      if (type_filter.empty() || e.info.type == type_filter) out.push_back(name);
    }
    return out;
  }

  Status Delete(const std::string& name) override {
    std::shared_ptr<DeliveryStream> stream;
    std::shared_ptr<KinesisReader> reader;
    {
      std::lock_guard lock(mu_);
      OSPREY_ASSIGN_OR_RETURN(Entry* e, FindLocked(name));
      if (e->info.status == StreamStatus::kCreating) {
        return Status::FailedPrecondition("Firehose " + name + " under account " + options_.account +
                                          " is in CREATING state and cannot be deleted.");
      }
      stream = std::move(e->stream);
      reader = std::move(e->reader);
      streams_.erase(name);
      OSPREY_RETURN_IF_ERROR(SaveLocked());
    }
    // Undelivered records are dropped (spec 3 DeleteDeliveryStream). The
    // reader goes first: it appends to the stream's log.
    if (reader) reader->Close();
    (void)stream->Close();
    return RemoveTree(StreamDir(name));
  }

  void PutRecordsAsync(const std::string& name, std::vector<std::string> records,
                       PutCallback done) override {
    std::shared_ptr<DeliveryStream> stream;
    {
      std::lock_guard lock(mu_);
      auto found = FindLocked(name);
      if (!found.ok() || (*found)->info.status != StreamStatus::kActive) {
        done(NotFound(name));
        return;
      }
      if ((*found)->info.type != "DirectPut") {
        done(Status::InvalidArgument(
            "This operation is not permitted on KinesisStreamAsSource delivery stream type."));
        return;
      }
      stream = (*found)->stream;
    }
    stream->Put(std::move(records), std::move(done));
  }

  Status UpdateDestination(const std::string& name, int64_t expected_version,
                           const Mutation& mutate) override {
    std::lock_guard lock(mu_);
    OSPREY_ASSIGN_OR_RETURN(Entry* e, FindLocked(name));
    if (e->info.status != StreamStatus::kActive) {
      return Status::FailedPrecondition("Firehose " + name + " under account " + options_.account +
                                        " is not ACTIVE.");
    }
    if (expected_version != e->info.version_id) {
      return Status::FailedPrecondition("Cannot update firehose: " + name +
                                        " since the current version id: " +
                                        std::to_string(e->info.version_id) +
                                        " and specified version id: " +
                                        std::to_string(expected_version) + " do not match");
    }
    OSPREY_ASSIGN_OR_RETURN(auto change, mutate(e->info));
    DeliveryStreamInfo before = e->info;
    e->info.destination_kind = change.first;
    e->info.destination = std::move(change.second);
    e->info.version_id += 1;
    e->info.update_ms = options_.clock();
    auto config = BuildConfig(e->info);
    Status st = config.ok() ? SaveLocked() : config.status();
    if (!st.ok()) {
      e->info = std::move(before);
      return st;
    }
    e->stream->Reconfigure(std::move(*config));
    return Status::Ok();
  }

  Status Tag(const std::string& name, const std::map<std::string, std::string>& tags) override {
    std::lock_guard lock(mu_);
    OSPREY_ASSIGN_OR_RETURN(Entry* e, FindActiveLocked(name));
    auto merged = e->info.tags;
    for (const auto& [k, v] : tags) merged[k] = v;
    if (merged.size() > options_.max_tags) {
      return Status::ResourceExhausted("Number of tags exceeds the limit of " +
                                       std::to_string(options_.max_tags));
    }
    std::swap(e->info.tags, merged);
    Status st = SaveLocked();
    if (!st.ok()) std::swap(e->info.tags, merged);
    return st;
  }

  Status Untag(const std::string& name, const std::vector<std::string>& keys) override {
    std::lock_guard lock(mu_);
    OSPREY_ASSIGN_OR_RETURN(Entry* e, FindActiveLocked(name));
    auto kept = e->info.tags;
    for (const std::string& k : keys) kept.erase(k);
    std::swap(e->info.tags, kept);
    Status st = SaveLocked();
    if (!st.ok()) std::swap(e->info.tags, kept);
    return st;
  }

  Status Close() override {
    std::map<std::string, Entry> streams;
    {
      std::lock_guard lock(mu_);
      streams.swap(streams_);
    }
    Status first;
    for (auto& [name, e] : streams) {
      if (e.reader) e.reader->Close();
      Status st = e.stream->Close();
      if (first.ok() && !st.ok()) first = st;
    }
    return first;
  }

  void TEST_RunDeliveryOnce() override {
    std::vector<std::shared_ptr<DeliveryStream>> all;
    std::vector<std::shared_ptr<KinesisReader>> readers;
    {
      std::lock_guard lock(mu_);
      for (auto& [name, e] : streams_) {
        all.push_back(e.stream);
        if (e.reader) readers.push_back(e.reader);
      }
    }
    for (auto& r : readers) r->PollOnce();
    for (auto& s : all) s->RunOnce();
  }

  Result<DeliveryStats> TEST_Stats(const std::string& name) override {
    std::shared_ptr<DeliveryStream> stream;
    {
      std::lock_guard lock(mu_);
      OSPREY_ASSIGN_OR_RETURN(Entry* e, FindLocked(name));
      stream = e->stream;
    }
    return stream->Stats();
  }

 private:
  struct Entry {
    DeliveryStreamInfo info;
    std::shared_ptr<DeliveryStream> stream;
    std::shared_ptr<KinesisReader> reader;  // KinesisStreamAsSource only
  };

  static constexpr std::string_view kKinesisSource = "KinesisStreamAsSource";

  // The data stream's name for a source ARN that names an existing stream.
  Result<std::string> CheckSource(const std::string& arn) const {
    if (options_.data_streams == nullptr) {
      return Status::InvalidArgument("KinesisStreamAsSource needs a data-stream engine");
    }
    auto name = options_.data_streams->StreamNameFromArn(arn);
    Status st = name.ok() ? options_.data_streams->DescribeStream(*name).status() : name.status();
    // Spec 3: a missing source stream is InvalidArgumentException.
    if (!st.ok()) return Status::InvalidArgument(st.message());
    return name;
  }

  Result<std::shared_ptr<KinesisReader>> OpenReader(const DeliveryStreamInfo& info,
                                                    DeliveryStream* stream) {
    if (info.type != kKinesisSource) return std::shared_ptr<KinesisReader>();
    if (options_.data_streams == nullptr) {
      log::Warn("firehose", "no data-stream engine: Kinesis source not read", {{"stream", info.name}});
      return std::shared_ptr<KinesisReader>();
    }
    // A source deleted while we were down: keep the delivery stream (its
    // undelivered records still go out); the reader just finds nothing.
    auto source = options_.data_streams->StreamNameFromArn(info.source_stream_arn);
    if (!source.ok()) {
      // Another region or account configured since: keep serving the rest.
      log::Warn("firehose", "Kinesis source not read", {{"stream", info.name},
                {"error", source.status().ToString()}});
      return std::shared_ptr<KinesisReader>();
    }
    OSPREY_ASSIGN_OR_RETURN(auto r, KinesisReader::Open(options_.data_streams, *source,
                                                        info.delivery_start_ms, stream->log(),
                                                        StreamDir(info.name), &options_));
    return std::shared_ptr<KinesisReader>(std::move(r));
  }

  std::string RegistryPath() const { return options_.root_dir + "/streams.json"; }
  std::string StreamDir(const std::string& name) const { return options_.root_dir + "/" + name; }
  std::string Arn(const std::string& name) const {
    return "arn:aws:firehose:" + options_.region + ":" + options_.account + ":deliverystream/" + name;
  }
  Status NotFound(const std::string& name) const {
    return Status::NotFound("Firehose " + name + " under account " + options_.account + " not found.");
  }

  // The worker's view of a stream: its destination parsed by kind.
  Result<WorkerConfig> BuildConfig(const DeliveryStreamInfo& info) const {
    WorkerConfig c{info.name, Arn(info.name), options_.region, info.incarnation, info.version_id, {}, {}};
    if (info.destination_kind == kExtendedS3 || info.destination_kind == kS3) {
      OSPREY_ASSIGN_OR_RETURN(c.destination, ParseS3Destination(info.destination));
    } else if (info.destination_kind == kHttpEndpoint) {
      OSPREY_ASSIGN_OR_RETURN(HttpEndpointDestination h,
                              ParseHttpEndpointDestination(info.destination, options_.allow_plain_http));
      c.destination = h.s3;
      c.http = std::move(h);
    } else {
      return Status::InvalidArgument("Destination type " + info.destination_kind +
                                     " is not supported yet by Osprey");
    }
    return c;
  }

  Result<std::shared_ptr<DeliveryStream>> OpenStream(const DeliveryStreamInfo& info) {
    OSPREY_ASSIGN_OR_RETURN(WorkerConfig config, BuildConfig(info));
    OSPREY_ASSIGN_OR_RETURN(auto s, DeliveryStream::Open(std::move(config), StreamDir(info.name),
                                                         &options_, options_.object_store.get(),
                                                         options_.lambda_invoker.get()));
    return std::shared_ptr<DeliveryStream>(std::move(s));
  }

  // REQUIRES: mu_ held. Also moves CREATING streams whose delay passed to
  // ACTIVE (persisted with the next registry write).
  Result<Entry*> FindLocked(const std::string& name) {
    auto it = streams_.find(name);
    if (it == streams_.end()) return NotFound(name);
    DeliveryStreamInfo& info = it->second.info;
    if (info.status == StreamStatus::kCreating &&
        options_.clock() - info.create_ms >= options_.create_delay_ms) {
      info.status = StreamStatus::kActive;
    }
    return &it->second;
  }

  Result<Entry*> FindActiveLocked(const std::string& name) {
    OSPREY_ASSIGN_OR_RETURN(Entry* e, FindLocked(name));
    if (e->info.status != StreamStatus::kActive) {
      return Status::FailedPrecondition("Firehose " + name + " under account " + options_.account +
                                        " is not ACTIVE.");
    }
    return e;
  }

  // REQUIRES: mu_ held.
  Status SaveLocked() {
    std::vector<const DeliveryStreamInfo*> all;
    for (auto& [name, e] : streams_) all.push_back(&e.info);
    return SaveRegistry(RegistryPath(), all);
  }

  FirehoseOptions options_;
  std::mutex mu_;
  std::map<std::string, Entry> streams_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<FirehoseEngine>> FirehoseEngine::Open(FirehoseOptions options) {
  if (options.root_dir.empty()) return Status::InvalidArgument("FirehoseOptions::root_dir is empty");
  if (!options.clock) {
    options.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!options.object_store) {
    if (options.s3_root.empty()) return Status::InvalidArgument("FirehoseOptions::s3_root is empty");
    options.object_store = OpenLocalFolderStore(options.s3_root);
  }
  if (!options.lambda_invoker) options.lambda_invoker = MakeMappedInvoker(options.lambda_functions);
  auto engine = std::make_unique<Engine>(std::move(options));
  OSPREY_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<FirehoseEngine>(std::move(engine));
}

}  // namespace osprey::firehose
