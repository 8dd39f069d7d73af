#include "pipeline/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include "osprey/base/file_util.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"

namespace osprey::ml_hooks::pipeline {
namespace {

constexpr uint64_t kCompactAt = 4 * 1024 * 1024;

int64_t IntOf(const Value& doc, std::string_view key) {
  const Value* v = doc.Find(key);
  return v != nullptr && v->type() == Value::Type::kInt ? v->as_int() : 0;
}

}  // namespace

FragmentJournal::~FragmentJournal() { ::close(fd_); }

std::string FragmentJournal::Render(const JournalEntry& e) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("fragment_number").String(e.fragment_number)
      .Key("continuation_token").String(e.continuation_token)
      .Key("producer_ms").Int64(e.producer_ms)
      .Key("server_ms").Int64(e.server_ms)
      .Key("frames").Int64(e.frames)
      .Key("dropped").Int64(e.dropped)
      .Key("events").Int64(e.events)
      .Key("next_track_id").Uint64(e.next_track_id)
      .EndObject();
  out += '\n';
  return out;
}

Result<JournalEntry> FragmentJournal::Parse(std::string_view line) {
  OSPREY_ASSIGN_OR_RETURN(Value doc, ParseJson(line));
  if (doc.type() != Value::Type::kMap) return Status::Corruption("journal line is not an object");
  const Value* token = doc.Find("continuation_token");
  const Value* number = doc.Find("fragment_number");
  if (token == nullptr || token->type() != Value::Type::kString || number == nullptr ||
      number->type() != Value::Type::kString) {
    return Status::Corruption("journal line without fragment_number/continuation_token");
  }
  JournalEntry e;
  e.fragment_number = number->as_string();
  e.continuation_token = token->as_string();
  e.producer_ms = IntOf(doc, "producer_ms");
  e.server_ms = IntOf(doc, "server_ms");
  e.frames = IntOf(doc, "frames");
  e.dropped = IntOf(doc, "dropped");
  e.events = IntOf(doc, "events");
  e.next_track_id = static_cast<uint64_t>(std::max<int64_t>(1, IntOf(doc, "next_track_id")));
  return e;
}

Result<std::unique_ptr<FragmentJournal>> FragmentJournal::Open(const std::string& path) {
  std::string text;
  if (Result<std::string> r = ReadFile(path); r.ok()) {
    text = std::move(r).value();
  } else if (r.status().code() != Status::Code::kNotFound) {
    return r.status();
  }
  // Only complete lines count: a crash mid-write leaves a tail without '\n'.
  const size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("open " + path, errno);
  if (keep != text.size()) {
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0 || ::fdatasync(fd) != 0) {
      Status s = Status::FromErrno("truncate torn tail of " + path, errno);
      ::close(fd);
      return s;
    }
  }
  std::unique_ptr<FragmentJournal> journal(new FragmentJournal(path, fd, keep));
  if (keep > 0) {
    const size_t prev = text.rfind('\n', keep - 2);
    const size_t begin = prev == std::string::npos ? 0 : prev + 1;
    Result<JournalEntry> e = Parse(std::string_view(text).substr(begin, keep - 1 - begin));
    if (!e.ok()) return e.status().WithContext("last line of " + path);
    journal->last_ = std::move(e).value();
  }
  if (::lseek(fd, static_cast<off_t>(keep), SEEK_SET) < 0) {
    return Status::FromErrno("seek " + path, errno);
  }
  return journal;
}

Status FragmentJournal::Append(const JournalEntry& entry) {
  const std::string line = Render(entry);
  OSPREY_RETURN_IF_ERROR(WriteFully(fd_, line));
  if (::fdatasync(fd_) != 0) return Status::FromErrno("fdatasync " + path_, errno);
  size_ += line.size();
  last_ = entry;
  if (size_ > kCompactAt) return Compact();
  return Status::Ok();
}

Status FragmentJournal::Compact() {
  const std::string line = Render(*last_);
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(path_, line, AtomicWriteOptions{}));
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("reopen " + path_, errno);
  ::close(fd_);
  fd_ = fd;
  size_ = line.size();
  return Status::Ok();
}

}  // namespace osprey::ml_hooks::pipeline
