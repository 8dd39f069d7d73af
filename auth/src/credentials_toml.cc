// CredentialStore::Parse, the only file that includes toml++ (a large
// header-only library: keeping it in one translation unit keeps builds fast).
//
// Every rejection names the line, so that whoever edits the file by hand can
// find the mistake. Fields of a [[keys]] entry are listed in kEntryFields;
// the policy fields (role, streams, [[keys.statement]]) and the rate limit
// are combined into the AccessKey by Finish().

// Debian's toml++ is a shared library built with exceptions; the one parse
// call below catches them, so none leaves this file (STYLE.md 4.3).
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

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

// One [[keys]] entry while it is read: the key, and the parts its policy
// is built from once every field is known.
struct Entry {
  AccessKey key;
  std::optional<std::string> role;
  std::optional<std::vector<std::string>> streams;
  std::optional<double> requests_per_second;
  std::optional<double> burst;
  std::vector<Statement> statements;
  bool has_statements = false;
};

// A string, or a list of strings (as IAM writes Action and Resource),
// each checked by `check`.
Status StringOrList(std::string_view source, std::string_view name, const toml::node& value,
                    std::string (*check)(std::string_view), std::vector<std::string>* out) {
  auto add = [&](const toml::node& item) -> Status {
    std::string text;
    OSPREY_RETURN_IF_ERROR(StringField(source, name, item, &text));
    const std::string error = check(text);
    if (!error.empty()) return Status::InvalidArgument(Where(source, item.source()) + error);
    out->push_back(std::move(text));
    return Status::Ok();
  };
  if (const toml::array* list = value.as_array()) {
    if (list->empty()) {
      return Status::InvalidArgument(Where(source, value.source()) + std::string(name) +
                                     " must not be empty");
    }
    for (const toml::node& item : *list) OSPREY_RETURN_IF_ERROR(add(item));
    return Status::Ok();
  }
  return add(value);
}

// A number (integer or float) from `min` to 1e9; `rule` says which in the
// error message.
Status NumberField(std::string_view source, std::string_view name, const toml::node& value,
                   double min, std::string_view rule, std::optional<double>* out) {
  std::optional<double> number;
  if (const auto* i = value.as_integer()) number = static_cast<double>(i->get());
  if (const auto* f = value.as_floating_point()) number = f->get();
  if (!number || !(*number >= min) || *number > 1e9) {
    return Status::InvalidArgument(Where(source, value.source()) + std::string(name) +
                                   " must be a number " + std::string(rule));
  }
  *out = number;
  return Status::Ok();
}

Result<Statement> ParseStatement(std::string_view source, const toml::table& table) {
  Statement statement;
  bool effect = false, action = false, resource = false;
  for (auto&& [name, value] : table) {
    const std::string_view field = name.str();
    if (field == "effect") {
      std::string text;
      OSPREY_RETURN_IF_ERROR(StringField(source, "effect", value, &text));
      if (text != "Allow" && text != "Deny") {
        return Status::InvalidArgument(Where(source, value.source()) +
                                       "effect must be \"Allow\" or \"Deny\"");
      }
      statement.effect = text == "Allow" ? Effect::kAllow : Effect::kDeny;
      effect = true;
    } else if (field == "action") {
      OSPREY_RETURN_IF_ERROR(
          StringOrList(source, "action", value, &CheckActionPattern, &statement.actions));
      action = true;
    } else if (field == "resource") {
      OSPREY_RETURN_IF_ERROR(
          StringOrList(source, "resource", value, &CheckResourcePattern, &statement.resources));
      resource = true;
    } else {
      return Status::InvalidArgument(Where(source, name.source()) + "unknown key '" +
                                     std::string(field) +
                                     "' in [[keys.statement]] (known: effect, action, resource)");
    }
  }
  if (!effect || !action || !resource) {
    return Status::InvalidArgument(Where(source, table.source()) +
                                   "[[keys.statement]] needs effect, action and resource");
  }
  return statement;
}

struct EntryField {
  std::string_view name;
  bool required;
  Status (*parse)(std::string_view source, const toml::node& value, Entry* entry);
};

