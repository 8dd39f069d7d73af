#include "firehose/firehose_routes.h"

#include "firehose/control_plane.h"

namespace osprey::server::firehose {

std::string EmptyBody(Codec codec) {
  std::string body;
  Output::For(codec, &body)->BeginObject().EndObject();
  return body;
}

Handler WrapSync(FirehoseContext* ctx, SyncImpl impl) {
  return [ctx, impl](const Input& in, Responder respond) {
    std::string body;
    Status st = impl(ctx, in, &body);
    respond(st.ok() ? Ok(in.codec(), std::move(body)) : Fail(in.codec(), st));
  };
}

void RegisterFirehoseRoutes(Router* router, FirehoseContext* context) {
  RegisterControlPlaneRoutes(router, context);
  RegisterPutRoutes(router, context);
  RegisterUpdateAndTagRoutes(router, context);
}

}  // namespace osprey::server::firehose
