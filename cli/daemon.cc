#include "cli/daemon.h"

#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace hull::cli {

std::optional<Daemon> FindDaemon(const CommonOptions& common) {
  if (common.root_given) return std::nullopt;
  std::string socket = api::DefaultSocketPath();
  if (!api::DaemonListening(socket)) return std::nullopt;
  return Daemon{socket};
}

std::optional<Daemon> RequireDaemon(const CommonOptions& common, const std::string& command) {
  if (common.root_given) {
    std::fprintf(stderr,
                 "hull: `hull %s` needs hulld; --root names a local image store, "
                 "which only image commands and `hull run` use directly.\n",
                 command.c_str());
    return std::nullopt;
  }
  auto d = FindDaemon(common);
  if (!d) {
    std::string socket = api::DefaultSocketPath();
    std::fprintf(stderr,
                 "hull: `hull %s` needs hulld, and hulld is not running (nothing answers at %s).\n"
                 "Start it as root with `hulld &` (or `hulld --root DIR -H unix://PATH`, then "
                 "HULL_HOST=unix://PATH or `hull -H unix://PATH`). Without hulld, `hull run` and the "
                 "image commands work directly.\n",
                 command.c_str(), socket.c_str());
  }
  return d;
}

base::Result<api::ClientResponse> Call(const Daemon& d, const std::string& method,
                                       const std::string& target, const std::string& body) {
  return api::Request(d.socket, method, "/v1.41" + target, body, /*timeout_ms=*/0);
}

std::optional<api::ClientConnection> OpenStream(const Daemon& d, const std::string& method,
                                                const std::string& target) {
  auto c = api::ClientConnection::Connect(d.socket);
  if (!c.ok()) return ClientError(c.status()), std::nullopt;
  if (auto s = c->Send(method, target); !s.ok()) return ClientError(s), std::nullopt;
  auto status = c->ReadHeader();
  if (!status.ok()) return ClientError(status.status()), std::nullopt;
  if (*status != 200) {
    auto body = c->ReadAll();
    return DaemonError(api::ClientResponse{*status, body.ok() ? *body : ""}), std::nullopt;
  }
  return std::move(*c);
}

std::optional<nlohmann::json> InspectContainer(const Daemon& d, const std::string& name) {
  auto r = Call(d, "GET", "/containers/" + UrlEncode(name) + "/json");
  if (!r.ok()) return ClientError(r.status()), std::nullopt;
  if (r->status != 200) return DaemonError(*r), std::nullopt;
  nlohmann::json j = ParseJson(r->body);
  if (!j.is_object()) return DaemonError(*r), std::nullopt;
  return j;
}

std::string ErrorMessage(const api::ClientResponse& r) {
  auto j = ParseJson(r.body);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"];
  return r.body.empty() ? "HTTP status " + std::to_string(r.status) : r.body;
}

int DaemonError(const api::ClientResponse& r, int exit) {
  std::fprintf(stderr, "Error response from daemon: %s\n", ErrorMessage(r).c_str());
  return exit;
}

int ClientError(const base::Status& s, int exit) {
  std::fprintf(stderr, "hull: %s\n", s.message().c_str());
  return exit;
}

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

}  // namespace hull::cli
