// SPDX-License-Identifier: GPL-2.0-or-later
/* INF parser: the real INFs in $IMGBUILD_SHARED/fixtures/windows/inf (used in
 * place), small INFs built in memory for the text rules and the decoration
 * choice, and tests/inf/bad-*.inf whose first line says what must fail:
 *   ; expect: <line> <message substring>
 *   ; target: <arch> <major>.<minor>[.<build>]     (optional, default amd64 10.0.17763) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "windows/inf.h"
#include "tests/unit/support/fixtures.h"

static char fixtures[4096], bad_dir[4096];

static void setup_dirs(void)
{
	const char *src = getenv("IMGBUILD_SRCDIR");
	if (!src)
		src = ".";
	ut_shared_path(fixtures, sizeof(fixtures), "windows/inf");
	snprintf(bad_dir, sizeof(bad_dir), "%s/tests/inf", src);
}

static bool have_fixtures(void) { return ut_fixture_present(fixtures, "INF fixtures"); }

static char *fixture(const char *name)
{
	return ib_xasprintf("%s/%s", fixtures, name);
}

/* What the virtio-win build would substitute, for parsing templates leniently. */
static const char *defs_amd64[] = { "$ARCH$", "amd64", "INX_PLATFORM_DRIVERS_DIR", "12", NULL };
static const char *defs_x86[] = { "$ARCH$", "x86", "INX_PLATFORM_DRIVERS_DIR", "12", NULL };

static struct ib_inf *load_ok(const char *path, const struct ib_inf_opts *o)
{
	struct ib_error err = { 0 };
	struct ib_inf *inf = NULL;
	if (ib_inf_load(path, o, &inf, &err) < 0) {
		print_error("%s:%u: %s\n", err.loc.file, err.loc.line, err.msg);
		ib_error_clear(&err);
		fail();
	}
	return inf;
}

static struct ib_inf *load_mem(const char *text)
{
	struct ib_error err = { 0 };
	struct ib_inf *inf = NULL;
	if (ib_inf_load_buf("mem.inf", text, strlen(text), NULL, &inf, &err) < 0) {
		print_error("%s:%u: %s\n", err.loc.file, err.loc.line, err.msg);
		ib_error_clear(&err);
		fail();
	}
	return inf;
}

