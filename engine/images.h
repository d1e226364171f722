// Image look-up as the Docker API does it: a name as stored, a reference normalized
// ("busybox" → docker.io/library/busybox:latest), or an ID (sha256:HEX or a prefix of at
// least 12 hex digits); hull/busybox is built in and imported the first time it is
// asked for. Called by the engine and hulld's image routes (any thread).
#pragma once

#include <string>

#include "base/status.h"
#include "rootfs-builder/content_store.h"

namespace hull::engine {

// Not found is an error whose message is Docker's "No such image: TEXT".
base::Result<rootfs::ImageRecord> FindImage(const rootfs::ContentStore& store,
                                            const std::string& text);

}  // namespace hull::engine
