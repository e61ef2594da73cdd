// SPDX-License-Identifier: GPL-2.0-or-later
/* The target profiles and the names OVF gives devices and guests. CIM
 * ResourceType values are DSP8023's (3 CPU, 4 memory, 5 IDE, 6 SCSI HBA, 10
 * Ethernet, 17 disk, 20 other storage: SATA). The guest table holds the CIM
 * OSType and VMware guest ids; docs/targets.md says where each was checked. */
#include "targets.h"

#include <string.h>

#include "core/util.h"

static const struct ib_ovf_device controllers[] = {
	{ "pvscsi", 6, "VirtualSCSI", "VirtualSCSI" },
	{ "lsilogicsas", 6, "lsilogicsas", "lsilogicsas" },
	{ "lsilogic", 6, "lsilogic", "lsilogic" },
	{ "buslogic", 6, "buslogic", "buslogic" },
	{ "sata", 20, "AHCI", "vmware.sata.ahci" },
	{ "ide", 5, "PIIX4", "PIIX4" },
	{ "virtio-scsi", 6, "VirtioSCSI", "VirtioSCSI" },
};

static const struct ib_ovf_device nics[] = {
	{ "vmxnet3", 10, "VmxNet3", "VmxNet3" },
	{ "e1000", 10, "E1000", "E1000" },
	{ "e1000e", 10, "E1000e", "E1000e" },
	{ "virtio", 10, "virtio-net", "virtio-net" },
	{ "rtl8139", 10, "RTL8139", "RTL8139" },
};

static const struct ib_guest_os guests[] = {
	{ "windows7-64", 105, "windows7_64Guest", "Microsoft Windows 7 (64-bit)" },
	{ "windows2008r2-64", 103, "windows7Server64Guest", "Microsoft Windows Server 2008 R2 (64-bit)" },
	{ "windows8-64", 121, "windows8_64Guest", "Microsoft Windows 8 (64-bit)" },
	{ "windows2012-64", 103, "windows8Server64Guest", "Microsoft Windows Server 2012 (64-bit)" },
	{ "windows10-64", 121, "windows9_64Guest", "Microsoft Windows 10 (64-bit)" },
	{ "windows11-64", 121, "windows11_64Guest", "Microsoft Windows 11 (64-bit)" },
	{ "windows2016-64", 103, "windows9Server64Guest", "Microsoft Windows Server 2016 (64-bit)" },
	{ "windows2019-64", 103, "windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)" },
	{ "windows2022-64", 103, "windows2019srvNext_64Guest", "Microsoft Windows Server 2022 (64-bit)" },
	{ "windows2025-64", 103, "windows2022srvNext_64Guest", "Microsoft Windows Server 2025 (64-bit)" },
	{ "linux-64", 101, "otherLinux64Guest", "Linux (64-bit)" },
	{ "other-64", 102, "otherGuest64", "Other (64-bit)" },
};

static const char *const esxi_ctl[] = { "pvscsi", "lsilogicsas", "lsilogic", "sata", "ide", NULL };
static const char *const esxi_nic[] = { "vmxnet3", "e1000e", "e1000", NULL };
static const char *const esxi_drv[] = { "pvscsi", "vmxnet3", NULL };
static const char *const esxi_tools[] = { "vmware-tools", NULL };
static const char *const kvm_ctl[] = { "virtio-scsi", "sata", "ide", NULL };
static const char *const kvm_nic[] = { "virtio", "e1000", "e1000e", "rtl8139", NULL };
static const char *const kvm_drv[] = { "viostor", "vioscsi", "NetKVM", "vioser", NULL };
static const char *const kvm_tools[] = { "qemu-ga", NULL };
static const char *const syno_ctl[] = { "virtio-scsi", "sata", "ide", NULL };
static const char *const syno_nic[] = { "virtio", "e1000", "rtl8139", NULL };
static const char *const vbox_ctl[] = { "sata", "ide", "lsilogic", "lsilogicsas", "buslogic", "virtio-scsi", NULL };
static const char *const vbox_nic[] = { "e1000", "virtio", NULL };
static const char *const gen_ctl[] = { "sata", "ide", "lsilogic", "lsilogicsas", NULL };
static const char *const gen_nic[] = { "e1000", "e1000e", "virtio", NULL };
static const char *const none[] = { NULL };

