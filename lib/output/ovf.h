// SPDX-License-Identifier: GPL-2.0-or-later
/* The OVF 1.x descriptor (DMTF DSP0243) of a one-disk virtual machine. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "recipe/recipe.h"
#include "targets.h"

struct ib_ovf_disk {
	const char *href;    /* the disk file, beside the descriptor */
	uint64_t file_size;  /* its bytes */
	uint64_t capacity;   /* the disk's virtual size */
	uint64_t populated;  /* bytes of it that hold data */
};

/* The descriptor, malloc'd: References, DiskSection, NetworkSection, one
 * VirtualSystem with OperatingSystemSection, VirtualHardwareSection (CPUs,
 * memory, a controller, the disk, a NIC; on VMware targets the firmware and
 * secure-boot flags) and, with properties, a ProductSection whose values
 * reach the guest through com.vmware.guestInfo (and iso). */
char *ib_ovf_descriptor(const struct ib_vm *vm, const struct ib_ovf_disk *disk, const struct ib_property_spec *props,
			size_t nprops);
