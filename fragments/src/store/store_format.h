// Byte layouts of the file fragment store (FORMAT.md "Fragment store"):
// media records, index entries, file headers and the high-water file.
// Pure encode/decode functions; private to the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments::store {

inline constexpr size_t kFileHeaderSize = 32;       // media and index files
inline constexpr size_t kMediaRecordHeaderSize = 56;
// Index files come in two versions (FORMAT.md "Index entry"): 1 (magic
// OSPRFIX1, 64-byte entries, no content hash) is read, never written; 2
// (OSPRFIX2, 80-byte entries) is what new segments get.
inline constexpr int kIndexVersion = 2;
inline constexpr size_t kIndexEntrySizeV1 = 64;
inline constexpr size_t kIndexEntrySizeV2 = 80;
inline size_t IndexEntrySize(int version) {
  return version == 1 ? kIndexEntrySizeV1 : kIndexEntrySizeV2;
}
inline constexpr size_t kHighWaterSize = 20;
// Upper bound of one media record body: far above the 50 MB fragment limit
// (spec 4.2), low enough that a damaged length is never believed.
inline constexpr uint64_t kMaxMediaRecordBytes = 1ull << 30;

enum class FileKind { kMedia, kIndex };

// 32-byte header of a media or index file: magic, base index, kind-specific
// u64 (the index file keeps the stream's high-water mark at creation), CRC.
// `index_version` picks the index magic (ignored for media files).
std::string EncodeFileHeader(FileKind kind, uint64_t base_index, uint64_t extra,
                             int index_version = kIndexVersion);
// False when the magic or CRC does not check out. For an index file,
// *index_version (if given) is set from the magic (1 or 2).
bool DecodeFileHeader(FileKind kind, std::string_view bytes, uint64_t* base_index,
                      uint64_t* extra, int* index_version = nullptr);

// Appends the media record of `f` (meta.index and size_bytes must be set)
// to *out and returns its length.
size_t EncodeMediaRecord(const FragmentInput& f, std::string* out);
// Size EncodeMediaRecord will produce.
uint64_t MediaRecordSize(const FragmentInput& f);
// Decodes a whole record read back from a media file; Corruption when its
// CRC, lengths or index do not check out.
Result<StoredFragment> DecodeMediaRecord(std::string_view bytes, uint64_t expect_index);

// What an index entry records: the fragment's meta and where its media
// record lies.
struct IndexEntry {
  FragmentMeta meta;
  uint64_t offset = 0;   // of the media record in its media file
  uint32_t length = 0;   // of the whole media record
};

// Appends the entry in the layout of index `version` (IndexEntrySize bytes;
// version 1 has no room for meta.content_hash and drops it).
void EncodeIndexEntry(const IndexEntry& e, int version, std::string* out);
// False when the CRC or the fixed fields do not check out. Version 1
// entries decode with content_hash 0 (unknown).
bool DecodeIndexEntry(std::string_view bytes, int version, IndexEntry* e);

std::string EncodeHighWater(uint64_t value);
bool DecodeHighWater(std::string_view bytes, uint64_t* value);

}  // namespace osprey::fragments::store
