#include "api/list_filters.h"

#include <fnmatch.h>
#include <regex.h>

#include <charconv>
#include <optional>

#include "engine/images.h"
#include "rootfs-builder/image_builder.h"

namespace hull::api {

using base::Result;
using base::Status;
using engine::ContainerRecord;
using engine::ContainerState;
using nlohmann::json;

namespace {

// Longer patterns are not names anyone types; refusing them bounds the matcher's work.
constexpr size_t kMaxPatternBytes = 256;

bool RegexFound(const std::string& pattern, const std::string& source) {
  if (pattern.size() > kMaxPatternBytes) return false;
  regex_t re;
  if (::regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;
  bool found = ::regexec(&re, source.c_str(), 0, nullptr, 0) == 0;
  ::regfree(&re);
  return found;
}

std::string Joined(const std::set<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ",") + v;
  return out;
}

Status Invalid(const std::string& key, const std::set<std::string>& values) {
  return Status::Error("invalid filter '" + key + "=" + Joined(values) + "'");
}

bool ValidState(const std::string& s) {
  static const std::set<std::string> kStates = {"created", "restarting", "running", "removing",
                                                "paused", "exited", "dead"};
  return kStates.count(s) > 0;
}

}  // namespace

Result<ListFilters> ListFilters::Parse(const std::string& text, const std::set<std::string>& accepted,
                                       const std::set<std::string>& unsupported) {
  ListFilters out;
  if (text.empty()) return out;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Error("invalid filter: filters must be a JSON object");
  for (const auto& [key, values] : j.items()) {
    std::set<std::string>& field = out.fields_[key];
    if (values.is_array()) {  // the legacy form {"key":["v"]}
      for (const auto& v : values) {
        if (!v.is_string()) return Status::Error("invalid filter '" + key + "': values must be strings");
        field.insert(v.get<std::string>());
      }
    } else if (values.is_object()) {  // {"key":{"v":true}}
      for (const auto& [v, on] : values.items()) {
        if (!on.is_boolean()) return Status::Error("invalid filter '" + key + "': values must be true");
        if (on.get<bool>()) field.insert(v);
      }
    } else {
      return Status::Error("invalid filter '" + key + "'");
    }
  }
  for (const auto& [key, values] : out.fields_) {
    if (unsupported.count(key)) return Status::Error("the filter '" + key + "' is not supported by hulld");
    if (!accepted.count(key)) return Status::Error("invalid filter '" + key + "'");
  }
  return out;
}

std::set<std::string> ListFilters::Get(const std::string& key) const {
  auto it = fields_.find(key);
  return it == fields_.end() ? std::set<std::string>{} : it->second;
}

bool ListFilters::Match(const std::string& key, const std::string& source) const {
  auto it = fields_.find(key);
  if (it == fields_.end() || it->second.empty()) return true;
  for (const auto& value : it->second) {
    if (value == source || RegexFound(value, source)) return true;
  }
  return false;
}

bool ListFilters::MatchLabels(const std::string& key, const json& labels) const {
  auto it = fields_.find(key);
  if (it == fields_.end() || it->second.empty()) return true;
  if (!labels.is_object() || labels.empty()) return false;
  for (const auto& value : it->second) {
    size_t eq = value.find('=');
    auto label = labels.find(value.substr(0, eq));
    if (label == labels.end()) return false;
    if (eq != std::string::npos && (!label->is_string() || label->get<std::string>() != value.substr(eq + 1))) {
      return false;
    }
  }
  return true;
}

namespace {

// The `before`/`since` container's creation time (404 when there is none).
Result<std::string> CreatedOf(ApiContext& ctx, const std::set<std::string>& refs, int* error_status) {
  std::string created;
  for (const auto& ref : refs) {
    ContainerRecord r;
    if (engine::Outcome o = ctx.engine.Get(ref, &r); !o.ok()) {
      *error_status = 404;
      return Status::Error(o.message());
    }
    created = r.created;
  }
  return created;
}

}  // namespace

Result<std::vector<ContainerRecord>> ListContainers(ApiContext& ctx, bool all, const std::string& text,
                                                    int* error_status) {
  *error_status = 400;
  ASSIGN_OR_RETURN(ListFilters f, ListFilters::Parse(text,
      {"ancestor", "before", "exited", "id", "label", "name", "since", "status"},
      {"expose", "health", "isolation", "is-task", "network", "publish", "volume"}));
  std::set<int> exited;
  for (const auto& v : f.Get("exited")) {
    int code = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), code);
    if (ec != std::errc() || end != v.data() + v.size()) return Invalid("exited", {v});
    exited.insert(code);
  }
  for (const auto& v : f.Get("status")) {
    if (!ValidState(v)) return Invalid("status", {v});
  }
  // As Docker: a status filter, before and since also list containers that are not running.
  all = all || f.Contains("status") || f.Contains("before") || f.Contains("since");
  std::set<std::string> ancestors;  // image IDs; a name that is no image matches nothing
  for (const auto& v : f.Get("ancestor")) {
    if (auto image = engine::FindImage(ctx.engine.store(), v); image.ok()) ancestors.insert(image->config.str());
  }
  ASSIGN_OR_RETURN(std::string before, CreatedOf(ctx, f.Get("before"), error_status));
  ASSIGN_OR_RETURN(std::string since, CreatedOf(ctx, f.Get("since"), error_status));
  std::vector<ContainerRecord> out;
  for (auto& r : ctx.engine.List(all)) {
    if (!before.empty() && !(r.created < before)) continue;
    if (!since.empty() && !(r.created > since)) continue;
    if (!f.Match("name", r.name) && !f.Match("name", "/" + r.name)) continue;
    if (!f.Match("id", r.id)) continue;
    if (!f.MatchLabels("label", r.config.value("Labels", json::object()))) continue;
    if (!exited.empty() && (r.state != ContainerState::kExited || !exited.count(r.exit_code))) continue;
    if (!f.Match("status", engine::StateName(r.state))) continue;
    if (f.Contains("ancestor") && !ancestors.count(r.image_id)) continue;
    out.push_back(std::move(r));
  }
  return out;
}

