// Docker's `filters` query parameter on the list endpoints (moby api/types/filters):
// both JSON forms clients send ({"key":["v"]} and {"key":{"v":true}}), Docker's 400
// messages ("invalid filter 'foo'"), and the matching rules `docker ps` and
// `docker images` apply. Pure functions over records and the image store; called on a
// connection's thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "base/status.h"
#include "engine/container_record.h"
#include "rootfs-builder/content_store.h"

namespace hull::api {

class ListFilters {
 public:
  // `text` as the query gives it ("" → no filters). A key outside `accepted` is Docker's
  // "invalid filter 'KEY'"; one in `unsupported` (Docker has it, hulld not yet) says so.
  static base::Result<ListFilters> Parse(const std::string& text, const std::set<std::string>& accepted,
                                         const std::set<std::string>& unsupported = {});

  bool Contains(const std::string& key) const { return fields_.count(key) > 0; }
  std::set<std::string> Get(const std::string& key) const;
  // moby's Args.Match: true without values for `key`; else some value equals `source`
  // or, read as an extended regular expression, is found in it.
  bool Match(const std::string& key, const std::string& source) const;
  // moby's Args.MatchKVList: every "k" or "k=v" of `key` is among `labels` (an object).
  bool MatchLabels(const std::string& key, const nlohmann::json& labels) const;

 private:
  std::map<std::string, std::set<std::string>> fields_;
};

// GET /containers/json: the containers `docker ps` shows for `all` and the filters
// (status, name, id, label, ancestor, exited, before, since), newest first.
// Errors are Docker's 400s (and 404 for before/since naming no container).
base::Result<std::vector<engine::ContainerRecord>> ListContainers(ApiContext& ctx, bool all,
                                                                  const std::string& filters, int* error_status);

// GET /images/json: the store's images kept by the filters (reference, dangling, label,
// before, since). `dangling` says whether a record has no name (<none>:<none>).
base::Result<std::vector<rootfs::ImageRecord>> FilterImages(const rootfs::ContentStore& store,
                                                            std::vector<rootfs::ImageRecord> images,
                                                            const std::string& filters);

// Docker's familiar form: docker.io/library/busybox:latest → busybox:latest.
std::string FamiliarName(const std::string& name);
bool IsDanglingImage(const rootfs::ImageRecord& record);

}  // namespace hull::api
