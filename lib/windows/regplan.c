// SPDX-License-Identifier: GPL-2.0-or-later
/* Registry edit lists for a boot-critical storage driver. Every key and
 * value here is from windows-injection.md section 3 ("What libguestfs
 * (virt-v2v / virt-customize --inject-virtio-win) writes"); the StartOverride
 * removal from its section 6 item 3. */
#include <stdio.h>
#include <strings.h>

#include "core/guid.h"
#include "regplan.h"

#define SYS "SYSTEM"

enum ib_regplan_pnp ib_regplan_pnp_for(unsigned major, unsigned minor)
{
	return major > 6 || (major == 6 && minor >= 2) ? IB_REGPLAN_DDB : IB_REGPLAN_CDDB;
}

static int check_hwid(const char *id, struct ib_error *err)
{
	const char *bs = strchr(id, '\\');
	if (!bs || bs == id || !bs[1] || strstr(id, "\\\\") || id[strlen(id) - 1] == '\\')
		return ib_fail(err, IB_EXIT_INPUT, "hardware id \"%s\" is not ENUMERATOR\\ID (e.g. PCI\\VEN_1AF4&DEV_1001)",
			       id);
	return 0;
}

/* Section 3, service key: Type, Start=0 (boot), ErrorControl, ImagePath
 * (REG_EXPAND_SZ), Group; libguestfs writes no Tag. */
static int service_edits(const struct ib_regplan_service *s, struct ib_reg_edits *out, struct ib_error *err)
{
	_cleanup_free_ char *key = ib_xasprintf("CurrentControlSet\\Services\\%s", s->name);
	_cleanup_free_ char *override = ib_xasprintf("%s\\StartOverride", key);
	ib_reg_edits_set_dword(out, SYS, key, "Type", s->type);
	ib_reg_edits_set_dword(out, SYS, key, "Start", 0);
	ib_reg_edits_set_dword(out, SYS, key, "ErrorControl", s->error_control);
	if (ib_reg_edits_set_expand_sz(out, SYS, key, "ImagePath", s->image_path, err) < 0)
		return -1;
	if (s->group && ib_reg_edits_set_sz(out, SYS, key, "Group", s->group, err) < 0)
		return -1;
	if (s->display_name && ib_reg_edits_set_sz(out, SYS, key, "DisplayName", s->display_name, err) < 0)
		return -1;
	/* Section 6 item 3: a StartOverride subkey wins over Start (0x7B). */
	ib_reg_edits_delete_key(out, SYS, override);
	return 0;
}

/* Section 3, pre-Win8: ControlSetNNN\Control\CriticalDeviceDatabase\PCI#<id>. */
static int cddb_edits(const struct ib_regplan_boot *b, const char *guid, struct ib_reg_edits *out,
		      struct ib_error *err)
{
	for (size_t i = 0; i < b->n_hwids; i++) {
		_cleanup_free_ char *id = ib_xstrdup(b->hwids[i]);
		for (char *p = id; *p; p++)
			if (*p == '\\')
				*p = '#';
		_cleanup_free_ char *key = ib_xasprintf("CurrentControlSet\\Control\\CriticalDeviceDatabase\\%s", id);
		if (ib_reg_edits_set_sz(out, SYS, key, "Service", b->svc.name, err) < 0 ||
		    ib_reg_edits_set_sz(out, SYS, key, "ClassGUID", guid, err) < 0)
			return -1;
	}
	return 0;
}

/* Section 3, "Version" of the placeholder package: 00 ff 09 00 00 00 00 00,
 * the class GUID in Windows byte order, 24 zero bytes (libguestfs: needed by
 * Kernel-PnP on w10/2k16). */
static void version_blob(const struct ib_guid *g, uint8_t out[48])
{
	static const uint8_t head[8] = {0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00};
	memset(out, 0, 48);
	memcpy(out, head, sizeof(head));
	memcpy(out + 8, g->b, 16);
}

/* Section 3, Win8+: SYSTEM\DriverDatabase (not under a control set). */
static int ddb_edits(const struct ib_regplan_boot *b, const struct ib_guid *g, struct ib_reg_edits *out,
		     struct ib_error *err)
{
	const char *inf = b->inf_name ? b->inf_name : "guestor.inf";
	size_t stem = strlen(inf);
	if (stem > 4 && strcasecmp(inf + stem - 4, ".inf") == 0)
		stem -= 4;
	_cleanup_free_ char *label = ib_xasprintf("%s_%s_0000000000000000", inf, ib_win_arch_name(b->arch));
	_cleanup_free_ char *conf = ib_xasprintf("%.*s_conf", (int)stem, inf);
	_cleanup_free_ char *inf_key = ib_xasprintf("DriverDatabase\\DriverInfFiles\\%s", inf);
	_cleanup_free_ char *pkg = ib_xasprintf("DriverDatabase\\DriverPackages\\%s", label);
	_cleanup_free_ char *conf_key = ib_xasprintf("%s\\Configurations\\%s", pkg, conf);
	const char *labels[] = {label}, *confs[] = {conf};