static const struct ib_inf_addreg *find_reg(const struct ib_inf_addreg *v, size_t n, const char *subkey,
					    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].subkey, subkey) && !strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static void test_viostor_built(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	char *path = fixture("viostor-built-2k12r2-amd64.inf");
	struct ib_inf *inf = load_ok(path, NULL);
	const struct ib_inf_version *v = ib_inf_version(inf);
	assert_int_equal(ib_inf_encoding(inf), IB_INF_ANSI);
	assert_null(ib_inf_template_token(inf, NULL));
	assert_string_equal(v->class_name, "SCSIAdapter");
	assert_string_equal(v->class_guid, "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
	assert_string_equal(v->provider, "Red Hat, Inc.");
	assert_true(v->has_driver_ver);
	assert_int_equal(v->year, 2021);
	assert_int_equal(v->month, 8);
	assert_int_equal(v->day, 30);
	assert_int_equal(v->ver[0], 100);
	assert_int_equal(v->ver[1], 85);
	assert_int_equal(v->ver[2], 104);
	assert_int_equal(v->ver[3], 20800);
	assert_string_equal(v->catalog, "viostor.cat");
	assert_string_equal(ib_inf_get_value(inf, "version", "driverver"), "08/30/2021");

	struct ib_inf_target t = { "amd64", 6, 3, 9600, 3 };
	assert_string_equal(ib_inf_catalog(inf, &t), "viostor.cat");
	struct ib_error err = { 0 };
	struct ib_inf_selection sel;
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_int_equal(sel.n_mfg, 1);
	assert_string_equal(sel.mfg[0].manufacturer, "Red Hat, Inc.");
	assert_string_equal(sel.mfg[0].section, "VioStor.NTamd64.6.3");
	assert_string_equal(sel.mfg[0].decoration, "NTamd64.6.3");
	assert_int_equal(sel.mfg[0].n_devices, 2);
	const struct ib_inf_device *d = sel.mfg[0].devices;
	assert_string_equal(d[0].desc, "Red Hat VirtIO SCSI controller");
	assert_string_equal(d[0].install, "scsi_inst");
	assert_int_equal(d[0].n_ids, 2);
	assert_string_equal(d[0].ids[0], "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00");
	assert_string_equal(d[0].ids[1], "PCI\\VEN_1AF4&DEV_1001");
	assert_string_equal(d[1].ids[0], "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01");
	assert_string_equal(d[1].ids[1], "PCI\\VEN_1AF4&DEV_1042");
	assert_int_equal(d[0].line, 52);
	ib_inf_selection_free(&sel);

	struct ib_inf_install *ins;
	assert_int_equal(ib_inf_install_get(inf, &t, "scsi_inst", &ins, &err), 0);
	assert_string_equal(ins->section, "scsi_inst");
	assert_string_equal(ins->services_section, "scsi_inst.Services");
	assert_string_equal(ins->hw_section, "scsi_inst.HW");
	assert_int_equal(ins->n_files, 1);
	assert_string_equal(ins->files[0].dest, "viostor.sys");
	assert_string_equal(ins->files[0].source, "viostor.sys");
	assert_int_equal(ins->files[0].dirid, 12);
	assert_string_equal(ins->files[0].dest_dir, "%SystemRoot%\\System32\\drivers");
	assert_int_equal(ins->files[0].flags, 2);
	assert_int_equal(ins->files[0].disk, 1);
	assert_int_equal(ins->n_services, 1);
	const struct ib_inf_service *s = &ins->services[0];
	assert_string_equal(s->name, "viostor");
	assert_int_equal(s->flags, 2);
	assert_int_equal(s->type, 1);
	assert_int_equal(s->start, 0);
	assert_int_equal(s->error_control, 1);
	assert_string_equal(s->binary_raw, "%12%\\viostor.sys");
	assert_string_equal(s->binary, "%SystemRoot%\\System32\\drivers\\viostor.sys");
	assert_int_equal(s->binary_dirid, 12);
	assert_string_equal(s->load_order_group, "SCSI miniport");
	assert_int_equal(s->n_addreg, 2);
	const struct ib_inf_addreg *r = find_reg(s->addreg, s->n_addreg, "Parameters", "BusType");
	assert_non_null(r);
	assert_string_equal(r->root, "HKR");
	assert_int_equal(r->type, IB_REG_DWORD);
	assert_int_equal(r->dword, 1);
	assert_string_equal(s->eventlog_section, "scsi_EventLog_Inst");
	r = find_reg(s->eventlog_addreg, s->n_eventlog_addreg, "", "EventMessageFile");
	assert_non_null(r);
	assert_int_equal(r->type, IB_REG_EXPAND_SZ);
	assert_string_equal(r->strs[0], "%SystemRoot%\\System32\\IoLogMsg.dll"); /* %% -> % */
	assert_int_equal(ins->n_hw_addreg, 6);
	assert_true(ins->hw_addreg[0].key_only);
	r = find_reg(ins->hw_addreg, ins->n_hw_addreg, "Interrupt Management\\MessageSignaledInterruptProperties",
		     "MessageNumberLimit");
	assert_non_null(r);
	assert_int_equal(r->dword, 256);
	assert_int_equal(r->line, 99);
	ib_inf_install_free(ins);

	/* Windows 10 still takes the 6.3 section; 7 and any x86 do not fit. */
	t = (struct ib_inf_target){ "amd64", 10, 0, 19041, 1 };
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_string_equal(sel.mfg[0].section, "VioStor.NTamd64.6.3");
	ib_inf_selection_free(&sel);
	t = (struct ib_inf_target){ "amd64", 6, 1, 7601, 1 };
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_string_equal(err.loc.file, ib_inf_path(inf));
	assert_int_equal(err.loc.line, 49);
	assert_string_equal(err.msg,
			    "no models section for amd64 Windows 6.1.7601 workstation (this INF has: NTamd64.6.3)");
	ib_error_clear(&err);
	t = (struct ib_inf_target){ "x86", 6, 3, 0, 0 };
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), -1);
	assert_non_null(strstr(err.msg, "no models section for x86 Windows 6.3 (this INF has: NTamd64.6.3)"));
	ib_error_clear(&err);
	t = (struct ib_inf_target){ "sparc", 6, 3, 0, 0 };
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), -1);
	assert_non_null(strstr(err.msg, "unknown target architecture 'sparc'"));
	ib_error_clear(&err);

	struct ib_buf b = { 0 };
	t = (struct ib_inf_target){ "amd64", 6, 3, 0, 0 };
	assert_int_equal(ib_inf_describe(inf, &t, &b, &err), 0);
	assert_non_null(strstr(b.s, "\"class\":\"SCSIAdapter\""));
	assert_non_null(strstr(b.s, "\"binary\":\"%SystemRoot%\\\\System32\\\\drivers\\\\viostor.sys\""));
	assert_non_null(strstr(b.s, "\"ids\":[\"PCI\\\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01\""));
	ib_buf_free(&b);
	ib_inf_free(inf);
	free(path);
}

