// Box arithmetic shared by the tracker, the zones and the tests.
#include <algorithm>

#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {

double IoU(const Box& a, const Box& b) {
  const double area_a = a.Area();
  const double area_b = b.Area();
  if (area_a <= 0 || area_b <= 0) return 0;
  const double left = std::max(a.x, b.x);
  const double top = std::max(a.y, b.y);
  const double right = std::min(a.x + a.w, b.x + b.w);
  const double bottom = std::min(a.y + a.h, b.y + b.h);
  if (right <= left || bottom <= top) return 0;
  const double inter = (right - left) * (bottom - top);
  return inter / (area_a + area_b - inter);
}

Box ClipBox(const Box& box, int width, int height) {
  const double left = std::clamp(box.x, 0.0, static_cast<double>(width));
  const double top = std::clamp(box.y, 0.0, static_cast<double>(height));
  const double right = std::clamp(box.x + box.w, 0.0, static_cast<double>(width));
  const double bottom = std::clamp(box.y + box.h, 0.0, static_cast<double>(height));
  return Box{left, top, std::max(0.0, right - left), std::max(0.0, bottom - top)};
}

}  // namespace osprey::ml_hooks
