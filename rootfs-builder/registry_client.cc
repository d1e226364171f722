#include "rootfs-builder/registry_client.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "base/logging.h"
#include "rootfs-builder/manifest.h"

namespace hull::rootfs {

using base::Result;
using base::Status;
using nlohmann::json;

namespace {

// Parses `Bearer realm="x",service="y"` into a scheme and its parameters.
std::string ParseChallenge(const std::string& header, std::map<std::string, std::string>* params) {
  size_t space = header.find(' ');
  std::string scheme = header.substr(0, space);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  size_t pos = space == std::string::npos ? header.size() : space + 1;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ',')) ++pos;
    size_t eq = header.find('=', pos);
    if (eq == std::string::npos) break;
    std::string key = header.substr(pos, eq - pos);
    std::transform(key.begin(), key.end(), key.begin(), ::tolower);
    std::string value;
    pos = eq + 1;
    if (pos < header.size() && header[pos] == '"') {
      size_t end = header.find('"', pos + 1);
      if (end == std::string::npos) end = header.size();
      value = header.substr(pos + 1, end - pos - 1);
      pos = end + 1;
    } else {
      size_t end = header.find(',', pos);
      if (end == std::string::npos) end = header.size();
      value = header.substr(pos, end - pos);
      pos = end;
    }
    (*params)[key] = value;
  }
  return scheme;
}

std::string RegistryErrorText(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("errors") || !j["errors"].is_array()) {
    return "";
  }
  std::string text;
  for (const json& e : j["errors"]) {
    if (!e.is_object()) continue;
    text += (text.empty() ? "" : "; ") + e.value("code", std::string("?")) + ": " +
            e.value("message", std::string());
  }
  return text;
}

}  // namespace

RegistryClient::RegistryClient(Reference ref, RegistryOptions options)
    : ref_(std::move(ref)),
      options_(std::move(options)),
      http_(HttpOptions{15, options_.stall_timeout_s, true}) {
  std::string host = ref_.registry_host();
  bool insecure = std::find(options_.insecure_registries.begin(),
                            options_.insecure_registries.end(),
                            ref_.domain) != options_.insecure_registries.end();
  base_url_ = std::string(ref_.is_loopback() || insecure ? "http://" : "https://") + host +
              "/v2/" + ref_.repository;
}

Status RegistryClient::ErrorFor(const HttpResponse& r, const std::string& what) const {
  std::string detail = RegistryErrorText(r.body);
  std::string text;
  switch (r.status) {
    case 401:
    case 403:
      text = "access denied to " + what + " (HTTP " + std::to_string(r.status) + ")";
      break;
    case 404:
      text = what + " not found in registry " + ref_.domain + " (HTTP 404)";
      break;
    default:
      text = "registry " + ref_.domain + " answered HTTP " + std::to_string(r.status) +
             " for " + what;
  }
  return Status::Error(text + (detail.empty() ? "" : ": " + detail));
}

Status RegistryClient::Authenticate(const std::string& challenge) {
  std::map<std::string, std::string> params;
  std::string scheme = ParseChallenge(challenge, &params);
  if (scheme == "basic") {
    if (options_.username.empty()) {
      return Status::Error("registry " + ref_.domain + " needs a user name and password");
    }
    authorization_ = BasicAuthorization(options_.username, options_.password);
    return Status::Ok();
  }
  if (scheme != "bearer" || params["realm"].empty()) {
    return Status::Error("registry " + ref_.domain + ": unsupported authentication challenge \"" +
                         challenge + "\"");
  }
  std::string url = params["realm"];
  std::string scope = params.count("scope") ? params["scope"]
                                            : "repository:" + ref_.repository + ":pull";
  url += (url.find('?') == std::string::npos ? "?" : "&");
  url += "scope=" + UrlEscape(scope);
  if (params.count("service")) url += "&service=" + UrlEscape(params["service"]);
  HttpRequest request{url, {}, false};
  if (!options_.username.empty()) {
    request.headers.push_back("Authorization: " +
                              BasicAuthorization(options_.username, options_.password));
  }
  ASSIGN_OR_RETURN(HttpResponse r, http_.Fetch(request, 1u << 20));
  if (r.status != 200) {
    return Status::Error("token server " + params["realm"] + " refused a token (HTTP " +
                         std::to_string(r.status) + ")");
  }
  json j = json::parse(r.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    if (j.contains("token") && j["token"].is_string()) token = j["token"];
    if (token.empty() && j.contains("access_token") && j["access_token"].is_string()) {
      token = j["access_token"];
    }
  }
  if (token.empty()) return Status::Error("token server " + params["realm"] + " sent no token");
  authorization_ = "Bearer " + token;
  return Status::Ok();
}

Result<HttpResponse> RegistryClient::Send(const std::string& path, std::vector<std::string> headers,
                                          const HttpClient::Sink* sink, size_t max_body) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest request{base_url_ + path, headers, false};
    if (!authorization_.empty()) request.headers.push_back("Authorization: " + authorization_);
    Result<HttpResponse> r = sink ? http_.Stream(request, *sink) : http_.Fetch(request, max_body);
    if (!r.ok()) return r.status().WithContext("registry " + ref_.domain);
    if (r->status != 401 || attempt > 0) return r;
    std::string challenge = r->header("www-authenticate");
    if (challenge.empty()) return r;
    LOG_DEBUG << "registry challenge: " << challenge;
    RETURN_IF_ERROR(Authenticate(challenge));
  }
}

Result<FetchedManifest> RegistryClient::GetManifest(const std::string& reference) {
  std::vector<std::string> headers = {
      "Accept: " + std::string(media::kOciIndex) + ", " + std::string(media::kDockerManifestList) +
      ", " + std::string(media::kOciManifest) + ", " + std::string(media::kDockerManifest)};
  ASSIGN_OR_RETURN(HttpResponse r, Send("/manifests/" + reference, headers, nullptr, 4u << 20));
  std::string what = "manifest " + ref_.name() + (reference.rfind("sha256:", 0) == 0 ? "@" : ":") +
                     reference;
  if (r.status != 200) return ErrorFor(r, what);
  FetchedManifest m;
  m.body = std::move(r.body);
  m.media_type = r.header("content-type");
  if (auto semi = m.media_type.find(';'); semi != std::string::npos) m.media_type.resize(semi);
  if (!IsIndexMediaType(m.media_type) && !IsManifestMediaType(m.media_type)) {
    auto sniffed = SniffMediaType(m.body);
    if (!sniffed.ok() || !(IsIndexMediaType(*sniffed) || IsManifestMediaType(*sniffed))) {
      return Status::Error(what + ": unsupported media type \"" + m.media_type + "\"");
    }
    m.media_type = *sniffed;
  }
  return m;
}

Status RegistryClient::GetBlob(const std::string& digest, const HttpClient::Sink& sink) {
  ASSIGN_OR_RETURN(HttpResponse r, Send("/blobs/" + digest, {}, &sink, 1u << 20));
  if (r.status != 200) return ErrorFor(r, "blob " + digest);
  return Status::Ok();
}

}  // namespace hull::rootfs