static void test_netkvm_arm64(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	char *path = fixture("netkvm-built-arm64.inf");
	struct ib_inf *inf = load_ok(path, NULL);
	assert_string_equal(ib_inf_version(inf)->class_name, "Net");
	assert_int_equal(ib_inf_version(inf)->ver[3], 50692);
	struct ib_inf_target t = { "arm64", 10, 0, 22631, 1 };
	struct ib_error err = { 0 };
	struct ib_inf_selection sel;
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_string_equal(sel.mfg[0].section, "NetKVM.NTARM64.10.0");
	assert_int_equal(sel.mfg[0].n_devices, 5);
	assert_string_equal(sel.mfg[0].devices[2].install, "kvmnet6a.ndi");
	assert_string_equal(sel.mfg[0].devices[2].ids[0], "ACPI\\VEN_1AF4&DEV_1000");
	assert_string_equal(sel.mfg[0].devices[4].ids[0], "ACPI\\VEN_PRL&DEV_4009");
	ib_inf_selection_free(&sel);

	struct ib_inf_install *ins;
	assert_int_equal(ib_inf_install_get(inf, &t, "kvmnet6.ndi", &ins, &err), 0);
	assert_string_equal(ins->hw_section, "kvmnet6.ndi.hw"); /* as written; found case-insensitively */
	assert_int_equal(ins->n_files, 1);
	assert_string_equal(ins->files[0].dest, "netkvm.sys");
	assert_int_equal(ins->files[0].dirid, 12);
	assert_int_equal(ins->n_services, 1);
	assert_string_equal(ins->services[0].name, "netkvm");
	assert_int_equal(ins->services[0].start, 3);
	assert_string_equal(ins->services[0].load_order_group, "NDIS");
	assert_string_equal(ins->services[0].display_name, "Parallels VirtIO Ethernet Adapter Service");
	const struct ib_inf_addreg *r = find_reg(ins->addreg, ins->n_addreg, "", "BusNumber");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "0");
	r = find_reg(ins->addreg, ins->n_addreg, "Ndi\\Params\\*IPChecksumOffloadIPv4\\enum", "1");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "Tx Enabled"); /* [Strings] value followed by ';' */
	r = find_reg(ins->addreg, ins->n_addreg, "Ndi\\params\\*JumboPacket", "default");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "1514");
	ib_inf_install_free(ins);

	t.arch = "amd64";
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_int_equal(err.loc.line, 23);
	assert_string_equal(err.msg,
			    "no models section for amd64 Windows 10.0.22631 workstation (this INF has: NTARM64.10.0)");
	ib_error_clear(&err);
	ib_inf_free(inf);
	free(path);
}

static void test_netvadapter_utf16le(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	char *path = fixture("netvadapter-utf16le.inf");
	/* A WDK sample: NT$ARCH$ is stamped at build time, so strict loading refuses it. */
	struct ib_error err = { 0 };
	struct ib_inf *inf;
	assert_int_equal(ib_inf_load(path, NULL, &inf, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_int_equal(err.loc.line, 17);
	assert_non_null(strstr(err.msg, "this is an .inx template with unexpanded build tokens ($ARCH$ at line 17)"));
	ib_error_clear(&err);

	struct ib_inf_opts o = { .allow_template = true, .defines = defs_amd64 };
	inf = load_ok(path, &o);
	assert_int_equal(ib_inf_encoding(inf), IB_INF_UTF16LE_BOM);
	assert_null(ib_inf_template_token(inf, NULL));
	assert_string_equal(ib_inf_version(inf)->provider, "Microsoft");
	assert_string_equal(ib_inf_version(inf)->class_guid, "{4d36e972-e325-11ce-bfc1-08002be10318}");
	assert_int_equal(ib_inf_version(inf)->ver[2], 7065);
	assert_true(ib_inf_version(inf)->pnp_lockdown);
	struct ib_inf_target t = { "amd64", 10, 0, 0, 0 };
	struct ib_inf_selection sel;
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_string_equal(sel.mfg[0].section, "Msft.NTamd64");
	assert_int_equal(sel.mfg[0].n_devices, 5);
	assert_string_equal(sel.mfg[0].devices[0].desc, "KMDF Microsoft Virtual Ethernet Adapter (NDIS WDF)");
	assert_string_equal(sel.mfg[0].devices[0].ids[0], "root\\netvadapter");
	assert_string_equal(sel.mfg[0].devices[1].ids[0], "{b85b7c50-6a01-11d2-b841-00c04fad5171}\\netvadapter");
	ib_inf_selection_free(&sel);
	struct ib_inf_install *ins;
	assert_int_equal(ib_inf_install_get(inf, &t, "instance2.ndi", &ins, &err), 0);
	assert_string_equal(ins->services[0].binary, "%SystemRoot%\\System32\\drivers\\netvadapter.sys");
	const struct ib_inf_addreg *r = find_reg(ins->addreg, ins->n_addreg, "", "MACLastByte");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "2");
	r = find_reg(ins->addreg, ins->n_addreg, "Ndi\\Params\\*UsoIPv6\\Enum", "1");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "Enabled");
	ib_inf_install_free(ins);
	ib_inf_free(inf);

	/* Stamped for x86, the x86 section is chosen over the empty undecorated one. */
	o.defines = defs_x86;
	inf = load_ok(path, &o);
	t.arch = "x86";
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_string_equal(sel.mfg[0].section, "Msft.NTx86");
	ib_inf_selection_free(&sel);
	ib_inf_free(inf);
	free(path);
}

