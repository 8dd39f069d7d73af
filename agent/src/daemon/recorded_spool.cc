#include "daemon/recorded_spool.h"

#include <cstdio>

namespace osprey::agent {

Result<std::optional<SpooledFragment>> RecordedSpool::ReadFrom(uint64_t seq) {
  if (seq == 0) seq = 1;
  if (seq > files_.size()) return std::optional<SpooledFragment>();
  const RecordedFile& f = files_[seq - 1];
  std::FILE* in = std::fopen(f.path.c_str(), "rb");
  if (in == nullptr) {
    // Pruned since it was queued: Corruption makes the uplink skip it.
    return Status::Corruption("recorded file " + f.path + " is gone");
  }
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) data.append(buf, n);
  std::fclose(in);
  std::string_view header, cluster;
  if (Status s = SplitRecordedFragment(data, &header, &cluster); !s.ok()) {
    return Status::Corruption(f.path + ": " + s.message());
  }
  SpooledFragment out;
  out.seq = seq;
  out.producer_timestamp_ms = f.producer_timestamp_ms;
  out.stream_header = std::string(header);
  out.cluster = std::string(cluster);
  return std::optional<SpooledFragment>(std::move(out));
}

bool RecordedSpool::WaitFor(uint64_t seq, std::chrono::milliseconds timeout) {
  if (seq <= files_.size()) return true;
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return closed_; });
  return false;
}

Status RecordedSpool::Acknowledge(uint64_t seq) {
  std::lock_guard lock(mu_);
  if (seq > files_.size()) return Status::InvalidArgument("acknowledge beyond the last record");
  acked_ = std::max(acked_, seq);
  return Status::Ok();
}

std::optional<int64_t> RecordedSpool::LastProducerTimestamp() const {
  if (files_.empty()) return std::nullopt;
  return files_.back().producer_timestamp_ms;
}

uint64_t RecordedSpool::acked_seq() const {
  std::lock_guard lock(mu_);
  return acked_;
}

SpoolStats RecordedSpool::Stats() const {
  SpoolStats s;
  s.first_seq = files_.empty() ? 0 : 1;
  s.last_seq = files_.size();
  s.acked_seq = acked_seq();
  return s;
}

void RecordedSpool::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace osprey::agent
