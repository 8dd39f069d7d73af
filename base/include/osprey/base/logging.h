// Structured logging: one line per event in logfmt (key=value), to stderr.
//
//   ts=2026-11-22T05:33:04.123Z level=info module=http msg="listening" addr=0.0.0.0:9470
//
// logfmt because it is greppable by people and parsed by Loki/Vector without
// configuration. Lines are written with one write(2) so lines from different
// threads never interleave.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace osprey::log {

enum class Level : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug", "info", "warn" (or "warning") and "error"; false otherwise.
bool ParseLevel(std::string_view text, Level* out);
std::string_view LevelName(Level level);

// Lines below `level` are dropped. Default: kInfo.
void SetLevel(Level level);
Level GetLevel();
inline bool Enabled(Level level) { return static_cast<int>(level) >= static_cast<int>(GetLevel()); }

// Tests capture output by redirecting it; nullptr restores stderr.
// The sink is called with one complete line, newline included.
using Sink = void (*)(std::string_view line);
void SetSinkForTesting(Sink sink);

// A field value: text, integer or boolean.
class Value {
 public:
  Value(std::string_view s) : text_(s), quoted_(true) {}  // NOLINT
  Value(const std::string& s) : text_(s), quoted_(true) {}  // NOLINT
  Value(const char* s) : text_(s), quoted_(true) {}  // NOLINT
  Value(int64_t v) : text_(std::to_string(v)) {}  // NOLINT
  Value(uint64_t v) : text_(std::to_string(v)) {}  // NOLINT
  Value(int v) : text_(std::to_string(v)) {}  // NOLINT
  Value(unsigned v) : text_(std::to_string(v)) {}  // NOLINT
  Value(double v);  // NOLINT
  Value(bool v) : text_(v ? "true" : "false") {}  // NOLINT
  const std::string& text() const { return text_; }
  bool quoted() const { return quoted_; }

 private:
  std::string text_;
  bool quoted_ = false;  // quoted only when it needs to be (spaces, '=', '"')
};

using Field = std::pair<std::string_view, Value>;

// Formats one line (without writing it); exposed for tests.
std::string Format(Level level, std::string_view module, std::string_view msg,
                   std::initializer_list<Field> fields);

void Write(Level level, std::string_view module, std::string_view msg,
           std::initializer_list<Field> fields = {});

inline void Debug(std::string_view module, std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, module, msg, f);
}
inline void Info(std::string_view module, std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, module, msg, f);
}
inline void Warn(std::string_view module, std::string_view msg, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kWarn)) Write(Level::kWarn, module, msg, f);
}
inline void Error(std::string_view module, std::string_view msg, std::initializer_list<Field> f = {}) {
  Write(Level::kError, module, msg, f);
}

}  // namespace osprey::log
