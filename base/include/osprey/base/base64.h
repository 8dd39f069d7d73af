// Base64 (RFC 4648): the standard alphabet with padding, as AWS JSON
// protocols carry blobs, and the URL-safe alphabet without padding, for
// opaque tokens Osprey hands out (pagination tokens, iterators, session
// tokens) that travel in URLs.
//
// Decoding is strict, because blobs come from untrusted clients and AWS
// answers malformed base64 with an error rather than guessing: the length
// must be a multiple of 4 (standard) or not 1 mod 4 (URL-safe), padding only
// at the end, no whitespace, and the unused low bits of the last character
// must be zero (so every encoded form decodes from exactly one text).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace osprey::base64 {

std::string Encode(std::string_view bytes);
std::optional<std::string> Decode(std::string_view text);

std::string EncodeUrl(std::string_view bytes);
std::optional<std::string> DecodeUrl(std::string_view text);

// Appends the standard encoding of `bytes` to *out (no intermediate string;
// for writers that emit large blobs).
void AppendEncoded(std::string_view bytes, std::string* out);

}  // namespace osprey::base64
