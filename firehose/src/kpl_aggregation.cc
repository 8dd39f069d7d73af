#include "kpl_aggregation.h"

#include <openssl/evp.h>

#include <cstdint>
#include <map>

namespace osprey::firehose {
namespace {

constexpr std::string_view kMagic("\xF3\x89\x9A\xC2", 4);
constexpr size_t kMd5Size = 16;

// A cursor over protobuf wire format; every read fails on truncation.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }
  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > in_.size() - pos_) return false;
    *out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // Skips a field of wire type `type` (0 varint, 1 fixed64, 2 bytes, 5 fixed32).
  bool Skip(uint64_t type) {
    uint64_t v;
    std::string_view b;
    switch (type) {
      case 0: return Varint(&v);
      case 1: return Advance(8);
      case 2: return Bytes(&b);
      case 5: return Advance(4);
      default: return false;  // groups (3, 4) are not used by the KPL
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > in_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

struct RawRecord {
  uint64_t pk = 0;
  std::optional<uint64_t> ehk;
  std::string_view data;
  bool has_pk = false, has_data = false;
};

bool ParseRecord(std::string_view bytes, RawRecord* r) {
  Reader in(bytes);
  while (!in.done()) {
    uint64_t key;
    if (!in.Varint(&key)) return false;
    const uint64_t field = key >> 3, type = key & 7;
    if (field == 1 && type == 0) {
      if (!in.Varint(&r->pk)) return false;
      r->has_pk = true;
    } else if (field == 2 && type == 0) {
      uint64_t v;
      if (!in.Varint(&v)) return false;
      r->ehk = v;
    } else if (field == 3 && type == 2) {
      if (!in.Bytes(&r->data)) return false;
      r->has_data = true;
    } else if (!in.Skip(type)) {
      return false;
    }
  }
  return r->has_pk && r->has_data;  // both are required in the KPL's schema
}

std::string Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), n);
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(uint64_t field, std::string_view b, std::string* out) {
  PutVarint(field << 3 | 2, out);
  PutVarint(b.size(), out);
  out->append(b);
}

}  // namespace

std::optional<std::vector<UserRecord>> DeaggregateKpl(std::string_view record) {
  if (record.size() < kMagic.size() + kMd5Size || record.substr(0, kMagic.size()) != kMagic) {
    return std::nullopt;
  }
  std::string_view proto =
      record.substr(kMagic.size(), record.size() - kMagic.size() - kMd5Size);
  if (Md5(proto) != record.substr(record.size() - kMd5Size)) return std::nullopt;
  std::vector<std::string_view> pks, ehks;
  std::vector<RawRecord> raw;
  Reader in(proto);
  while (!in.done()) {
    uint64_t key;
    std::string_view b;
    if (!in.Varint(&key)) return std::nullopt;
    const uint64_t field = key >> 3, type = key & 7;
    if (field >= 1 && field <= 3 && type == 2) {
      if (!in.Bytes(&b)) return std::nullopt;
      if (field == 1) pks.push_back(b);
      if (field == 2) ehks.push_back(b);
      if (field == 3) {
        RawRecord r;
        if (!ParseRecord(b, &r)) return std::nullopt;
        raw.push_back(r);
      }
    } else if (!in.Skip(type)) {
      return std::nullopt;
    }
  }
  std::vector<UserRecord> out;
  out.reserve(raw.size());
  for (const RawRecord& r : raw) {
    if (r.pk >= pks.size() || (r.ehk && *r.ehk >= ehks.size())) return std::nullopt;
    out.push_back({std::string(pks[r.pk]), r.ehk ? std::string(ehks[*r.ehk]) : std::string(),
                   std::string(r.data)});
  }
  return out;
}

std::string AggregateKpl(const std::vector<UserRecord>& records) {
  std::map<std::string, uint64_t> pk_index, ehk_index;
  std::string tables, body;
  auto index_of = [&](std::map<std::string, uint64_t>& table, const std::string& value,
                      uint64_t field) {
    auto [it, added] = table.emplace(value, table.size());
    if (added) PutBytes(field, value, &tables);
    return it->second;
  };
  for (const UserRecord& r : records) {
    std::string rec;
    PutVarint(1 << 3 | 0, &rec);
    PutVarint(index_of(pk_index, r.partition_key, 1), &rec);
    if (!r.explicit_hash_key.empty()) {
      PutVarint(2 << 3 | 0, &rec);
      PutVarint(index_of(ehk_index, r.explicit_hash_key, 2), &rec);
    }
    PutBytes(3, r.data, &rec);
    PutBytes(3, rec, &body);
  }
  std::string proto = tables + body;
  return std::string(kMagic) + proto + Md5(proto);
}

}  // namespace osprey::firehose
