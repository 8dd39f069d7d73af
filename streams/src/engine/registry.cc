// The registry file: a line-oriented text format (FORMAT.md "Engine
// registry") so that an operator can read it, with a CRC-32C over the whole
// text so that a torn or edited file is detected rather than believed.
#include "registry.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "osprey/base/crc32c.h"
#include "osprey/base/file_util.h"

namespace osprey::streams::engine {

const ShardMeta* StreamMeta::FindShard(uint32_t index) const {
  auto it = std::lower_bound(shards.begin(), shards.end(), index,
                             [](const ShardMeta& s, uint32_t i) { return s.index < i; });
  return it != shards.end() && it->index == index ? &*it : nullptr;
}

ShardMeta* StreamMeta::FindShard(uint32_t index) {
  return const_cast<ShardMeta*>(static_cast<const StreamMeta*>(this)->FindShard(index));
}

uint32_t StreamMeta::OpenShardCount() const {
  return static_cast<uint32_t>(std::count_if(shards.begin(), shards.end(),
                                             [](const ShardMeta& s) { return s.open(); }));
}

namespace {

// Version 2 added the "monitoring", "encryption" and "encchange" lines. Version 1 files
// are read as streams with neither; an older binary refuses version 2
// rather than drop the settings.
constexpr std::string_view kMagic = "osprey-streams-registry 2";
constexpr std::string_view kMagicV1 = "osprey-streams-registry 1";

bool Plain(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("_.-/=+@:,").find(static_cast<char>(c)) != std::string_view::npos;
}

// Tokens are separated by single spaces: every other byte is %XX, and the
// empty string is written "" (a quote is never plain, so "" is unambiguous).
std::string Escape(std::string_view s) {
  if (s.empty()) return "\"\"";
  std::string out;
  for (unsigned char c : s) {
    if (Plain(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::optional<std::string> Unescape(std::string_view s) {
  if (s == "\"\"") return std::string();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      if (!Plain(static_cast<unsigned char>(s[i]))) return std::nullopt;
      out.push_back(s[i]);
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= s.size()) return std::nullopt;
    auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

std::string Opt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
std::string Opt(const std::optional<uint32_t>& v) { return v ? std::to_string(*v) : "-"; }

template <typename T>
bool ParseInt(std::string_view s, T* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

template <typename T>
bool ParseOpt(std::string_view s, std::optional<T>* out) {
  if (s == "-") {
    out->reset();
    return true;
  }
  T v;
  if (!ParseInt(s, &v)) return false;
  *out = v;
  return true;
}

std::vector<std::string_view> Split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t sp = line.find(' ', start);
    out.push_back(line.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) return out;
    start = sp + 1;
  }
}

// Parses one line inside a stream block into *s; false when malformed.
bool ParseStreamLine(const std::vector<std::string_view>& f, StreamMeta* s) {
  const std::string_view kind = f[0];
  if (kind == "tag" && f.size() == 3) {
    auto k = Unescape(f[1]);
    auto v = Unescape(f[2]);
    if (!k || !v) return false;
    s->tags[*k] = *v;
    return true;
  }
  if (kind == "consumer" && f.size() == 3) {
    ConsumerMeta c;
    auto n = Unescape(f[1]);
    if (!n || !ParseInt(f[2], &c.created_ms)) return false;
    c.name = *n;
    s->consumers.push_back(std::move(c));
    return true;
  }
  if (kind == "scale" && f.size() == 2) {
    int64_t ms;
    if (!ParseInt(f[1], &ms)) return false;
    s->shard_count_updates_ms.push_back(ms);
    return true;
  }
  if (kind == "monitoring" && f.size() >= 2 && s->shard_level_metrics.empty()) {
    for (size_t i = 1; i < f.size(); ++i) {
      auto m = Unescape(f[i]);
      if (!m || m->empty()) return false;
      s->shard_level_metrics.push_back(*m);
    }
    return true;
  }
  if (kind == "encchange" && f.size() == 2) {
    int64_t ms;
    if (!ParseInt(f[1], &ms)) return false;
    s->encryption_changes_ms.push_back(ms);
    return true;
  }
  if (kind == "encryption" && f.size() == 2 && !s->kms_key_id) {
    auto k = Unescape(f[1]);
    if (!k || k->empty()) return false;
    s->kms_key_id = *k;
    return true;
  }
  if (kind == "shard" && f.size() == 8) {
    ShardMeta m;
    auto start = ParseHashKey(f[2]);
    auto end = ParseHashKey(f[3]);
    if (!ParseInt(f[1], &m.index) || !start || !end || *start > *end ||
        !ParseInt(f[4], &m.created_ms) || !ParseOpt(f[5], &m.closed_ms) ||
        !ParseOpt(f[6], &m.parent) || !ParseOpt(f[7], &m.adjacent_parent)) {
      return false;
    }
    if (!s->shards.empty() && s->shards.back().index >= m.index) return false;
    if (m.index >= s->next_shard_index) return false;
    m.range = {*start, *end};
    s->shards.push_back(m);
    return true;
  }
  return false;
}

bool ParseStreamHeader(const std::vector<std::string_view>& f, StreamMeta* s) {
  if (f.size() != 9 || f[0] != "stream") return false;
  auto name = Unescape(f[2]);
  auto mode = ParseStreamMode(f[3]);
  if (!name || name->empty() || !mode || !ParseInt(f[1], &s->id) ||
      !ParseInt(f[4], &s->retention_hours) || !ParseInt(f[5], &s->created_ms) ||
      !ParseInt(f[6], &s->updating_until_ms) || !ParseInt(f[7], &s->next_shard_index) ||
      !ParseInt(f[8], &s->max_record_size_kib)) {
    return false;
  }
  s->name = *name;
  s->mode = *mode;
  return true;
}

}  // namespace

std::string SerializeRegistry(const RegistryMeta& meta) {
  std::ostringstream o;
  o << kMagic << '\n' << "next_stream_id " << meta.next_stream_id << '\n';
  for (const auto& [name, s] : meta.streams) {
    o << "stream " << s.id << ' ' << Escape(s.name) << ' ' << StreamModeName(s.mode) << ' '
      << s.retention_hours << ' ' << s.created_ms << ' ' << s.updating_until_ms << ' '
      << s.next_shard_index << ' ' << s.max_record_size_kib << '\n';
    for (const auto& [k, v] : s.tags) o << "tag " << Escape(k) << ' ' << Escape(v) << '\n';
    for (const auto& c : s.consumers) o << "consumer " << Escape(c.name) << ' ' << c.created_ms << '\n';
    for (int64_t ms : s.shard_count_updates_ms) o << "scale " << ms << '\n';
    if (!s.shard_level_metrics.empty()) {
      o << "monitoring";
      for (const auto& m : s.shard_level_metrics) o << ' ' << Escape(m);
      o << '\n';
    }
    if (s.kms_key_id) o << "encryption " << Escape(*s.kms_key_id) << '\n';
    for (int64_t ms : s.encryption_changes_ms) o << "encchange " << ms << '\n';
    for (const auto& sh : s.shards) {
      o << "shard " << sh.index << ' ' << FormatHashKey(sh.range.start) << ' '
        << FormatHashKey(sh.range.end) << ' ' << sh.created_ms << ' ' << Opt(sh.closed_ms) << ' '
        << Opt(sh.parent) << ' ' << Opt(sh.adjacent_parent) << '\n';
    }
    o << "end\n";
  }
  std::string body = o.str();
  char sum[32];
  std::snprintf(sum, sizeof sum, "checksum %08x\n", crc32c::Mask(crc32c::Value(body)));
  return body + sum;
}

Result<RegistryMeta> ParseRegistry(const std::string& text) {
  auto bad = [](size_t line, std::string_view why) {
    return Status::Corruption("registry line " + std::to_string(line) + ": " + std::string(why));
  };
  // The checksum line is last and covers every byte before it.
  size_t cut = text.rfind("checksum ");
  if (cut == std::string::npos || (cut != 0 && text[cut - 1] != '\n')) {
    return Status::Corruption("registry: no checksum line");
  }
  uint32_t stored = 0;
  std::string_view hex = std::string_view(text).substr(cut + 9);
  if (hex.size() != 9 || hex[8] != '\n' ||
      std::from_chars(hex.data(), hex.data() + 8, stored, 16).ptr != hex.data() + 8) {
    return Status::Corruption("registry: malformed checksum line");
  }
  const std::string body = text.substr(0, cut);
  if (crc32c::Mask(crc32c::Value(body)) != stored) return Status::Corruption("registry: checksum mismatch");

  RegistryMeta meta;
  std::istringstream in(body);
  std::string line;
  size_t n = 0;
  StreamMeta* current = nullptr;
  StreamMeta pending;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != kMagic && line != kMagicV1) return bad(n, "not a registry (magic)");
      continue;
    }
    auto f = Split(line);
    if (current == nullptr) {
      if (f.size() == 2 && f[0] == "next_stream_id") {
        if (!ParseInt(f[1], &meta.next_stream_id)) return bad(n, "bad next_stream_id");
        continue;
      }
      pending = StreamMeta();
      if (!ParseStreamHeader(f, &pending)) return bad(n, "bad stream line");
      if (pending.id >= meta.next_stream_id) return bad(n, "stream id not below next_stream_id");
      if (meta.streams.contains(pending.name)) return bad(n, "duplicate stream");
      current = &pending;
      continue;
    }
    if (f.size() == 1 && f[0] == "end") {
      meta.streams.emplace(pending.name, std::move(pending));
      current = nullptr;
      continue;
    }
    if (!ParseStreamLine(f, current)) return bad(n, "bad line in stream block");
  }
  if (current != nullptr) return bad(n, "stream block without end");
  return meta;
}

Status SaveRegistry(const std::string& path, const RegistryMeta& meta) {
  const std::string text = SerializeRegistry(meta);
  // FORMAT.md: through `registry.tmp`, fsync, rename, fsync of the root.
  AtomicWriteOptions write;
  write.temp_suffix = ".tmp";
  return WriteFileAtomically(path, text, write);
}

Result<RegistryMeta> LoadRegistry(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) return RegistryMeta();
    return text.status();
  }
  auto meta = ParseRegistry(*text);
  if (!meta.ok()) return meta.status().WithContext(path);
  return meta;
}

}  // namespace osprey::streams::engine