static void test_templates_refused(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	static const struct {
		const char *file;
		unsigned line;
		const char *first, *arch;
	} cases[] = {
		{ "viostor.inx", 42, "INX_PLATFORM_DRIVERS_DIR at line 42", "$ARCH$ at line 49" },
		{ "vioscsi.inx", 42, "INX_PLATFORM_DRIVERS_DIR at line 42", "$ARCH$ at line 49" },
		{ "balloon.inx", 29, "INX_PLATFORM_DRIVERS_DIR at line 29", "$ARCH$ at line 42" },
		{ "vioser.inx", 29, "INX_PLATFORM_DRIVERS_DIR at line 29", "$ARCH$ at line 42" },
		{ "pvpanic.inf", 27, "INX_PLATFORM_DRIVERS_DIR at line 27", "$ARCH$ at line 40" },
		{ "fwcfg.inf", 29, "INX_PLATFORM_DRIVERS_DIR at line 29", "$ARCH$ at line 44" },
		{ "viorng.inf", 35, "INX_PLATFORM_DRIVERS_DIR at line 35", "$ARCH$ at line 50" },
		{ "vioprot.inf", 24, "($ARCH$ at line 24", "INX_COMPANY at line 81" },
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		char *path = fixture(cases[i].file);
		struct ib_error err = { 0 };
		struct ib_inf *inf;
		assert_int_equal(ib_inf_load(path, NULL, &inf, &err), -1);
		assert_null(inf);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		assert_string_equal(err.loc.file, path);
		assert_int_equal(err.loc.line, cases[i].line);
		assert_non_null(strstr(err.msg, "this is an .inx template with unexpanded build tokens ("));
		assert_non_null(strstr(err.msg, cases[i].first));
		assert_non_null(strstr(err.msg, cases[i].arch));
		assert_non_null(strstr(err.msg, "; build it with stampinf/the WDK first"));
		ib_error_clear(&err);
		free(path);
	}
}

/* Every fixture parses (templates with build-like defines) and describes. */
static void test_every_fixture(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	DIR *d = opendir(fixtures);
	assert_non_null(d);
	struct dirent *e;
	unsigned n = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || (strcasecmp(e->d_name + l - 4, ".inf") && strcasecmp(e->d_name + l - 4, ".inx")))
			continue;
		char *path = fixture(e->d_name);
		struct ib_inf_opts o = { .allow_template = true, .defines = defs_amd64 };
		struct ib_inf *inf = load_ok(path, &o);
		bool arm = strstr(e->d_name, "arm64") != NULL;
		struct ib_inf_target t = { arm ? "arm64" : "amd64", 10, 0, 19041, 1 };
		struct ib_buf b = { 0 };
		struct ib_error err = { 0 };
		if (ib_inf_describe(inf, &t, &b, &err) < 0) {
			print_error("%s:%u: %s\n", err.loc.file, err.loc.line, err.msg);
			ib_error_clear(&err);
			fail();
		}
		assert_non_null(strstr(b.s, "\"installs\":[{\"section\":"));
		assert_non_null(strstr(b.s, "\"services\":[{\"name\":"));
		ib_buf_free(&b);
		ib_inf_free(inf);
		free(path);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 11);
}

