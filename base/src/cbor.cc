#include "osprey/base/cbor.h"

#include <cmath>
#include <cstring>

namespace osprey {

namespace {

constexpr uint8_t kBreak = 0xFF;

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  Result<Value> Top() {
    OSPREY_ASSIGN_OR_RETURN(Value v, Item(0));
    if (pos_ != in_.size()) return Error("trailing bytes after the top-level item");
    return v;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::Corruption("CBOR at offset " + std::to_string(pos_) + ": " + std::string(what));
  }
  size_t Remaining() const { return in_.size() - pos_; }

  // Reads the argument of an initial byte whose additional info is `info`.
  // Sets *indefinite for info 31 (only meaningful for types 2-5 and 7).
  Result<uint64_t> Argument(uint8_t info, bool* indefinite) {
    *indefinite = false;
    if (info < 24) return uint64_t{info};
    if (info == 31) {
      *indefinite = true;
      return uint64_t{0};
    }
    if (info > 27) return Error("reserved additional information value");
    size_t n = size_t{1} << (info - 24);
    if (Remaining() < n) return Error("truncated argument");
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(in_[pos_ + i]);
    pos_ += n;
    return v;
  }

  // A definite or chunked (indefinite) byte or text string of major `major`.
  Result<std::string> StringBody(uint8_t major, uint64_t length, bool indefinite, int depth) {
    if (!indefinite) {
      if (length > Remaining()) return Error("string longer than the input");
      std::string s(in_.substr(pos_, length));
      pos_ += length;
      return s;
    }
    std::string s;
    for (;;) {
      if (Remaining() == 0) return Error("unterminated indefinite-length string");
      uint8_t b = static_cast<uint8_t>(in_[pos_]);
      if (b == kBreak) {
        ++pos_;
        return s;
      }
      ++pos_;
      if ((b >> 5) != major) return Error("chunk of an indefinite string has the wrong type");
      bool nested = false;
      OSPREY_ASSIGN_OR_RETURN(uint64_t n, Argument(b & 0x1F, &nested));
      if (nested) return Error("nested indefinite-length string chunk");
      OSPREY_ASSIGN_OR_RETURN(std::string chunk, StringBody(major, n, false, depth));
      s += chunk;
    }
  }

  bool AtBreak() const { return Remaining() > 0 && static_cast<uint8_t>(in_[pos_]) == kBreak; }

  Result<Value> Item(int depth) {
    if (depth > kMaxCborDepth) return Error("nesting deeper than 64");
    if (Remaining() == 0) return Error("truncated item");
    uint8_t initial = static_cast<uint8_t>(in_[pos_++]);
    uint8_t major = initial >> 5;
    uint8_t info = initial & 0x1F;
    if (major == 7) return Simple(info);
    bool indefinite = false;
    OSPREY_ASSIGN_OR_RETURN(uint64_t arg, Argument(info, &indefinite));
    if (indefinite && (major == 0 || major == 1 || major == 6)) {
      return Error("indefinite length on an integer or tag");
    }
    switch (major) {
      case 0:
        if (arg > static_cast<uint64_t>(INT64_MAX)) return Value::Double(static_cast<double>(arg));
        return Value::Int(static_cast<int64_t>(arg));
      case 1:  // -1 - arg
        if (arg > static_cast<uint64_t>(INT64_MAX)) {
          return Value::Double(-1.0 - static_cast<double>(arg));
        }
        return Value::Int(-1 - static_cast<int64_t>(arg));
      case 2: {
        OSPREY_ASSIGN_OR_RETURN(std::string b, StringBody(2, arg, indefinite, depth));
        return Value::Bytes(std::move(b));
      }
      case 3: {
        OSPREY_ASSIGN_OR_RETURN(std::string s, StringBody(3, arg, indefinite, depth));
        return Value::String(std::move(s));
      }
      case 4: {
        // Every item takes at least one byte: a longer declared count is a lie.
        if (!indefinite && arg > Remaining()) return Error("array longer than the input");
        Value::Array a;
        if (!indefinite) a.reserve(static_cast<size_t>(arg));
        for (uint64_t i = 0; indefinite || i < arg; ++i) {
          if (indefinite && AtBreak()) {
            ++pos_;
            break;
          }
          OSPREY_ASSIGN_OR_RETURN(Value v, Item(depth + 1));
          a.push_back(std::move(v));
        }
        return Value::MakeArray(std::move(a));
      }
      case 5: {
        if (!indefinite && arg > Remaining() / 2) return Error("map longer than the input");
        Value::Map m;
        if (!indefinite) m.reserve(static_cast<size_t>(arg));
        for (uint64_t i = 0; indefinite || i < arg; ++i) {
          if (indefinite && AtBreak()) {
            ++pos_;
            break;
          }
          size_t key_at = pos_;
          OSPREY_ASSIGN_OR_RETURN(Value k, Item(depth + 1));
          if (k.type() != Value::Type::kString) {
            pos_ = key_at;
            return Error("map key is not a text string");
          }
          OSPREY_ASSIGN_OR_RETURN(Value v, Item(depth + 1));
          m.emplace_back(k.as_string(), std::move(v));
        }
        return Value::MakeMap(std::move(m));
      }
      case 6: {
        OSPREY_ASSIGN_OR_RETURN(Value content, Item(depth + 1));
        if (arg != 1) return content;  // other tags: keep the content
        // AWS: tag 1 holds epoch milliseconds (integer; a float is accepted).
        if (content.type() == Value::Type::kInt) return Value::TimestampMs(content.as_int());
        if (content.type() == Value::Type::kDouble && std::isfinite(content.as_double()) &&
            std::fabs(content.as_double()) < 9.2e18) {
          return Value::TimestampMs(static_cast<int64_t>(std::llround(content.as_double())));
        }
        return Error("tag 1 (timestamp) must hold a number");
      }
    }
    return Error("unreachable major type");
  }

