// Placeholder until this route family lands (see video_routes.h).
#include "video/video_routes.h"

namespace osprey::server::video {

void RegisterControlPlaneRoutes(Router* /*router*/, VideoContext* /*context*/) {}

}  // namespace osprey::server::video