static void test_fixture_values(void **state)
{
	(void)state;
	if (!have_fixtures())
		skip();
	struct ib_inf_opts o = { .allow_template = true, .defines = defs_amd64 };
	struct ib_inf_target t = { "amd64", 10, 0, 19041, 1 };
	struct ib_error err = { 0 };
	struct ib_inf_selection sel;
	struct ib_inf_install *ins;

	char *path = fixture("pvpanic.inf");
	struct ib_inf *inf = load_ok(path, &o);
	unsigned tl;
	assert_string_equal(ib_inf_template_token(inf, &tl), "$KMDFVERSION$");
	assert_int_equal(tl, 71);
	assert_string_equal(ib_inf_version(inf)->class_name, "System");
	assert_string_equal(ib_inf_version(inf)->signature, "$WINDOWS NT$");
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_string_equal(sel.mfg[0].section, "PVPanic.NTamd64");
	assert_string_equal(sel.mfg[0].devices[0].ids[0], "ACPI\\QEMU0001");
	assert_string_equal(sel.mfg[0].devices[1].ids[0], "PCI\\VEN_1B36&DEV_0011&SUBSYS_11001AF4&REV_01");
	ib_inf_selection_free(&sel);
	assert_int_equal(ib_inf_install_get(inf, &t, "PVPanic_Device", &ins, &err), 0);
	assert_string_equal(ins->section, "PVPanic_Device.NT");
	assert_string_equal(ins->services_section, "PVPanic_Device.NT.Services");
	assert_string_equal(ins->files[0].dest, "pvpanic.sys");
	assert_int_equal(ins->files[0].dirid, 12); /* DefaultDestDir */
	assert_string_equal(ins->services[0].name, "PVPanic");
	assert_int_equal(ins->services[0].start, 3);
	assert_string_equal(ins->services[0].load_order_group, "Extended Base");
	assert_string_equal(ins->services[0].binary, "%SystemRoot%\\System32\\drivers\\pvpanic.sys");
	ib_inf_install_free(ins);
	ib_inf_free(inf);
	free(path);

	path = fixture("fwcfg.inf");
	inf = load_ok(path, &o);
	assert_int_equal(ib_inf_install_get(inf, &t, "FwCfg_Device", &ins, &err), 0);
	assert_string_equal(ins->services[0].name, "FwCfg");
	assert_int_equal(ins->services[0].flags, 2); /* %SPSVCINST_ASSOCSERVICE% */
	assert_int_equal(ins->services[0].n_addreg, 1);
	assert_string_equal(ins->services[0].addreg[0].name, "DmaRemappingCompatible");
	assert_int_equal(ins->services[0].addreg[0].dword, 0);
	ib_inf_install_free(ins);
	ib_inf_free(inf);
	free(path);

	path = fixture("viorng.inf");
	inf = load_ok(path, &o);
	assert_int_equal(ib_inf_install_get(inf, &t, "VirtRng_Device", &ins, &err), 0);
	assert_int_equal(ins->n_files, 2);
	assert_string_equal(ins->files[1].dest, "viorngum.dll");
	assert_int_equal(ins->files[1].dirid, 11); /* its own [DestinationDirs] entry */
	assert_string_equal(ins->files[1].dest_dir, "%SystemRoot%\\System32");
	const struct ib_inf_addreg *r =
		find_reg(ins->addreg, ins->n_addreg,
			 "SYSTEM\\CurrentControlSet\\Control\\Cryptography\\Configuration\\Local\\Default\\00000006\\RNG",
			 "Providers");
	assert_non_null(r);
	assert_string_equal(r->root, "HKLM");
	assert_int_equal(r->type, IB_REG_MULTI_SZ);
	assert_true(r->flags & IB_ADDREG_APPEND);
	assert_string_equal(r->strs[0], "QEMU VirtIO RNG Provider");
	r = find_reg(ins->addreg, ins->n_addreg,
		     "SYSTEM\\CurrentControlSet\\Control\\Cryptography\\Providers\\QEMU VirtIO RNG Provider\\UM", "Image");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "viorngum.dll");
	assert_string_equal(ins->hw_section, "VirtRng_Device.NT.HW");
	assert_int_equal(ins->n_hw_addreg, 4);
	ib_inf_install_free(ins);
	ib_inf_free(inf);
	free(path);

	path = fixture("vioprot.inf");
	inf = load_ok(path, &o);
	const struct ib_inf_version *v = ib_inf_version(inf);
	assert_string_equal(v->class_name, "NetTrans");
	assert_int_equal(v->ver[0], 1);
	assert_int_equal(v->ver[1], 1);
	assert_int_equal(v->ver[2], 0);
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), 0);
	assert_string_equal(sel.mfg[0].devices[0].ids[0], "VIOPROT");
	assert_string_equal(sel.mfg[0].devices[0].install, "Install");
	ib_inf_selection_free(&sel);
	assert_int_equal(ib_inf_install_get(inf, &t, "Install", &ins, &err), 0);
	assert_int_equal(ins->n_files, 0); /* [Copy.Exec] is empty */
	r = find_reg(ins->addreg, ins->n_addreg, "Ndi\\Interfaces", "LowerRange");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "ndis5,ndis5_prot"); /* comma inside quotes */
	assert_string_equal(ins->services[0].name, "netkvmp");
	assert_int_equal(ins->services[0].flags, 0x800);
	assert_int_equal(ins->services[0].type, 16);
	assert_int_equal(ins->services[0].start, 2);
	assert_int_equal(ins->services[0].binary_dirid, 11);
	assert_string_equal(ins->services[0].binary, "%SystemRoot%\\System32\\netkvmps.exe");
	ib_inf_install_free(ins);
	ib_inf_free(inf);
	free(path);

	path = fixture("balloon.inx");
	inf = load_ok(path, &o);
	assert_int_equal(ib_inf_install_get(inf, &t, "BALLOON_Device", &ins, &err), 0);
	r = find_reg(ins->hw_addreg, ins->n_hw_addreg, "", "Security");
	assert_non_null(r);
	assert_string_equal(r->strs[0], "D:P(A;;GA;;;SY)"); /* ';' inside quotes is not a comment */
	r = find_reg(ins->services[0].eventlog_addreg, ins->services[0].n_eventlog_addreg, "", "EventMessageFile");
	assert_non_null(r);
	assert_string_equal(r->strs[0],
			    "%SystemRoot%\\System32\\IoLogMsg.dll;INX_BASE_ON_SYSTEM_ROOT_DRIVER_DIR\\balloon.sys");
	ib_inf_install_free(ins);
	ib_inf_free(inf);
	free(path);
}

static const char sel_inf[] = "[Version]\n"
			      "Signature=\"$Windows NT$\"\n"
			      "[Manufacturer]\n"
			      "%M% = M, NTamd64, NTamd64.6.3, NTamd64.10.0...14393, NTamd64.10.0...17763,"
			      " NTamd64.10.0.3, NTx86, NTarm64.10.0\n"
			      "[M.NTamd64]\n[M.NTamd64.6.3]\n[M.NTamd64.10.0...14393]\n[M.NTamd64.10.0...17763]\n"
			      "[M.NTamd64.10.0.3]\n[M.NTx86]\n[M.NTarm64.10.0]\n"
			      "[Strings]\nM = \"Maker\"\n";

