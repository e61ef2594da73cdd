// SPDX-License-Identifier: GPL-2.0-or-later
/* The OVF descriptor, written as text: the document is small and fixed in
 * shape, and its bytes must be the same for the same recipe (reproducible
 * packages), which an XML library's serialiser does not promise. Every
 * value from the recipe is escaped. The e2e test checks it with xmllint. */
#include "ovf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static void esc(struct ib_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': ib_buf_puts(b, "&amp;"); break;
		case '<': ib_buf_puts(b, "&lt;"); break;
		case '>': ib_buf_puts(b, "&gt;"); break;
		case '"': ib_buf_puts(b, "&quot;"); break;
		case '\'': ib_buf_puts(b, "&apos;"); break;
		default: ib_buf_append(b, s, 1);
		}
	}
}

/* One rasd Item. The CIM schema lists an Item's elements as a sequence in
 * alphabetical order, and validating importers (ovftool) hold to it: they
 * are sorted here. Values are plain (escaped here). */
struct rasd {
	const char *name, *value;
};

static int rasd_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rasd *)a)->name, ((const struct rasd *)b)->name);
}

static void item(struct ib_buf *b, struct rasd *v, size_t n)
{
	qsort(v, n, sizeof(*v), rasd_cmp);
	ib_buf_puts(b, "      <Item>\n");
	for (size_t i = 0; i < n; i++) {
		ib_buf_printf(b, "        <rasd:%s>", v[i].name);
		esc(b, v[i].value);
		ib_buf_printf(b, "</rasd:%s>\n", v[i].name);
	}
	ib_buf_puts(b, "      </Item>\n");
}

/* With properties, their transport: VMware's guestinfo (vmtoolsd
 * --cmd "info-get guestinfo.ovfEnv") and an ISO for any other reader. */
static void hardware(struct ib_buf *b, const struct ib_vm *vm, bool properties)
{
	bool vmw = vm->profile->vmware;
	ib_buf_printf(b, "    <VirtualHardwareSection%s>\n", properties ? " ovf:transport=\"com.vmware.guestInfo iso\"" : "");
	ib_buf_puts(b, "      <Info>Virtual hardware requirements</Info>\n      <System>\n"
		       "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
		       "        <vssd:InstanceID>0</vssd:InstanceID>\n        <vssd:VirtualSystemIdentifier>");
	esc(b, vm->name);
	ib_buf_puts(b, "</vssd:VirtualSystemIdentifier>\n");
	if (vm->hardware_version)
		ib_buf_printf(b, "        <vssd:VirtualSystemType>vmx-%02u</vssd:VirtualSystemType>\n", vm->hardware_version);
	else
		ib_buf_printf(b, "        <vssd:VirtualSystemType>%s</vssd:VirtualSystemType>\n", vm->profile->system_type);
	ib_buf_puts(b, "      </System>\n");
	char el[96], n1[32], n2[32], desc[96];
	snprintf(el, sizeof el, "%" PRIu64 " virtual CPU(s)", vm->cpus);
	snprintf(n1, sizeof n1, "%" PRIu64, vm->cpus);
	struct rasd cpu[] = {{"ElementName", el}, {"InstanceID", "1"}, {"ResourceType", "3"},
			     {"AllocationUnits", "hertz * 10^6"}, {"Description", "Number of Virtual CPUs"},
			     {"VirtualQuantity", n1}};
	item(b, cpu, IB_ARRAY_SIZE(cpu));
	uint64_t mib = vm->memory >> 20;
	snprintf(el, sizeof el, "%" PRIu64 "MB of memory", mib);
	snprintf(n2, sizeof n2, "%" PRIu64, mib);
	struct rasd mem[] = {{"ElementName", el}, {"InstanceID", "2"}, {"ResourceType", "4"},
			     {"AllocationUnits", "byte * 2^20"}, {"Description", "Memory Size"}, {"VirtualQuantity", n2}};
	item(b, mem, IB_ARRAY_SIZE(mem));
	const struct ib_ovf_device *c = vm->controller, *n = vm->nic;
	char ctype[8], ntype[8];
	snprintf(ctype, sizeof ctype, "%u", c->resource_type);
	snprintf(ntype, sizeof ntype, "%u", n->resource_type);
	snprintf(desc, sizeof desc, "%s controller", c->name);
	struct rasd ctl[] = {{"ElementName", "diskController0"}, {"InstanceID", "3"}, {"ResourceType", ctype},
			     {"Address", "0"}, {"Description", desc},
			     {"ResourceSubType", vmw ? c->vmware_subtype : c->subtype}};
	item(b, ctl, IB_ARRAY_SIZE(ctl));
	struct rasd disk[] = {{"ElementName", "disk0"}, {"InstanceID", "4"}, {"ResourceType", "17"},
			      {"AddressOnParent", "0"}, {"HostResource", "ovf:/disk/vmdisk1"}, {"Parent", "3"}};
	item(b, disk, IB_ARRAY_SIZE(disk));
	char ndesc[96];
	snprintf(ndesc, sizeof ndesc, "%s ethernet adapter on \"VM Network\"", n->name);
	struct rasd nic[] = {{"ElementName", "ethernet0"}, {"InstanceID", "5"}, {"ResourceType", ntype},
			     {"AddressOnParent", "0"}, {"AutomaticAllocation", "true"}, {"Connection", "VM Network"},
			     {"Description", ndesc}, {"ResourceSubType", vmw ? n->vmware_subtype : n->subtype}};
	item(b, nic, IB_ARRAY_SIZE(nic));
	if (vmw) {
		ib_buf_printf(b, "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"%s\"/>\n",
			      vm->efi ? "efi" : "bios");
		if (vm->efi)
			ib_buf_printf(b, "      <vmw:Config ovf:required=\"false\" vmw:key=\"uefi.secureBoot.enabled\" "
					 "vmw:value=\"%s\"/>\n", vm->secure_boot ? "true" : "false");
	}
	ib_buf_puts(b, "    </VirtualHardwareSection>\n");
}

