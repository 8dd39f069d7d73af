// CredentialStore::Parse, the only file that includes toml++ (a large
// header-only library: keeping it in one translation unit keeps builds fast).
//
// Every rejection names the line, so that whoever edits the file by hand can
// find the mistake. Fields of a [[keys]] entry are listed in kEntryFields;
// per-key policies (issue 9) are one more row there.

// Debian's toml++ is a shared library built with exceptions; the one parse
// call below catches them, so none leaves this file (STYLE.md 4.3).
#include <toml++/toml.h>

#include <algorithm>
#include <map>

#include "credentials_internal.h"
#include "osprey/auth/credentials.h"

namespace osprey::auth {
namespace {

std::string Where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line) + ": ";
}

Status StringField(std::string_view source, std::string_view name, const toml::node& value,
                   std::string* out) {
  const toml::value<std::string>* text = value.as_string();
  if (text == nullptr) {
    return Status::InvalidArgument(Where(source, value.source()) + std::string(name) +
                                   " must be a string in double quotes");
  }
  *out = text->get();
  return Status::Ok();
}

struct EntryField {
  std::string_view name;
  Status (*parse)(std::string_view source, const toml::node& value, AccessKey* key);
};

constexpr EntryField kEntryFields[] = {
    {"access_key_id",
     [](std::string_view source, const toml::node& value, AccessKey* key) {
       OSPREY_RETURN_IF_ERROR(StringField(source, "access_key_id", value, &key->access_key_id));
       const std::string error = internal::CheckAccessKeyId(key->access_key_id);
       if (error.empty()) return Status::Ok();
       return Status::InvalidArgument(Where(source, value.source()) + error);
     }},
    {"secret_access_key",
     [](std::string_view source, const toml::node& value, AccessKey* key) {
       OSPREY_RETURN_IF_ERROR(
           StringField(source, "secret_access_key", value, &key->secret_access_key));
       const std::string error = internal::CheckSecretAccessKey(key->secret_access_key);
       if (error.empty()) return Status::Ok();
       return Status::InvalidArgument(Where(source, value.source()) + error);
     }},
};

std::string KnownFields() {
  std::string out;
  for (const EntryField& field : kEntryFields) {
    if (!out.empty()) out += ", ";
    out += field.name;
  }
  return out;
}

Result<AccessKey> ParseEntry(std::string_view source, const toml::table& entry) {
  AccessKey key;
  bool present[std::size(kEntryFields)] = {};
  for (auto&& [name, value] : entry) {
    size_t index = std::size(kEntryFields);
    for (size_t i = 0; i < std::size(kEntryFields); ++i) {
      if (name.str() == kEntryFields[i].name) index = i;
    }
    if (index == std::size(kEntryFields)) {
      return Status::InvalidArgument(Where(source, name.source()) + "unknown key '" +
                                     std::string(name.str()) + "' in [[keys]] entry (known: " +
                                     KnownFields() + ")");
    }
    present[index] = true;
    OSPREY_RETURN_IF_ERROR(kEntryFields[index].parse(source, value, &key));
  }
  for (size_t i = 0; i < std::size(kEntryFields); ++i) {
    if (!present[i]) {
      return Status::InvalidArgument(Where(source, entry.source()) + "[[keys]] entry has no " +
                                     std::string(kEntryFields[i].name));
    }
  }
  return key;
}

}  // namespace

Result<CredentialStore> CredentialStore::Parse(std::string_view toml_text,
                                               std::string_view source_name) {
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return Status::InvalidArgument(Where(source_name, error.source()) +
                                   std::string(error.description()));
  }
#else
  toml::parse_result parsed = toml::parse(toml_text, source_name);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return Status::InvalidArgument(Where(source_name, error.source()) +
                                   std::string(error.description()));
  }
  root = std::move(parsed).table();
#endif
  for (auto&& [name, value] : root) {
    if (name.str() != "keys") {
      return Status::InvalidArgument(Where(source_name, name.source()) + "unknown key '" +
                                     std::string(name.str()) +
                                     "' (the file holds only [[keys]] entries)");
    }
  }
  const toml::node* keys_node = root.get("keys");
  const toml::array* entries = keys_node ? keys_node->as_array() : nullptr;
  if (keys_node != nullptr && (entries == nullptr || (!entries->empty() &&
                                                      !entries->is_array_of_tables()))) {
    return Status::InvalidArgument(Where(source_name, keys_node->source()) +
                                   "'keys' must be a list of tables, each written [[keys]]");
  }
  if (entries == nullptr || entries->empty()) {
    return Status::InvalidArgument(std::string(source_name) +
                                   ": no [[keys]] entries; add one with access_key_id and "
                                   "secret_access_key");
  }

  std::vector<AccessKey> keys;
  std::map<std::string, uint32_t, std::less<>> first_line;
  for (const toml::node& node : *entries) {
    const toml::table& entry = *node.as_table();
    OSPREY_ASSIGN_OR_RETURN(AccessKey key, ParseEntry(source_name, entry));
    const uint32_t line = entry.source().begin.line;
    auto [it, inserted] = first_line.emplace(key.access_key_id, line);
    if (!inserted) {
      return Status::InvalidArgument(Where(source_name, entry.source()) + "access_key_id '" +
                                     key.access_key_id + "' repeats the entry at line " +
                                     std::to_string(it->second));
    }
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end(), [](const AccessKey& a, const AccessKey& b) {
    return a.access_key_id < b.access_key_id;
  });
  return CredentialStore(std::move(keys));
}

}  // namespace osprey::auth