  Result<Value> Simple(uint8_t info) {
    switch (info) {
      case 20: return Value::Bool(false);
      case 21: return Value::Bool(true);
      case 22:
      case 23: return Value();  // null, undefined
      case 24:
        if (Remaining() < 1) return Error("truncated simple value");
        ++pos_;
        return Value();  // other simple values carry no meaning for AWS
      case 25: return Float(2);
      case 26: return Float(4);
      case 27: return Float(8);
      case 31: return Error("break outside an indefinite-length item");
      default:
        if (info < 20) return Value();  // unassigned simple values
        return Error("reserved additional information value");
    }
  }

  Result<Value> Float(size_t n) {
    if (Remaining() < n) return Error("truncated float");
    uint64_t bits = 0;
    for (size_t i = 0; i < n; ++i) bits = (bits << 8) | static_cast<uint8_t>(in_[pos_ + i]);
    pos_ += n;
    if (n == 8) {
      double d;
      std::memcpy(&d, &bits, 8);
      return Value::Double(d);
    }
    if (n == 4) {
      uint32_t b32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &b32, 4);
      return Value::Double(f);
    }
    // Half precision (RFC 8949 appendix D).
    int exponent = static_cast<int>((bits >> 10) & 0x1F);
    double mantissa = static_cast<double>(bits & 0x3FF);
    double value;
    if (exponent == 0) value = std::ldexp(mantissa, -24);
    else if (exponent != 31) value = std::ldexp(mantissa + 1024, exponent - 25);
    else value = mantissa == 0 ? INFINITY : NAN;
    return Value::Double((bits & 0x8000) ? -value : value);
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

Result<Value> DecodeCbor(std::string_view bytes) { return Decoder(bytes).Top(); }

void CborWriter::Head(uint8_t major, uint64_t value) {
  uint8_t m = static_cast<uint8_t>(major << 5);
  if (value < 24) {
    out_->push_back(static_cast<char>(m | value));
    return;
  }
  int bytes = value <= 0xFF ? 1 : value <= 0xFFFF ? 2 : value <= 0xFFFFFFFF ? 4 : 8;
  uint8_t info = bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27;
  out_->push_back(static_cast<char>(m | info));
  for (int i = bytes - 1; i >= 0; --i) out_->push_back(static_cast<char>(value >> (8 * i)));
}

CborWriter& CborWriter::BeginObject() { out_->push_back(static_cast<char>(0xBF)); return *this; }
CborWriter& CborWriter::EndObject() { out_->push_back(static_cast<char>(kBreak)); return *this; }
CborWriter& CborWriter::BeginArray() { out_->push_back(static_cast<char>(0x9F)); return *this; }
CborWriter& CborWriter::EndArray() { out_->push_back(static_cast<char>(kBreak)); return *this; }
CborWriter& CborWriter::Key(std::string_view key) { return String(key); }

CborWriter& CborWriter::String(std::string_view s) {
  Head(3, s.size());
  out_->append(s);
  return *this;
}

CborWriter& CborWriter::Bytes(std::string_view b) {
  Head(2, b.size());
  out_->append(b);
  return *this;
}

CborWriter& CborWriter::Int64(int64_t v) {
  if (v >= 0) Head(0, static_cast<uint64_t>(v));
  else Head(1, static_cast<uint64_t>(-(v + 1)));
  return *this;
}

CborWriter& CborWriter::UInt64(uint64_t v) {
  Head(0, v);
  return *this;
}

CborWriter& CborWriter::Double(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  out_->push_back(static_cast<char>(0xFB));
  for (int i = 7; i >= 0; --i) out_->push_back(static_cast<char>(bits >> (8 * i)));
  return *this;
}

CborWriter& CborWriter::Bool(bool b) { out_->push_back(static_cast<char>(b ? 0xF5 : 0xF4)); return *this; }
CborWriter& CborWriter::Null() { out_->push_back(static_cast<char>(0xF6)); return *this; }

CborWriter& CborWriter::TimestampMs(int64_t epoch_ms) {
  Head(6, 1);
  return Int64(epoch_ms);
}

void EncodeCbor(const Value& value, CborWriter* w) {
  switch (value.type()) {
    case Value::Type::kNull: w->Null(); break;
    case Value::Type::kBool: w->Bool(value.as_bool()); break;
    case Value::Type::kInt: w->Int64(value.as_int()); break;
    case Value::Type::kDouble: w->Double(value.as_double()); break;
    case Value::Type::kString: w->String(value.as_string()); break;
    case Value::Type::kBytes: w->Bytes(value.as_string()); break;
    case Value::Type::kTimestamp: w->TimestampMs(value.as_int()); break;
    case Value::Type::kArray:
      w->BeginArray();
      for (const Value& v : value.as_array()) EncodeCbor(v, w);
      w->EndArray();
      break;
    case Value::Type::kMap:
      w->BeginObject();
      for (const auto& [k, v] : value.as_map()) {
        w->Key(k);
        EncodeCbor(v, w);
      }
      w->EndObject();
      break;
  }
}

}  // namespace osprey