constexpr EntryField kEntryFields[] = {
    {"access_key_id", true,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       AccessKey* key = &entry->key;
       OSPREY_RETURN_IF_ERROR(StringField(source, "access_key_id", value, &key->access_key_id));
       const std::string error = internal::CheckAccessKeyId(key->access_key_id);
       if (error.empty()) return Status::Ok();
       return Status::InvalidArgument(Where(source, value.source()) + error);
     }},
    {"secret_access_key", true,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       AccessKey* key = &entry->key;
       OSPREY_RETURN_IF_ERROR(
           StringField(source, "secret_access_key", value, &key->secret_access_key));
       const std::string error = internal::CheckSecretAccessKey(key->secret_access_key);
       if (error.empty()) return Status::Ok();
       return Status::InvalidArgument(Where(source, value.source()) + error);
     }},
    {"role", false,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       std::string role;
       OSPREY_RETURN_IF_ERROR(StringField(source, "role", value, &role));
       if (!RoleStatements(role, {}).ok()) {
         return Status::InvalidArgument(Where(source, value.source()) + "role must be one of " +
                                        std::string(RoleNames()));
       }
       entry->role = std::move(role);
       return Status::Ok();
     }},
    {"streams", false,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       entry->streams.emplace();
       return StringOrList(source, "streams", value, &CheckResourcePattern, &*entry->streams);
     }},
    {"requests_per_second", false,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       return NumberField(source, "requests_per_second", value, 0.001, "from 0.001 to 1e9",
                          &entry->requests_per_second);
     }},
    {"burst", false,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       return NumberField(source, "burst", value, 1, "from 1 to 1e9", &entry->burst);
     }},
    {"statement", false,
     [](std::string_view source, const toml::node& value, Entry* entry) {
       const toml::array* list = value.as_array();
       if (list == nullptr || !list->is_array_of_tables()) {
         return Status::InvalidArgument(Where(source, value.source()) +
                                        "'statement' must be tables written [[keys.statement]]");
       }
       for (const toml::node& node : *list) {
         OSPREY_ASSIGN_OR_RETURN(Statement s, ParseStatement(source, *node.as_table()));
         entry->statements.push_back(std::move(s));
       }
       entry->has_statements = true;
       return Status::Ok();
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

// Builds the key's policy and rate limit from the optional fields.
Status Finish(std::string_view source, const toml::table& table, Entry* entry) {
  const std::string where = Where(source, table.source());
  if (entry->streams && !entry->role) {
    return Status::InvalidArgument(where + "'streams' applies to a role: add role = \"...\"");
  }
  if (entry->burst && !entry->requests_per_second) {
    return Status::InvalidArgument(where + "'burst' needs requests_per_second");
  }
  if (entry->requests_per_second) {
    const double rate = *entry->requests_per_second;
    entry->key.rate_limit = RateLimit{rate, entry->burst.value_or(std::max(1.0, rate))};
  }
  if (entry->role || entry->has_statements) {
    Policy policy;
    if (entry->role) {
      OSPREY_ASSIGN_OR_RETURN(policy.statements,
                              RoleStatements(*entry->role, entry->streams.value_or(
                                                               std::vector<std::string>{})));
      entry->key.role = *entry->role;
    }
    for (Statement& s : entry->statements) policy.statements.push_back(std::move(s));
    entry->key.policy = std::move(policy);
  }
  return Status::Ok();
}

Result<AccessKey> ParseEntry(std::string_view source, const toml::table& table) {
  Entry entry;
  bool present[std::size(kEntryFields)] = {};
  for (auto&& [name, value] : table) {
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
    OSPREY_RETURN_IF_ERROR(kEntryFields[index].parse(source, value, &entry));
  }
  for (size_t i = 0; i < std::size(kEntryFields); ++i) {
    if (kEntryFields[i].required && !present[i]) {
      return Status::InvalidArgument(Where(source, table.source()) + "[[keys]] entry has no " +
                                     std::string(kEntryFields[i].name));
    }
  }
  OSPREY_RETURN_IF_ERROR(Finish(source, table, &entry));
  return std::move(entry.key);
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