static void expect_choice(const struct ib_inf *inf, struct ib_inf_target t, const char *want)
{
	struct ib_error err = { 0 };
	struct ib_inf_selection sel;
	if (ib_inf_select_models(inf, &t, &sel, &err) < 0) {
		print_error("%s %u.%u.%u: %s\n", t.arch, t.major, t.minor, t.build, err.msg);
		ib_error_clear(&err);
		fail();
	}
	assert_string_equal(sel.mfg[0].decoration, want);
	ib_inf_selection_free(&sel);
}

static void test_decoration_choice(void **state)
{
	(void)state;
	struct ib_inf *inf = load_mem(sel_inf);
	expect_choice(inf, (struct ib_inf_target){ "amd64", 6, 1, 7601, 1 }, "NTamd64");
	expect_choice(inf, (struct ib_inf_target){ "amd64", 6, 3, 9600, 3 }, "NTamd64.6.3");
	expect_choice(inf, (struct ib_inf_target){ "amd64", 10, 0, 10240, 1 }, "NTamd64.6.3");
	expect_choice(inf, (struct ib_inf_target){ "amd64", 10, 0, 14393, 1 }, "NTamd64.10.0...14393");
	expect_choice(inf, (struct ib_inf_target){ "amd64", 10, 0, 19041, 1 }, "NTamd64.10.0...17763");
	expect_choice(inf, (struct ib_inf_target){ "AMD64", 10, 0, 0, 3 }, "NTamd64.10.0.3");
	expect_choice(inf, (struct ib_inf_target){ "x86", 5, 1, 0, 0 }, "NTx86");
	expect_choice(inf, (struct ib_inf_target){ "arm64", 10, 0, 0, 0 }, "NTarm64.10.0");
	struct ib_error err = { 0 };
	struct ib_inf_selection sel;
	struct ib_inf_target t = { "arm64", 6, 3, 0, 0 };
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), -1);
	assert_string_equal(err.msg, "no models section for arm64 Windows 6.3 (this INF has: NTamd64, NTamd64.6.3, "
				     "NTamd64.10.0...14393, NTamd64.10.0...17763, NTamd64.10.0.3, NTx86, NTarm64.10.0)");
	assert_int_equal(err.loc.line, 4);
	ib_error_clear(&err);
	ib_inf_free(inf);

	/* Undecorated sections serve x86 only; 64-bit needs the architecture. */
	inf = load_mem("[Version]\nSignature=\"$Chicago$\"\n[Manufacturer]\nMaker = Old\n[Old]\n");
	expect_choice(inf, (struct ib_inf_target){ "x86", 6, 1, 0, 0 }, "");
	t = (struct ib_inf_target){ "amd64", 6, 1, 0, 0 };
	assert_int_equal(ib_inf_select_models(inf, &t, &sel, &err), -1);
	assert_non_null(strstr(err.msg, "(this INF has: undecorated (x86 only))"));
	ib_error_clear(&err);
	ib_inf_free(inf);
}