static const struct ib_target_profile profiles[] = {
	[IB_TARGET_GENERIC] = { "generic", false, "sata", "e1000", gen_ctl, gen_nic, 0, "virtualbox-2.2", none, none,
				"no vendor extensions: devices every importer has" },
	[IB_TARGET_ESXI] = { "esxi", true, "pvscsi", "vmxnet3", esxi_ctl, esxi_nic, 19, NULL, esxi_drv, esxi_tools,
			     "ESXi: paravirtual SCSI and vmxnet3, which Windows has no inbox driver for" },
	[IB_TARGET_SYNOLOGY] = { "synology", false, "virtio-scsi", "virtio", syno_ctl, syno_nic, 0, "virtualbox-2.2",
				 kvm_drv, kvm_tools, "Synology VMM (KVM): VirtIO disk and network, and the QEMU guest agent" },
	[IB_TARGET_VIRTUALBOX] = { "virtualbox", false, "sata", "e1000", vbox_ctl, vbox_nic, 0, "virtualbox-2.2", none,
				   none, "VirtualBox: SATA (AHCI) and e1000, which Windows drives inbox" },
	[IB_TARGET_KVM] = { "kvm", false, "virtio-scsi", "virtio", kvm_ctl, kvm_nic, 0, "virtualbox-2.2", kvm_drv,
			    kvm_tools, "KVM (KubeVirt, libvirt): VirtIO disk and network, and the QEMU guest agent" },
};

const struct ib_target_profile *ib_target_profile(int target)
{
	return &profiles[(unsigned)target < IB_ARRAY_SIZE(profiles) ? target : IB_TARGET_GENERIC];
}

const char *ib_target_name(int target)
{
	return ib_target_profile(target)->name;
}

static const struct ib_ovf_device *device(const struct ib_ovf_device *v, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const struct ib_ovf_device *ib_ovf_controller(const char *name)
{
	return device(controllers, IB_ARRAY_SIZE(controllers), name);
}

const struct ib_ovf_device *ib_ovf_nic(const char *name)
{
	return device(nics, IB_ARRAY_SIZE(nics), name);
}

const struct ib_guest_os *ib_guest_os_by_name(const char *name)
{
	for (size_t i = 0; name && i < IB_ARRAY_SIZE(guests); i++)
		if (!strcmp(guests[i].name, name))
			return &guests[i];
	return NULL;
}

const char *const *ib_guest_os_names(void)
{
	static const char *names[IB_ARRAY_SIZE(guests) + 1];
	for (size_t i = 0; i < IB_ARRAY_SIZE(guests); i++)
		names[i] = guests[i].name;
	return names;
}

char *ib_target_list(const char *const *names)
{
	struct ib_buf b = {0};
	for (size_t i = 0; names[i]; i++)
		ib_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	return b.len ? ib_buf_steal(&b) : ib_xstrdup("none");
}

const struct ib_guest_os *ib_guest_os_for_windows(const char *product, unsigned build, bool server, bool x64)
{
	if (!x64)
		return NULL;
	const char *name = NULL;
	if (server) {
		static const char *const years[] = { "2025", "2022", "2019", "2016", "2012", "2008" };
		for (size_t i = 0; !name && product && i < IB_ARRAY_SIZE(years); i++)
			if (strstr(product, years[i]))
				name = (const char *const[]){ "windows2025-64", "windows2022-64", "windows2019-64",
							      "windows2016-64", "windows2012-64", "windows2008r2-64" }[i];
		if (!name)
			name = build >= 26100 ? "windows2025-64" : build >= 20348 ? "windows2022-64"
				: build >= 17763 ? "windows2019-64" : build >= 14393 ? "windows2016-64"
				: build >= 9200 ? "windows2012-64" : "windows2008r2-64";
	} else {
		name = build >= 22000 ? "windows11-64" : build >= 10240 ? "windows10-64"
			: build >= 9200 ? "windows8-64" : "windows7-64";
	}
	return ib_guest_os_by_name(name);
}

void ib_vm_resolve(const struct ib_recipe *r, const struct ib_guest_os *detected, bool gpt, struct ib_vm *vm)
{
	const struct ib_vm_spec *s = &r->vm;
	const struct ib_target_profile *p = ib_target_profile(r->target);
	*vm = (struct ib_vm){
		.profile = p,
		.name = s->name ? s->name : r->name,
		.cpus = s->cpus ? s->cpus : 2,
		.memory = s->memory ? s->memory : UINT64_C(4) << 30,
		.efi = s->firmware ? s->firmware == IB_FW_EFI : gpt, /* GPT disks boot through UEFI */
		.secure_boot = s->secure_boot,
		.controller = ib_ovf_controller(s->controller ? s->controller : p->controller),
		.nic = ib_ovf_nic(s->nic ? s->nic : p->nic),
		.guest = s->guest_os ? ib_guest_os_by_name(s->guest_os) : detected,
		.hardware_version = s->hardware_version ? (unsigned)s->hardware_version : p->hardware_version,
	};
	if (!vm->guest)
		vm->guest = ib_guest_os_by_name("other-64");
}
