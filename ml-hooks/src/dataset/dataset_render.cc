// Text renderers for YOLO and COCO (see dataset_render.h).
#include "dataset/dataset_render.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "osprey/base/json_writer.h"

namespace osprey::ml_hooks::dataset {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// YAML single-quoted scalar: the only escape is '' for a quote, so any label
// (with ':' or '#', which a plain scalar would misread) survives.
std::string YamlQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

std::string SanitizePrefix(std::string_view prefix) {
  if (prefix.empty()) return "frame";
  std::string out(prefix);
  for (char& c : out) {
    if (!IsNameChar(c)) c = '_';
  }
  // A leading '.' would hide the files on Unix.
  if (out[0] == '.') out[0] = '_';
  return out;
}

int64_t FloorMs(int64_t pts_us) {
  int64_t ms = pts_us / 1000;
  if (pts_us % 1000 < 0) --ms;
  return ms;
}

std::string StemFor(std::string_view sanitized_prefix, int64_t pts_us) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "%013" PRId64, FloorMs(pts_us));
  std::string out(sanitized_prefix);
  out += '_';
  out += digits;
  return out;
}

std::string YoloLabelText(const std::vector<Annotation>& annotations, int width, int height) {
  std::string out;
  const double w = width;
  const double h = height;
  for (const Annotation& a : annotations) {
    char line[160];
    std::snprintf(line, sizeof(line), "%d %.6f %.6f %.6f %.6f\n", a.class_index,
                  a.box.CenterX() / w, a.box.CenterY() / h, a.box.w / w, a.box.h / h);
    out += line;
  }
  return out;
}

std::string YoloDataYaml(const std::string& abs_dir, const std::vector<std::string>& labels) {
  std::string out = "# Written by osprey dataset export.\n";
  out += "path: " + YamlQuote(abs_dir) + "\n";
  out += "train: images\n";
  out += "val: images\n";
  out += "nc: " + std::to_string(labels.size()) + "\n";
  out += "names:\n";
  for (const std::string& label : labels) out += "  - " + YamlQuote(label) + "\n";
  return out;
}

std::string ClassesTxt(const std::vector<std::string>& labels) {
  std::string out;
  for (const std::string& label : labels) out += label + "\n";
  return out;
}

std::string IsoTimeUtc(int64_t pts_us) {
  const int64_t ms = FloorMs(pts_us);
  std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  const int millis = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string CocoJson(const std::vector<CocoImage>& images, const std::vector<std::string>& labels,
                     std::string_view description) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  // No creation date: two exports of the same range give the same document.
  w.Key("info").BeginObject();
  w.Key("description").String(description);
  w.Key("version").String("1.0");
  w.Key("contributor").String("osprey dataset export");
  w.EndObject();
  // Empty but present: several COCO readers index it unconditionally.
  w.Key("licenses").BeginArray().EndArray();

  w.Key("images").BeginArray();
  for (const CocoImage& image : images) {
    w.BeginObject();
    w.Key("id").Int64(image.id);
    w.Key("file_name").String(image.file_name);
    w.Key("width").Int64(image.width);
    w.Key("height").Int64(image.height);
    if (image.pts_us > 0) w.Key("date_captured").String(IsoTimeUtc(image.pts_us));
    w.EndObject();
  }
  w.EndArray();

  w.Key("annotations").BeginArray();
  int64_t next_id = 1;
  for (const CocoImage& image : images) {
    for (const Annotation& a : image.annotations) {
      w.BeginObject();
      w.Key("id").Int64(next_id++);
      w.Key("image_id").Int64(image.id);
      w.Key("category_id").Int64(a.class_index + 1);
      w.Key("bbox").BeginArray().Double(a.box.x).Double(a.box.y).Double(a.box.w).Double(a.box.h);
      w.EndArray();
      w.Key("area").Double(a.box.Area());
      w.Key("iscrowd").Int64(0);
      w.Key("score").Double(a.score);
      w.EndObject();
    }
  }
  w.EndArray();

  w.Key("categories").BeginArray();
  for (size_t i = 0; i < labels.size(); ++i) {
    w.BeginObject();
    w.Key("id").Int64(static_cast<int64_t>(i) + 1);
    w.Key("name").String(labels[i]);
    w.Key("supercategory").String("object");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out += '\n';
  return out;
}

}  // namespace osprey::ml_hooks::dataset