std::string FamiliarName(const std::string& name) {
  for (const char* prefix : {"docker.io/library/", "docker.io/"}) {
    std::string p = prefix;
    if (name.compare(0, p.size(), p) == 0) return name.substr(p.size());
  }
  return name;
}

bool IsDanglingImage(const rootfs::ImageRecord& r) {
  return r.name.empty() || r.name.find("<none>") != std::string::npos || r.name.rfind("sha256:", 0) == 0;
}

namespace {

// moby's reference.FamiliarMatch: the pattern (path.Match globbing) against the familiar
// name with its tag, then without it.
bool ReferenceMatches(const std::string& pattern, const rootfs::ImageRecord& r) {
  if (IsDanglingImage(r)) return false;
  std::string familiar = FamiliarName(r.name);
  if (::fnmatch(pattern.c_str(), familiar.c_str(), FNM_PATHNAME) == 0) return true;
  size_t cut = familiar.find('@');
  if (cut == std::string::npos) {
    size_t colon = familiar.rfind(':');
    if (colon != std::string::npos && familiar.find('/', colon) == std::string::npos) cut = colon;
  }
  return cut != std::string::npos && ::fnmatch(pattern.c_str(), familiar.substr(0, cut).c_str(), FNM_PATHNAME) == 0;
}

Result<std::string> ImageCreated(const rootfs::ContentStore& store, const std::set<std::string>& refs) {
  std::string created;
  for (const auto& ref : refs) {
    ASSIGN_OR_RETURN(rootfs::ImageRecord r, engine::FindImage(store, ref));
    created = r.created;
  }
  return created;
}

}  // namespace

Result<std::vector<rootfs::ImageRecord>> FilterImages(const rootfs::ContentStore& store,
                                                      std::vector<rootfs::ImageRecord> images,
                                                      const std::string& text) {
  ASSIGN_OR_RETURN(ListFilters f, ListFilters::Parse(text, {"before", "dangling", "label", "reference", "since"},
                                                     {"until"}));
  std::optional<bool> dangling;
  for (const auto& v : f.Get("dangling")) {
    bool value = v == "true" || v == "1";
    if (!value && v != "false" && v != "0") return Invalid("dangling", f.Get("dangling"));
    if (dangling && *dangling != value) return Invalid("dangling", f.Get("dangling"));
    dangling = value;
  }
  ASSIGN_OR_RETURN(std::string before, ImageCreated(store, f.Get("before")));
  ASSIGN_OR_RETURN(std::string since, ImageCreated(store, f.Get("since")));
  std::vector<rootfs::ImageRecord> out;
  for (auto& r : images) {
    if (dangling && IsDanglingImage(r) != *dangling) continue;
    if (!before.empty() && !(r.created < before)) continue;
    if (!since.empty() && !(r.created > since)) continue;
    if (f.Contains("reference")) {
      bool any = false;
      for (const auto& pattern : f.Get("reference")) any = any || ReferenceMatches(pattern, r);
      if (!any) continue;
    }
    if (f.Contains("label")) {
      auto image = rootfs::ReadStoredImage(store, r.manifest);
      if (!image.ok() || !f.MatchLabels("label", json(image->config.defaults.labels))) continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hull::api
