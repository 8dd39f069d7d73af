// Export directory preparation and the marker file (see output_dir.h).
#include "dataset/output_dir.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <string_view>

#include "osprey/base/file_util.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"

namespace osprey::ml_hooks::dataset {
namespace {

// Everything an export may leave at the top of its directory. Temporary
// files of WriteFileAtomically (`<name>.tmp-<pid>-<n>`) after a crash count
// as ours too.
constexpr std::string_view kOwnEntries[] = {
    kMarkerName, "images", "labels", "review", "data.yaml", "classes.txt", "annotations.json"};

bool IsOwnEntry(std::string_view name) {
  for (std::string_view own : kOwnEntries) {
    if (name == own) return true;
    if (name.size() > own.size() + 5 && name.substr(0, own.size()) == own &&
        name.substr(own.size(), 5) == ".tmp-") {
      return true;
    }
  }
  return false;
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno("opendir " + dir, errno);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  closedir(d);
  return names;
}

std::string MarkerText(DatasetFormat format, const std::vector<std::string>& labels,
                       const DatasetSummary* summary) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("tool").String("osprey dataset export");
  w.Key("version").Int64(1);
  w.Key("format").String(DatasetFormatName(format));
  w.Key("labels").BeginArray();
  for (const std::string& label : labels) w.String(label);
  w.EndArray();
  w.Key("complete").Bool(summary != nullptr);
  if (summary != nullptr) {
    w.Key("images").Int64(summary->images);
    w.Key("annotations").Int64(summary->annotations);
    w.Key("review_images").Int64(summary->review_images);
  }
  w.EndObject();
  out += '\n';
  return out;
}

// Checks that `dir` holds only a previous export of `format`, then removes it.
Status ClearPreviousExport(const std::string& dir, DatasetFormat format,
                           const std::vector<std::string>& names) {
  const std::string marker_path = dir + "/" + kMarkerName;
  Result<std::string> marker = ReadFile(marker_path);
  if (!marker.ok()) {
    if (marker.status().code() == Status::Code::kNotFound) {
      return Status::AlreadyExists("output directory " + dir +
                                   " is not empty and holds no osprey export");
    }
    return marker.status();
  }
  Result<Value> doc = ParseJson(*marker);
  const Value* fmt = doc.ok() ? doc->Find("format") : nullptr;
  if (fmt == nullptr || fmt->type() != Value::Type::kString) {
    return Status::AlreadyExists("output directory " + dir + " has an unreadable " +
                                 kMarkerName + "; remove it to export there");
  }
  if (fmt->as_string() != DatasetFormatName(format)) {
    return Status::AlreadyExists("output directory " + dir + " holds a " + fmt->as_string() +
                                 " export; use another directory or the same format");
  }
  // Refuse before deleting anything, so a user's file is never lost.
  for (const std::string& name : names) {
    if (!IsOwnEntry(name)) {
      return Status::AlreadyExists("output directory " + dir + " holds '" + name +
                                   "', which an export does not write; not replacing it");
    }
  }
  for (const std::string& name : names) {
    if (name == kMarkerName) continue;  // rewritten right after
    OSPREY_RETURN_IF_ERROR(RemoveTree(dir + "/" + name));
  }
  return SyncDirectory(dir);
}

}  // namespace

Status PrepareOutputDir(const std::string& dir, DatasetFormat format,
                        const std::vector<std::string>& labels) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::FromErrno("stat " + dir, errno);
    OSPREY_RETURN_IF_ERROR(MakeDirs(dir));
  } else if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("output path " + dir + " is not a directory");
  } else {
    OSPREY_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
    if (!names.empty()) OSPREY_RETURN_IF_ERROR(ClearPreviousExport(dir, format, names));
  }
  // The marker first: an export interrupted from here on can be redone in
  // place.
  OSPREY_RETURN_IF_ERROR(
      WriteFileAtomically(dir + "/" + kMarkerName, MarkerText(format, labels, nullptr)));
  const bool yolo = format == DatasetFormat::kYolo;
  for (const char* sub : {"", "/review"}) {
    OSPREY_RETURN_IF_ERROR(MakeDirs(dir + sub + "/images"));
    if (yolo) OSPREY_RETURN_IF_ERROR(MakeDirs(dir + sub + "/labels"));
  }
  return Status::Ok();
}

Status WriteCompleteMarker(const std::string& dir, const std::vector<std::string>& labels,
                           const DatasetSummary& summary) {
  return WriteFileAtomically(dir + "/" + kMarkerName,
                             MarkerText(summary.format, labels, &summary));
}

}  // namespace osprey::ml_hooks::dataset
