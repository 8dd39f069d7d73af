#include "osprey/ml_hooks/zones.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace osprey::ml_hooks {
namespace {

// Tolerance for "on the edge", in normalised units: far below a pixel of any
// real frame (1e-9 of a 8K width), far above double rounding of the inputs.
constexpr double kEdgeEpsilon = 1e-9;

bool OnSegment(const Point& p, const Point& a, const Point& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  if (len2 == 0) return std::hypot(p.x - a.x, p.y - a.y) <= kEdgeEpsilon;
  // Distance from p to the segment, via the clamped projection.
  const double t = std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy)) <= kEdgeEpsilon;
}

}  // namespace

Status ValidatePolygon(const Polygon& polygon) {
  if (polygon.size() < 3) {
    return Status::InvalidArgument("a polygon needs at least 3 points, got " +
                                   std::to_string(polygon.size()));
  }
  for (size_t i = 0; i < polygon.size(); ++i) {
    const Point& p = polygon[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1) {
      return Status::InvalidArgument("point " + std::to_string(i) +
                                     " is outside [0,1] x [0,1] (coordinates are normalised)");
    }
  }
  return Status::Ok();
}

bool PointInPolygon(const Point& p, const Polygon& polygon) {
  const size_t n = polygon.size();
  if (n < 3) return false;
  bool inside = false;
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Point& a = polygon[i];
    const Point& b = polygon[j];
    if (OnSegment(p, a, b)) return true;
    // Half-open rule on y (one end counts, the other does not), so a ray
    // through a vertex is counted once, not twice or never.
    if ((a.y > p.y) != (b.y > p.y)) {
      const double x_cross = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
      if (p.x < x_cross) inside = !inside;
    }
  }
  return inside;
}

Point AnchorPoint(const Box& box, int width, int height, Anchor anchor) {
  if (width <= 0 || height <= 0) return Point{};
  const double y = anchor == Anchor::kBottomCenter ? box.y + box.h : box.CenterY();
  return Point{box.CenterX() / width, y / height};
}

Result<Anchor> ParseAnchor(std::string_view text) {
  if (text == "bottom_center") return Anchor::kBottomCenter;
  if (text == "center") return Anchor::kCenter;
  return Status::InvalidArgument("anchor must be \"bottom_center\" or \"center\", got \"" +
                                 std::string(text) + "\"");
}

Result<ZoneSet> ZoneSet::Create(std::vector<Zone> zones, std::vector<Polygon> masks,
                                Anchor anchor) {
  std::set<std::string> names;
  for (const Zone& z : zones) {
    if (z.name.empty()) return Status::InvalidArgument("a zone needs a name");
    if (!names.insert(z.name).second) {
      return Status::InvalidArgument("zone \"" + z.name + "\" is defined twice");
    }
    OSPREY_RETURN_IF_ERROR(ValidatePolygon(z.polygon).WithContext("zone \"" + z.name + "\""));
  }
  for (size_t i = 0; i < masks.size(); ++i) {
    OSPREY_RETURN_IF_ERROR(ValidatePolygon(masks[i]).WithContext("mask " + std::to_string(i)));
  }
  ZoneSet set;
  set.zones_ = std::move(zones);
  set.masks_ = std::move(masks);
  set.anchor_ = anchor;
  return set;
}

std::vector<std::string> ZoneSet::ZonesOf(const Box& box, int width, int height) const {
  std::vector<std::string> out;
  const Point p = AnchorPoint(box, width, height, anchor_);
  for (const Zone& z : zones_) {
    if (PointInPolygon(p, z.polygon)) out.push_back(z.name);
  }
  return out;
}

bool ZoneSet::InZone(std::string_view zone, const Box& box, int width, int height) const {
  const Zone* z = Find(zone);
  return z != nullptr && PointInPolygon(AnchorPoint(box, width, height, anchor_), z->polygon);
}

bool ZoneSet::Masked(const Box& box, int width, int height) const {
  const Point p = AnchorPoint(box, width, height, anchor_);
  return std::any_of(masks_.begin(), masks_.end(),
                     [&](const Polygon& m) { return PointInPolygon(p, m); });
}

void ZoneSet::ApplyMasks(std::vector<Detection>* detections, int width, int height) const {
  if (masks_.empty()) return;
  std::erase_if(*detections, [&](const Detection& d) { return Masked(d.box, width, height); });
}

const Zone* ZoneSet::Find(std::string_view name) const {
  for (const Zone& z : zones_) {
    if (z.name == name) return &z;
  }
  return nullptr;
}

}  // namespace osprey::ml_hooks
