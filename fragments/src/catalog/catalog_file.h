// The stream catalog file (FORMAT.md "Stream catalog"): one JSON document
// holding every stream's metadata, rewritten whole and atomically on each
// change. This file knows the text format (the atomic rewrite is
// osprey/base/file_util.h); the catalog's rules live in
// stream_catalog_impl.cc.
//
// Thread safety: pure functions; callers serialise writes to one path.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/fragments/stream_catalog.h"

namespace osprey::fragments::catalog {

// What the file holds.
struct CatalogState {
  // Highest creation ms ever handed out, deleted streams included, so a
  // stream re-created under the same name never gets the same store_id.
  int64_t last_creation_ms = 0;
  std::map<std::string, VideoStream> streams;  // by name
};

constexpr int64_t kMaxRetentionHours = 87600;
constexpr size_t kMaxTags = 50;

std::string SerializeCatalog(const CatalogState& state);
// Corruption (naming what is wrong) when `text` is not a valid catalog.
Result<CatalogState> ParseCatalog(std::string_view text);

// The file's contents, or nullopt when it does not exist.
Result<std::optional<std::string>> ReadWholeFile(const std::string& path);

}  // namespace osprey::fragments::catalog
