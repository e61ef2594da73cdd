// SPDX-License-Identifier: GPL-2.0-or-later
/* Target profiles (`target:`): for each hypervisor, the virtual hardware an
 * OVF descriptor should ask for so the import is clean, what can be chosen
 * instead, and what a Windows guest needs there. One table; the recipe
 * check, the OVF writer and the docs read it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "recipe/recipe.h"

/* A device as OVF names it: CIM ResourceType, and ResourceSubType (VMware's
 * spelling where the target is ESXi). */
struct ib_ovf_device {
	const char *name; /* in the recipe */
	unsigned resource_type;
	const char *subtype, *vmware_subtype;
};

struct ib_guest_os {
	const char *name; /* in the recipe (vm: guest_os:) */
	unsigned cim_id;  /* OperatingSystemSection ovf:id (CIM_OperatingSystem.OSType) */
	const char *vmware; /* vmw:osType */
	const char *description;
};

struct ib_target_profile {
	const char *name;
	bool vmware; /* VMware OVF extensions (vmw:): firmware, secure boot, osType */
	const char *controller, *nic; /* defaults */
	const char *const *controllers, *const *nics; /* what the target has */
	unsigned hardware_version; /* ESXi: vmx-NN; 0: none */
	const char *system_type;   /* vssd:VirtualSystemType when not vmx-NN */
	/* Windows guests: the drivers (virtio-win or VMware folder names) and
	 * named guest tools the target wants, and why (for the report). */
	const char *const *windows_drivers, *const *windows_tools;
	const char *why;
};

const struct ib_target_profile *ib_target_profile(int target);
const char *ib_target_name(int target);
const struct ib_ovf_device *ib_ovf_controller(const char *name);
const struct ib_ovf_device *ib_ovf_nic(const char *name);
const struct ib_guest_os *ib_guest_os_by_name(const char *name);
/* For messages: "a, b, c" (malloc'd). */
char *ib_target_list(const char *const *names);
/* The guest_os names, NULL-terminated. */
const char *const *ib_guest_os_names(void);
/* The guest a detected Windows is (inspect's product name, build,
 * installation type, arch); NULL when it cannot tell. */
const struct ib_guest_os *ib_guest_os_for_windows(const char *product, unsigned build, bool server, bool x64);

/* vm: with the target's defaults and the detected guest filled in. */
struct ib_vm {
	const struct ib_target_profile *profile;
	const char *name;
	uint64_t cpus, memory;
	bool efi, secure_boot;
	const struct ib_ovf_device *controller, *nic;
	const struct ib_guest_os *guest;
	unsigned hardware_version;
};
void ib_vm_resolve(const struct ib_recipe *r, const struct ib_guest_os *detected, bool gpt, struct ib_vm *vm);
