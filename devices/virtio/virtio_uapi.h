// The virtio wire formats, from the Linux uapi headers (the spec's own headers). Include
// this rather than <linux/virtio_ring.h> directly: the legacy vring_init() helper there
// does not compile as C++, so VIRTIO_RING_NO_LEGACY leaves it out.
#pragma once

#define VIRTIO_RING_NO_LEGACY 1
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