static void test_text_rules(void **state)
{
	(void)state;
	/* CRLF, comments, quotes with "", ';' in quotes, continuation, %%, string
	 * keys case-insensitive, [Strings.0409] fallback, merged duplicate sections. */
	static const char text[] =
		"; leading comment\r\n"
		"[version]\r\n"
		"Signature = \"$Windows NT$\" ; trailing comment\r\n"
		"Provider = %Vendor%\r\n"
		"CatalogFile = a.cat\r\n"
		"CatalogFile.NTamd64 = a64.cat\r\n"
		"[Test]\r\n"
		"Quoted = \"say \"\"hi\"\"; not a comment\"  ,  \"  padded  \" , bare words here \r\n"
		"Joined = one, \\\r\n"
		"   two, \\ ; comment after the backslash\r\n"
		"   three\r\n"
		"Percent = \"%%SystemRoot%%\\x\", %11%\\y, 100%\r\n"
		"Local = %only_in_0409%\r\n"
		"value, only, line\r\n"
		"[TEST]\r\n"
		"Merged = yes\r\n"
		"[Strings]\r\n"
		"VENDOR = \"Acme, Inc.\"\r\n"
		"[Strings.0409]\r\n"
		"Only_In_0409 = found\r\n";
	struct ib_inf *inf = load_mem(text);
	assert_string_equal(ib_inf_version(inf)->provider, "Acme, Inc.");
	struct ib_inf_target t = { "amd64", 10, 0, 0, 0 };
	assert_string_equal(ib_inf_catalog(inf, &t), "a64.cat");
	t.arch = "x86";
	assert_string_equal(ib_inf_catalog(inf, &t), "a.cat");
	assert_string_equal(ib_inf_get_value(inf, "test", "QUOTED"), "say \"hi\"; not a comment");
	assert_string_equal(ib_inf_get_value(inf, "Test", "Joined"), "one");
	assert_string_equal(ib_inf_get_value(inf, "Test", "Percent"), "%SystemRoot%\\x");
	assert_string_equal(ib_inf_get_value(inf, "Test", "Local"), "found");
	assert_string_equal(ib_inf_get_value(inf, "Test", "Merged"), "yes");
	assert_null(ib_inf_get_value(inf, "Test", "Missing"));
	ib_inf_free(inf);

	/* Field-level checks through AddReg records. */
	static const char reg[] = "[Version]\nSignature=\"$Windows NT$\"\n"
				  "[Manufacturer]\nM = Mod, NTamd64\n[Mod.NTamd64]\nDev = Inst, ROOT\\X\n"
				  "[Inst.NTamd64]\nAddReg = R\n"
				  "[R]\n"
				  "HKR, \"  spaced key  \", Name, , \"  keep  \" , ignored\n"
				  "HKR, , Multi, 0x00010000, a, \"b, c\", \\\n  d\n"
				  "HKR, , Bin, 1, 0a, FF, 00\n"
				  "HKR, , Dw, 0x00010001, 0x10\n"
				  "HKR, , DwBytes, 0x00010001, 01, 02, 00, 00\n"
				  "HKR, , Q, 0x000B0001, 01, 00, 00, 00, 00, 00, 00, 00\n"
				  "hklm, Software\\X, , 0x10\n"
				  "HKR, , Gone, 0x4\n"
				  "HKR, , Path, 0x20000, %11%\\x.dll\n";
	inf = load_mem(reg);
	struct ib_error err = { 0 };
	struct ib_inf_install *ins;
	t.arch = "amd64";
	assert_int_equal(ib_inf_install_get(inf, &t, "Inst", &ins, &err), 0);
	assert_string_equal(ins->section, "Inst.NTamd64");
	assert_int_equal(ins->n_addreg, 9);
	const struct ib_inf_addreg *r = ins->addreg;
	assert_string_equal(r[0].subkey, "  spaced key  ");
	assert_string_equal(r[0].strs[0], "  keep  ");
	assert_int_equal(r[0].type, IB_REG_SZ);
	assert_int_equal(r[1].type, IB_REG_MULTI_SZ);
	assert_int_equal(r[1].n_strs, 3);
	assert_string_equal(r[1].strs[1], "b, c");
	assert_string_equal(r[1].strs[2], "d");
	assert_int_equal(r[2].type, IB_REG_BINARY);
	assert_int_equal(r[2].bin_len, 3);
	assert_int_equal(r[2].bin[0], 0x0a);
	assert_int_equal(r[2].bin[1], 0xff);
	assert_int_equal(r[3].type, IB_REG_DWORD);
	assert_int_equal(r[3].dword, 16);
	assert_int_equal(r[4].dword, 0x201);
	assert_int_equal(r[5].type, IB_REG_QWORD);
	assert_int_equal(r[5].bin_len, 8);
	assert_string_equal(r[6].root, "HKLM");
	assert_true(r[6].key_only);
	assert_true(r[7].flags & IB_ADDREG_DELVAL);
	assert_int_equal(r[8].type, IB_REG_EXPAND_SZ);
	assert_string_equal(r[8].strs[0], "%11%\\x.dll"); /* DIRIDs stay as written in data */
	ib_inf_install_free(ins);
	ib_inf_free(inf);

	/* Syntax errors carry the column when it is known. */
	static const char quote[] = "[Version]\nSignature=\"$Windows NT$\"\nProvider = x, \"open\n";
	assert_int_equal(ib_inf_load_buf("q.inf", quote, strlen(quote), NULL, &inf, &err), -1);
	assert_string_equal(err.loc.file, "q.inf");
	assert_int_equal(err.loc.line, 3);
	assert_int_equal(err.loc.col, 15);
	ib_error_clear(&err);
}

static void test_encodings(void **state)
{
	(void)state;
	static const char body[] = "[Version]\r\nSignature=\"$Windows NT$\"\r\nProvider=\"Caf\xc3\xa9 \xe2\x82\xac\"\r\n";
	/* UTF-8 with BOM */
	struct ib_buf b = { 0 };
	ib_buf_append(&b, "\xef\xbb\xbf", 3);
	ib_buf_puts(&b, body);
	struct ib_error err = { 0 };
	struct ib_inf *inf;
	assert_int_equal(ib_inf_load_buf("u8.inf", b.s, b.len, NULL, &inf, &err), 0);
	assert_int_equal(ib_inf_encoding(inf), IB_INF_UTF8_BOM);
	assert_string_equal(ib_inf_version(inf)->provider, "Caf\xc3\xa9 \xe2\x82\xac");
	ib_inf_free(inf);
	ib_buf_free(&b);
	/* Windows-1252: 0xE9 = e-acute, 0x80 = euro sign */
	static const char ansi[] = "[Version]\nSignature=\"$Windows NT$\"\nProvider=\"Caf\xe9 \x80\"\n";
	assert_int_equal(ib_inf_load_buf("ansi.inf", ansi, strlen(ansi), NULL, &inf, &err), 0);
	assert_int_equal(ib_inf_encoding(inf), IB_INF_ANSI);
	assert_string_equal(ib_inf_version(inf)->provider, "Caf\xc3\xa9 \xe2\x82\xac");
	ib_inf_free(inf);
	/* UTF-16LE with BOM, including a surrogate pair (U+1F600) */
	uint8_t u16[256];
	size_t n = 0;
	u16[n++] = 0xFF;
	u16[n++] = 0xFE;
	static const char ascii[] = "[Version]\nSignature=\"$Windows NT$\"\nProvider=\"x";
	for (size_t i = 0; ascii[i]; i++) {
		u16[n++] = (uint8_t)ascii[i];
		u16[n++] = 0;
	}
	static const uint8_t tail[] = { 0x3D, 0xD8, 0x00, 0xDE, '"', 0, '\n', 0 };
	memcpy(u16 + n, tail, sizeof(tail));
	n += sizeof(tail);
	assert_int_equal(ib_inf_load_buf("u16.inf", u16, n, NULL, &inf, &err), 0);
	assert_string_equal(ib_inf_version(inf)->provider, "x\xf0\x9f\x98\x80");
	ib_inf_free(inf);
}