static void product(struct ib_buf *b, const struct ib_vm *vm, const struct ib_property_spec *props, size_t n)
{
	if (!n)
		return;
	ib_buf_puts(b, "    <ProductSection ovf:required=\"false\">\n      <Info>Properties the guest reads at first boot</Info>\n"
		       "      <Product>");
	esc(b, vm->name);
	ib_buf_puts(b, "</Product>\n");
	for (size_t i = 0; i < n; i++) {
		const struct ib_property_spec *p = &props[i];
		bool password = !strcmp(p->type, "password");
		ib_buf_puts(b, "      <Property ovf:key=\"");
		esc(b, p->key);
		ib_buf_printf(b, "\" ovf:type=\"%s\" ovf:userConfigurable=\"%s\"", password ? "string" : p->type,
			      p->user_configurable ? "true" : "false");
		if (password)
			ib_buf_puts(b, " ovf:password=\"true\"");
		ib_buf_puts(b, " ovf:value=\"");
		esc(b, p->value ? p->value : "");
		ib_buf_puts(b, "\">\n        <Label>");
		esc(b, p->label ? p->label : p->key);
		ib_buf_puts(b, "</Label>\n      </Property>\n");
	}
	ib_buf_puts(b, "    </ProductSection>\n");
}

char *ib_ovf_descriptor(const struct ib_vm *vm, const struct ib_ovf_disk *disk, const struct ib_property_spec *props,
			size_t nprops)
{
	struct ib_buf b = {0};
	ib_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""
			" xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\""
			" xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\""
			" xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData\"");
	if (vm->profile->vmware)
		ib_buf_puts(&b, " xmlns:vmw=\"http://www.vmware.com/schema/ovf\"");
	ib_buf_puts(&b, ">\n  <References>\n    <File ovf:id=\"file1\" ovf:href=\"");
	esc(&b, disk->href);
	ib_buf_printf(&b, "\" ovf:size=\"%" PRIu64 "\"/>\n  </References>\n", disk->file_size);
	ib_buf_printf(&b,
		      "  <DiskSection>\n    <Info>Virtual disk information</Info>\n"
		      "    <Disk ovf:capacity=\"%" PRIu64 "\" ovf:capacityAllocationUnits=\"byte\" ovf:diskId=\"vmdisk1\""
		      " ovf:fileRef=\"file1\""
		      " ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\""
		      " ovf:populatedSize=\"%" PRIu64 "\"/>\n  </DiskSection>\n",
		      disk->capacity, disk->populated);
	ib_buf_puts(&b, "  <NetworkSection>\n    <Info>The logical networks</Info>\n"
			"    <Network ovf:name=\"VM Network\">\n      <Description>The VM Network network</Description>\n"
			"    </Network>\n  </NetworkSection>\n  <VirtualSystem ovf:id=\"");
	esc(&b, vm->name);
	ib_buf_puts(&b, "\">\n    <Info>A virtual machine</Info>\n    <Name>");
	esc(&b, vm->name);
	ib_buf_printf(&b, "</Name>\n    <OperatingSystemSection ovf:id=\"%u\"", vm->guest->cim_id);
	if (vm->profile->vmware)
		ib_buf_printf(&b, " vmw:osType=\"%s\"", vm->guest->vmware);
	ib_buf_printf(&b, ">\n      <Info>The kind of installed guest operating system</Info>\n"
			  "      <Description>%s</Description>\n    </OperatingSystemSection>\n", vm->guest->description);
	hardware(&b, vm, nprops > 0);
	product(&b, vm, props, nprops);
	ib_buf_puts(&b, "  </VirtualSystem>\n</Envelope>\n");
	return ib_buf_steal(&b);
}
