// The virtio-net wire formats from the Linux uapi header (the spec's own). Include this
// rather than <linux/virtio_net.h>: its struct virtio_net_ctrl_hdr has a field named
// `class`, which is not C++, so the include renames it for the duration.
#pragma once

#include "devices/virtio/virtio_uapi.h"

#define class class_
#include <linux/virtio_net.h>
#undef class
