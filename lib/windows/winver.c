// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows version detection from the offline hives, following libguestfs's
 * inspection (windows-injection.md section 2), and the mapping to the
 * virtio-win driver folder names. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "winver.h"

#define CURRENT_VERSION "Microsoft\\Windows NT\\CurrentVersion"

int ib_winver_control_set(struct ib_hive *system, char **out, struct ib_error *err)
{
	const char *label = ib_hive_label(system);
	uint32_t cur = 0;
	*out = NULL;
	int r = ib_hive_get_dword(system, "Select", "Current", &cur, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return ib_fail(err, IB_EXIT_INPUT, "%s hive has no value Select\\Current: not a Windows SYSTEM hive?",
			       label);
	if (cur == 0 || cur > 999)
		return ib_fail(err, IB_EXIT_INPUT, "%s\\Select\\Current is %" PRIu32 ", not a control set number 1-999",
			       label, cur);
	char *name = ib_xasprintf("ControlSet%03" PRIu32, cur);
	r = ib_hive_key_exists(system, name, err);
	if (r <= 0) {
		if (r == 0)
			ib_fail(err, IB_EXIT_INPUT, "%s\\Select\\Current is %" PRIu32 ", but the hive has no key %s", label,
				cur, name);
		free(name);
		return -1;
	}
	*out = name;
	return 0;
}

void ib_winver_free(struct ib_winver *v)
{
	free(v->product_name);
	free(v->edition_id);
	free(v->installation_type);
	*v = (struct ib_winver){0};
}

static bool contains_ci(const char *s, const char *word)
{
	return s && strcasestr(s, word);
}

const char *ib_winver_virtio_dir(unsigned major, unsigned minor, unsigned build, bool server,
				 const char *product_name)
{
	if (major == 5 && minor == 1)
		return "xp";
	if (major == 5 && minor == 2) /* XP x64 shares 5.2 with Server 2003 */
		return contains_ci(product_name, "XP") ? "xp" : "2k3";
	if (major == 6) {
		switch (minor) {
		case 0: return "2k8"; /* Vista and Server 2008 share the folder */
		case 1: return server ? "2k8R2" : "w7";
		case 2: return server ? "2k12" : "w8";
		case 3: return server ? "2k12R2" : "w8.1";
		}
		return NULL;
	}
	if (major != 10 || minor != 0)
		return NULL;
	if (!server)
		return build >= 22000 ? "w11" : "w10";
	/* The year in the product name first (Windows Server 2019 and 2022
	 * preview builds, and 2025's, overlap the thresholds below), then the
	 * build number. */
	if (contains_ci(product_name, "2025"))
		return "2k25";
	if (contains_ci(product_name, "2022"))
		return "2k22";
	if (contains_ci(product_name, "2019"))
		return "2k19";
	if (contains_ci(product_name, "2016"))
		return "2k16";
	if (build >= 26100)
		return "2k25";
	if (build >= 20348)
		return "2k22";
	if (build >= 17763)
		return "2k19";
	return "2k16";
}

/* Optional string value: NULL when absent. */
static int opt_string(struct ib_hive *sw, const char *name, char **out, struct ib_error *err)
{
	return ib_hive_get_string(sw, CURRENT_VERSION, name, out, err) < 0 ? -1 : 0;
}

static int parse_version(const char *label, const char *s, unsigned *major, unsigned *minor,
			 struct ib_error *err)
{
	unsigned a, b;
	int used = 0;
	if (sscanf(s, "%u.%u%n", &a, &b, &used) != 2 || s[used] != '\0' || !isdigit((unsigned char)s[0]))
		return ib_fail(err, IB_EXIT_INPUT, "%s\\" CURRENT_VERSION "\\CurrentVersion is \"%s\", not MAJOR.MINOR",
			       label, s);
	*major = a;
	*minor = b;
	return 0;
}

static int read_version(struct ib_hive *sw, struct ib_winver *v, struct ib_error *err)
{
	const char *label = ib_hive_label(sw);
	uint32_t maj, min = 0;
	int r = ib_hive_get_dword(sw, CURRENT_VERSION, "CurrentMajorVersionNumber", &maj, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (ib_hive_get_dword(sw, CURRENT_VERSION, "CurrentMinorVersionNumber", &min, err) < 0)
			return -1;
		v->major = maj;
		v->minor = min;
		return 0;
	}
	_cleanup_free_ char *cv = NULL;
	r = ib_hive_get_string(sw, CURRENT_VERSION, "CurrentVersion", &cv, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s\\" CURRENT_VERSION " has neither CurrentMajorVersionNumber nor CurrentVersion",
			       label);
	return parse_version(label, cv, &v->major, &v->minor, err);
}

static int read_build(struct ib_hive *sw, struct ib_winver *v, struct ib_error *err)
{
	static const char *const names[] = {"CurrentBuildNumber", "CurrentBuild"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *s = NULL;
		int r = ib_hive_get_string(sw, CURRENT_VERSION, names[i], &s, err);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		char *end;
		unsigned long b = strtoul(s, &end, 10);
		if (end == s || *end != '\0' || b > 0xffffffffu)
			return ib_fail(err, IB_EXIT_INPUT, "%s\\" CURRENT_VERSION "\\%s is \"%s\", not a number",
				       ib_hive_label(sw), names[i], s);
		v->build = (unsigned)b;
		return 0;
	}
	return 0;
}

int ib_winver_read(struct ib_hive *sw, struct ib_winver *out, struct ib_error *err)
{
	struct ib_winver v = {0};
	int r = ib_hive_key_exists(sw, CURRENT_VERSION, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return ib_fail(err, IB_EXIT_INPUT, "%s hive has no key " CURRENT_VERSION ": not a Windows SOFTWARE hive?",
			       ib_hive_label(sw));
	if (read_version(sw, &v, err) < 0 || read_build(sw, &v, err) < 0 ||
	    opt_string(sw, "ProductName", &v.product_name, err) < 0 ||
	    opt_string(sw, "EditionID", &v.edition_id, err) < 0 ||
	    opt_string(sw, "InstallationType", &v.installation_type, err) < 0) {
		ib_winver_free(&v);
		return -1;
	}
	/* libguestfs: Server iff InstallationType contains "Server" ("Server
	 * Core" too). Before InstallationType existed, the edition tells. */
	if (v.installation_type)
		v.server = contains_ci(v.installation_type, "Server");
	else
		v.server = (v.edition_id && strncasecmp(v.edition_id, "Server", 6) == 0) ||
			   contains_ci(v.product_name, "Server");
	v.virtio_dir = ib_winver_virtio_dir(v.major, v.minor, v.build, v.server, v.product_name);
	*out = v;
	return 0;
}
