#include "kinesis_reader.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "kpl_aggregation.h"
#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "osprey/streams/stream_engine.h"

namespace osprey::firehose {
namespace {

// Bytes copied per shard read: bounded so one busy shard cannot hold the
// pass (and the delivery log's group commit) for long.
constexpr size_t kReadBytes = 4u << 20;
constexpr int kReadsPerShardPerPass = 8;

std::string PositionTag(const std::string& shard_id, uint64_t index) {
  return shard_id + " " + std::to_string(index);
}

}  // namespace

Result<std::unique_ptr<KinesisReader>> KinesisReader::Open(streams::StreamEngine* engine,
                                                           std::string stream, int64_t start_ms,
                                                           streams::ShardLog* log, std::string dir,
                                                           const FirehoseOptions* options) {
  std::unique_ptr<KinesisReader> r(new KinesisReader());
  r->engine_ = engine;
  r->stream_ = std::move(stream);
  r->start_ms_ = start_ms;
  r->log_ = log;
  r->checkpoint_path_ = dir + "/source_checkpoint";
  r->options_ = options;
  r->log_end_ = log->TrimHorizon();
  OSPREY_RETURN_IF_ERROR(r->LoadCheckpoint());
  OSPREY_RETURN_IF_ERROR(r->Rescan());
  if (options->start_workers) r->thread_ = std::thread([p = r.get()] { p->Loop(); });
  return r;
}

KinesisReader::~KinesisReader() { Close(); }

void KinesisReader::Close() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void KinesisReader::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    size_t copied = PollOnce();
    lock.lock();
    // A full pass means more is probably waiting: go again at once.
    if (copied == 0 && !stop_) cv_.wait_for(lock, std::chrono::milliseconds(options_->poll_interval_ms));
  }
}

// Format, one item per line: "log_end N", "shard ID NEXT", "done ID".
Status KinesisReader::LoadCheckpoint() {
  auto text = ReadFile(checkpoint_path_);
  if (!text.ok()) {
    return text.status().code() == Status::Code::kNotFound ? Status::Ok() : text.status();
  }
  std::istringstream in(*text);
  std::string word;
  while (in >> word) {
    std::string id;
    uint64_t n = 0;
    if (word == "log_end" && in >> n) {
      log_end_ = std::max(log_end_, n);
    } else if (word == "shard" && in >> id >> n) {
      next_[id] = n;
    } else if (word == "done" && in >> id) {
      finished_.insert(id);
    } else {
      return Status::Corruption(checkpoint_path_ + ": malformed source checkpoint");
    }
  }
  return Status::Ok();
}

// Records appended after the last checkpoint write: their tags say how far
// each shard really got.
Status KinesisReader::Rescan() {
  uint64_t from = log_end_;
  for (;;) {
    OSPREY_ASSIGN_OR_RETURN(streams::ReadResult read, log_->Read(from, streams::ReadLimits{}));
    if (read.records.empty()) break;
    for (const streams::Record& rec : read.records) {
      if (!rec.explicit_hash_key) continue;
      const std::string& tag = *rec.explicit_hash_key;
      size_t space = tag.find(' ');
      if (space == std::string::npos) continue;
      uint64_t index = std::strtoull(tag.c_str() + space + 1, nullptr, 10);
      uint64_t& next = next_[tag.substr(0, space)];
      next = std::max(next, index + 1);
    }
    from = read.next_index;
  }
  log_end_ = from;
  return Status::Ok();
}

Status KinesisReader::SaveCheckpoint() {
  std::string text = "log_end " + std::to_string(log_end_) + "\n";
  for (const auto& [id, next] : next_) text += "shard " + id + " " + std::to_string(next) + "\n";
  for (const std::string& id : finished_) text += "done " + id + "\n";
  return WriteFileAtomically(checkpoint_path_, text);
}

