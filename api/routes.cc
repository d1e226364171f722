#include "api/routes.h"

#include <time.h>

#include <regex>

#include "base/logging.h"

namespace hull::api {

void SendOutcome(ResponseWriter& w, const engine::Outcome& o, int ok_status) {
  using engine::ErrorKind;
  switch (o.kind()) {
    case ErrorKind::kOk: return w.Send(ok_status, "", "");
    case ErrorKind::kNotModified: return w.Send(304, "", "");
    case ErrorKind::kInvalid: return SendError(w, 400, o.message());
    case ErrorKind::kNotFound: return SendError(w, 404, o.message());
    case ErrorKind::kConflict: return SendError(w, 409, o.message());
    case ErrorKind::kNotImplemented: return SendError(w, 501, o.message());
    case ErrorKind::kInternal: return SendError(w, 500, o.message());
  }
}

int64_t EpochOf(const std::string& text) {
  tm t{};
  if (text.size() < 19 || !::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &t)) return 0;
  return static_cast<int64_t>(::timegm(&t));
}

void Route(ApiContext& ctx, const HttpRequest& req, ResponseWriter& w) {
  static const std::regex kVersion("^/v[0-9]+\\.[0-9]+(/.*)$");
  std::string path = req.path;
  std::smatch m;
  if (std::regex_match(path, m, kVersion)) path = m[1];
  HULL_LOG(kDebug) << req.method << " " << req.path;
  if (RouteSystem(ctx, req, path, w) || RouteImages(ctx, req, path, w) ||
      RouteContainers(ctx, req, path, w) || RouteExec(ctx, req, path, w) ||
      RouteStats(ctx, req, path, w) || RouteEvents(ctx, req, path, w)) {
    return;
  }
  SendError(w, 404, "page not found");
}

}  // namespace hull::api
