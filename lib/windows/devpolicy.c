// SPDX-License-Identifier: GPL-2.0-or-later
#include "devpolicy.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define RESTRICTIONS "Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions"


static int flag(struct ib_hive *h, const char *name, bool *on, struct ib_error *err)
{
	uint32_t v = 0;
	int r = ib_hive_get_dword(h, RESTRICTIONS, name, &v, err);
	if (r < 0)
		return -1;
	*on = r == 1 && v != 0;
	return 0;
}

/* An enabled list: the DWORD flag NAME set, and the values "1".."n" of the
 * subkey NAME. */
static int list(struct ib_hive *h, const char *name, ib_win_strlist *out, struct ib_error *err)
{
	bool on = false;
	if (flag(h, name, &on, err) < 0)
		return -1;
	if (!on)
		return 0;
	_cleanup_free_ char *key = ib_xasprintf("%s\\%s", RESTRICTIONS, name);
	for (unsigned i = 1;; i++) {
		char vname[16];
		snprintf(vname, sizeof vname, "%u", i);
		char *v = NULL;
		int r = ib_hive_get_string(h, key, vname, &v, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		IB_VEC_PUSH(*out, v);
	}
	return 0;
}

int ib_win_devpolicy_read(struct ib_hive *sw, struct ib_win_devpolicy *p, struct ib_error *err)
{
	*p = (struct ib_win_devpolicy){0};
	if (flag(sw, "DenyAll", &p->deny_all, err) < 0 || flag(sw, "DenyUnspecified", &p->deny_unspecified, err) < 0 ||
	    list(sw, "DenyDeviceIDs", &p->deny_ids, err) < 0 ||
	    list(sw, "DenyDeviceClasses", &p->deny_classes, err) < 0 ||
	    list(sw, "AllowDeviceIDs", &p->allow_ids, err) < 0 ||
	    list(sw, "AllowDeviceClasses", &p->allow_classes, err) < 0) {
		ib_win_devpolicy_free(p);
		return -1;
	}
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ib_win_devpolicy_free(struct ib_win_devpolicy *p)
{
	free_list(p->deny_ids.v, p->deny_ids.n);
	free_list(p->deny_classes.v, p->deny_classes.n);
	free_list(p->allow_ids.v, p->allow_ids.n);
	free_list(p->allow_classes.v, p->allow_classes.n);
	*p = (struct ib_win_devpolicy){0};
}

/* Class GUIDs compare without braces or case. */
static bool same_guid(const char *a, const char *b)
{
	if (*a == '{')
		a++;
	if (*b == '{')
		b++;
	size_t la = strcspn(a, "}"), lb = strcspn(b, "}");
	return la == lb && !strncasecmp(a, b, la);
}

static const char *in_list(char *const *v, size_t n, const char *what, bool guid)
{
	for (size_t i = 0; what && i < n; i++)
		if (guid ? same_guid(v[i], what) : !strcasecmp(v[i], what))
			return v[i];
	return NULL;
}

char *ib_win_devpolicy_blocks(const struct ib_win_devpolicy *p, const char *class_guid, const char *const *ids,
			      size_t n_ids)
{
	if (p->deny_all)
		return ib_xstrdup("Group Policy denies the installation of all devices (DenyAll)");
	const char *hit = in_list(p->deny_classes.v, p->deny_classes.n, class_guid, true);
	if (hit)
		return ib_xasprintf("Group Policy denies device setup class %s (DenyDeviceClasses)", hit);
	for (size_t i = 0; i < n_ids; i++)
		if ((hit = in_list(p->deny_ids.v, p->deny_ids.n, ids[i], false)))
			return ib_xasprintf("Group Policy denies device id %s (DenyDeviceIDs)", hit);
	if (!p->deny_unspecified || in_list(p->allow_classes.v, p->allow_classes.n, class_guid, true))
		return NULL;
	for (size_t i = 0; i < n_ids; i++)
		if (in_list(p->allow_ids.v, p->allow_ids.n, ids[i], false))
			return NULL;
	return ib_xstrdup("Group Policy denies devices that no allow list names (DenyUnspecified), and neither "
			  "AllowDeviceClasses nor AllowDeviceIDs names this one");
}