Result<size_t> KinesisReader::CopyShard(const std::string& shard_id, uint32_t index, bool* changed) {
  auto pos = next_.find(shard_id);
  if (pos == next_.end()) {
    streams::IteratorRequest at;
    at.type = streams::IteratorType::kAtTimestamp;
    at.timestamp_ms = start_ms_;
    OSPREY_ASSIGN_OR_RETURN(streams::ShardPosition p, engine_->ResolvePosition(stream_, shard_id, at));
    pos = next_.emplace(shard_id, p.index).first;
    *changed = true;
  }
  size_t copied = 0;
  for (int i = 0; i < kReadsPerShardPerPass; ++i) {
    streams::ReadLimits limits;
    limits.max_bytes = kReadBytes;
    OSPREY_ASSIGN_OR_RETURN(streams::ShardReadResult read,
                            engine_->ReadShard(stream_, index, pos->second, limits));
    if (!read.records.empty()) {
      std::vector<streams::RecordInput> inputs;
      inputs.reserve(read.records.size());
      for (streams::StreamRecord& rec : read.records) {
        // KPL aggregates become their user records (spec 7), each tagged
        // with the aggregate's position, so Rescan still sees how far the
        // shard got.
        if (auto users = DeaggregateKpl(rec.data)) {
          for (UserRecord& u : *users) {
            inputs.push_back(streams::RecordInput{std::move(u.partition_key),
                                                  PositionTag(shard_id, rec.sequence_index),
                                                  std::move(u.data)});
          }
          continue;
        }
        inputs.push_back(streams::RecordInput{std::move(rec.partition_key),
                                              PositionTag(shard_id, rec.sequence_index),
                                              std::move(rec.data)});
      }
      OSPREY_ASSIGN_OR_RETURN(streams::AppendResult appended, log_->AppendAndWait(std::move(inputs)));
      log_end_ = appended.last_index + 1;
      copied += read.records.size();
      *changed = true;
    }
    if (read.next_index != pos->second) *changed = true;
    pos->second = read.next_index;
    if (read.shard_end) {
      finished_.insert(shard_id);
      next_.erase(pos);
      *changed = true;
      break;
    }
    if (read.records.empty()) break;
  }
  return copied;
}

size_t KinesisReader::PollOnce() {
  std::lock_guard lock(poll_mu_);
  auto warn = [this](const char* what, const Status& st) {
    int64_t now = options_->clock();
    if (now < next_warning_ms_) return;
    next_warning_ms_ = now + 60'000;  // a deleted source stream would otherwise log every poll
    log::Warn("firehose", what, {{"source", stream_}, {"error", st.ToString()}});
  };
  auto shards = engine_->ListShards(stream_, streams::ShardFilter{});
  if (!shards.ok()) {
    warn("listing the source stream's shards failed", shards.status());
    if (shards.status().code() == Status::Code::kNotFound) {
      SetFailure("The source Kinesis stream " + stream_ + " no longer exists: " +
                 shards.status().message());
    }
    return 0;
  }
  SetFailure("");
  std::set<std::string> listed;
  for (const streams::ShardDescription& s : *shards) listed.insert(s.shard_id);
  size_t copied = 0;
  bool changed = false;
  for (const streams::ShardDescription& s : *shards) {
    if (finished_.count(s.shard_id)) continue;
    // A parent still listed and not read to its end holds its children
    // back; a parent gone past retention cannot be read any more anyway.
    auto waiting = [&](const std::optional<std::string>& parent) {
      return parent && listed.count(*parent) && !finished_.count(*parent);
    };
    if (waiting(s.parent_shard_id) || waiting(s.adjacent_parent_shard_id)) continue;
    auto n = CopyShard(s.shard_id, s.index, &changed);
    if (!n.ok()) {
      warn("reading the source stream failed", n.status());
      break;  // a failed append leaves the log sticky-failed; retry the whole pass later
    }
    copied += *n;
  }
  // Shards that left the listing (expired) are forgotten, so the
  // checkpoint does not grow with every reshard.
  for (auto it = finished_.begin(); it != finished_.end();) {
    it = listed.count(*it) ? std::next(it) : (changed = true, finished_.erase(it));
  }
  if (changed) {
    Status st = SaveCheckpoint();
    if (!st.ok()) warn("writing the source checkpoint failed", st);
  }
  return copied;
}

void KinesisReader::SetFailure(std::string failure) {
  std::lock_guard lock(failure_mu_);
  failure_ = std::move(failure);
}

std::string KinesisReader::Failure() const {
  std::lock_guard lock(failure_mu_);
  return failure_;
}

}  // namespace osprey::firehose