/* The first line of a bad INF, also when it is UTF-16 (every other byte). */
static void read_header(const char *path, char *l1, char *l2, size_t n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t buf[1024];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t start = 0, step = 1;
	if (len >= 2 && buf[0] == 0xFF && buf[1] == 0xFE) {
		start = 2;
		step = 2;
	} else if (len >= 2 && buf[0] == 0xFE && buf[1] == 0xFF) {
		start = 3;
		step = 2;
	} else if (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) {
		start = 3;
	}
	char *out[2] = { l1, l2 };
	size_t k = 0, o = 0;
	l1[0] = l2[0] = 0;
	for (size_t i = start; i < len && k < 2; i += step) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			if (buf[i] == '\n')
				k++, o = 0;
			continue;
		}
		if (o + 1 < n) {
			out[k][o++] = (char)buf[i];
			out[k][o] = 0;
		}
	}
}

static void test_bad_infs(void **state)
{
	(void)state;
	DIR *d = opendir(bad_dir);
	if (!d) {
		print_error("cannot open %s (set IMGBUILD_SRCDIR to the source tree)\n", bad_dir);
		fail();
	}
	struct dirent *e;
	unsigned n = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, "bad-", 4) || l < 8 || strcmp(e->d_name + l - 4, ".inf"))
			continue;
		char *path = ib_xasprintf("%s/%s", bad_dir, e->d_name);
		char l1[512], l2[512];
		read_header(path, l1, l2, sizeof(l1));
		unsigned want_line;
		int off = 0;
		if (sscanf(l1, "; expect: %u %n", &want_line, &off) != 1 || !off) {
			print_error("%s: first line must be '; expect: <line> <message>'\n", path);
			fail();
		}
		const char *want_msg = l1 + off;
		char arch[16] = "amd64";
		struct ib_inf_target t = { arch, 10, 0, 17763, 1 };
		unsigned maj, min;
		if (sscanf(l2, "; target: %15s %u.%u", arch, &maj, &min) == 3) {
			t.major = maj;
			t.minor = min;
			t.build = 0;
			t.product_type = 0;
		}
		struct ib_error err = { 0 };
		struct ib_inf *inf = NULL;
		struct ib_buf b = { 0 };
		int rc = ib_inf_load(path, NULL, &inf, &err);
		if (rc == 0)
			rc = ib_inf_describe(inf, &t, &b, &err);
		print_message("%s: %s:%u: %s\n", e->d_name, err.loc.file ? err.loc.file : "(none)", err.loc.line,
			      err.msg ? err.msg : "(no error)");
		assert_int_equal(rc, -1);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		assert_non_null(err.loc.file);
		assert_string_equal(err.loc.file, inf ? ib_inf_path(inf) : path);
		assert_string_equal(err.loc.file, path);
		assert_int_equal(err.loc.line, want_line);
		if (!strstr(err.msg, want_msg)) {
			print_error("%s: message '%s' lacks '%s'\n", e->d_name, err.msg, want_msg);
			fail();
		}
		ib_error_clear(&err);
		ib_buf_free(&b);
		ib_inf_free(inf);
		free(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 15);
}

static void test_open_error(void **state)
{
	(void)state;
	struct ib_error err = { 0 };
	struct ib_inf *inf;
	assert_int_equal(ib_inf_load("/nonexistent/x.inf", NULL, &inf, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_string_equal(err.loc.file, "/nonexistent/x.inf");
	assert_non_null(strstr(err.msg, "cannot open INF"));
	ib_error_clear(&err);
}

int main(void)
{
	setup_dirs();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_viostor_built),	  cmocka_unit_test(test_netkvm_arm64),
		cmocka_unit_test(test_netvadapter_utf16le), cmocka_unit_test(test_templates_refused),
		cmocka_unit_test(test_every_fixture),	  cmocka_unit_test(test_fixture_values),
		cmocka_unit_test(test_decoration_choice), cmocka_unit_test(test_text_rules),
		cmocka_unit_test(test_encodings),	  cmocka_unit_test(test_bad_infs),
		cmocka_unit_test(test_open_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