	if (ib_reg_edits_set_multi_sz(out, SYS, inf_key, "", labels, 1, err) < 0 ||
	    ib_reg_edits_set_sz(out, SYS, inf_key, "Active", label, err) < 0 ||
	    ib_reg_edits_set_multi_sz(out, SYS, inf_key, "Configurations", confs, 1, err) < 0)
		return -1;
	uint8_t ver[48];
	version_blob(g, ver);
	ib_reg_edits_set(out, SYS, pkg, "Version", IB_REG_BINARY, ver, sizeof(ver));
	ib_reg_edits_set_dword(out, SYS, conf_key, "ConfigFlags", 0);
	if (ib_reg_edits_set_sz(out, SYS, conf_key, "Service", b->svc.name, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_hwids; i++) {
		/* Rank byte: 01 for an id that is a device's hardware id on the
		 * INF's models line, 02 for a compatible id after it (the order
		 * Windows ranks matches in; docs/design-notes.md). */
		const char *id = b->hwids[i];
		bool first = !b->hwid_is_first || b->hwid_is_first[i];
		uint8_t rank[4] = {first ? 0x01 : 0x02, 0xff, 0x00, 0x00};
		_cleanup_free_ char *ids_key = ib_xasprintf("DriverDatabase\\DeviceIds\\%s", id);
		_cleanup_free_ char *desc_key = ib_xasprintf("%s\\Descriptors\\%s", pkg, id);
		ib_reg_edits_set(out, SYS, ids_key, inf, IB_REG_BINARY, rank, sizeof(rank));
		if (ib_reg_edits_set_sz(out, SYS, desc_key, "Configuration", conf, err) < 0)
			return -1;
	}
	return 0;
}

int ib_regplan_boot_driver(const struct ib_regplan_boot *b, struct ib_reg_edits *out, struct ib_error *err)
{
	const struct ib_regplan_service *s = &b->svc;
	if (!s->name || !s->name[0] || strchr(s->name, '\\'))
		return ib_fail(err, IB_EXIT_INPUT, "boot driver: service name \"%s\" is empty or has a backslash",
			       s->name ? s->name : "");
	if (!s->image_path || !s->image_path[0])
		return ib_fail(err, IB_EXIT_INPUT, "boot driver %s: no ServiceBinary (ImagePath)", s->name);
	if (!b->n_hwids)
		return ib_fail(err, IB_EXIT_INPUT, "boot driver %s: no hardware ids to bind", s->name);
	for (size_t i = 0; i < b->n_hwids; i++)
		if (check_hwid(b->hwids[i], err) < 0)
			return -1;
	const char *gtext = b->class_guid ? b->class_guid : IB_REGPLAN_SCSI_ADAPTER_GUID;
	size_t glen = strlen(gtext);
	_cleanup_free_ char *bare = gtext[0] == '{' && glen > 2 && gtext[glen - 1] == '}'
					    ? ib_xstrndup(gtext + 1, glen - 2)
					    : ib_xstrdup(gtext);
	struct ib_guid g;
	if (ib_guid_parse(bare, &g) < 0)
		return ib_fail(err, IB_EXIT_INPUT, "boot driver %s: class GUID \"%s\" is malformed", s->name, gtext);
	char canon[40];
	_cleanup_free_ char *braced = ib_xasprintf("{%s}", ib_guid_format(&g, canon));

	size_t n0 = out->list.n;
	int r = service_edits(s, out, err);
	if (r == 0)
		r = b->pnp == IB_REGPLAN_DDB ? ddb_edits(b, &g, out, err) : cddb_edits(b, braced, out, err);
	if (r < 0) {
		/* Leave out as it was. */
		struct ib_reg_edits tail = {.list = {.v = out->list.v + n0, .n = out->list.n - n0}};
		struct ib_reg_edits keep = {.list = {.v = out->list.v, .n = n0, .cap = out->list.cap}};
		for (size_t i = 0; i < tail.list.n; i++) {
			struct ib_reg_edit *ed = &tail.list.v[i];
			free(ed->hive), free(ed->key), free(ed->name), free(ed->data), free(ed->base);
		}
		*out = keep;
	}
	return r;
}

void ib_regplan_device_path(struct ib_reg_edits *out, const char *dir)
{
	/* Section 3: EXPAND_SZ, default "%SystemRoot%\inf"; virt-v2v appends. */
	ib_reg_edits_append_path(out, "SOFTWARE", "Microsoft\\Windows\\CurrentVersion", "DevicePath",
				 IB_REG_EXPAND_SZ, dir, "%SystemRoot%\\inf");
}
