// SPDX-License-Identifier: GPL-2.0-or-later
/* The offline Windows injector on synthetic Windows volumes: a sparse disk
 * with an NTFS partition made by ib_ntfs_mkfs, holding hives made with hivex
 * from the minimal fixture hive (Windows 7, 10, 11 and Server 2022 version
 * values), a System32\cmd.exe with a real PE header (amd64, arm64), and
 * driver folders stamped from the real virtio-win INFs with stand-in
 * .sys/.cat files. After injection every value is checked with the
 * independent hivexget on hives extracted from the volume, every file by
 * sha256, and (as root) again through a read-only ntfs-3g mount of an offset
 * loop device. Bad input must fail with a clear message and leave the image
 * byte for byte unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "tests/unit/support/disk.h"
#include "tests/unit/support/fixtures.h"
#include "tests/unit/support/hive.h"
#include "fs/fs.h"
#include "core/undo.h"
#include "vol/ntfs3g_files.h"
#include "vol/vol.h"
#include "windows/hive.h"
#include "windows/firstboot.h"
#include "windows/inject.h"

#define MiB (1024ull * 1024)
#define DISK (80 * MiB)
#define OFF (1 * MiB)
#define PSIZE (64 * MiB)

static const char *minimal;
static char inf_dir[4096];

struct fx {
	char *dir, *disk, *mnt, *loopdev;
	bool mounted;
};

static int setup(void **state)
{
	struct fx *f = ib_xcalloc(1, sizeof(*f));
	f->dir = ut_tmpdir_make("inject");
	assert_non_null(f->dir);
	f->disk = ib_path_join(f->dir, "disk.img");
	f->mnt = ib_path_join(f->dir, "mnt");
	*state = f;
	return 0;
}

static void unmount_all(struct fx *f) { ut_unmount_detach(f->mnt, &f->mounted, &f->loopdev); }

static int teardown(void **state)
{
	struct fx *f = *state;
	unmount_all(f);
	if (!f->mounted)
		ib_rm_rf(f->dir);
	free(f->dir), free(f->disk), free(f->mnt);
	free(f);
	return 0;
}

static void ok(int r, struct ib_error *err)
{
	if (r < 0)
		fail_msg("unexpected failure (exit %d): %s", err->exit_code, err->msg ? err->msg : "?");
}

/* ---- the synthetic Windows ---- */

struct win {
	const char *label;
	unsigned major, minor; /* 0.0: CurrentVersion only */
	const char *current_version, *build, *product, *itype, *edition;
	uint16_t machine;
	bool ddb, generalized;
};

static const struct win WIN7 = {"win7", 0, 0, "6.1", "7601", "Windows 7 Professional", "Client", "Professional",
				0x8664, false, false};
static const struct win WIN10 = {"win10", 10, 0, "6.3", "19045", "Windows 10 Pro", "Client", "Professional",
				 0x8664, true, true};
static const struct win WIN11_ARM = {"win11", 10, 0, "6.3", "22631", "Windows 10 Pro", "Client", "Professional",
				     0xaa64, true, false};
static const struct win SRV2022 = {"2k22", 10, 0, "6.3", "20348", "Windows Server 2022 Datacenter", "Server",
				   "ServerDatacenter", 0x8664, true, false};

#define CV "Microsoft\\Windows NT\\CurrentVersion"

static char *make_system(const char *dir, const struct win *w)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(minimal, "SYSTEM", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	ok(ib_hive_set_dword(h, "Select", "Current", 1, &err), &err);
	ok(ib_hive_create_key(h, "ControlSet001\\Control", NULL, &err), &err);
	/* A StartOverride that would keep the boot driver off (must go). */
	ok(ib_hive_set_dword(h, "ControlSet001\\Services\\viostor\\StartOverride", "0", 3, &err), &err);
	ok(ib_hive_set_dword(h, "ControlSet001\\Services\\viostor", "Start", 3, &err), &err);
	if (w->ddb)
		ok(ib_hive_create_key(h, "DriverDatabase\\DeviceIds", NULL, &err), &err);
	ok(ib_hive_set_dword(h, "Setup", "SystemSetupInProgress", w->generalized, &err), &err);
	ok(ib_hive_set_dword(h, "Setup", "OOBEInProgress", w->generalized, &err), &err);
	ok(ib_hive_set_dword(h, "Setup", "SetupType", w->generalized ? 2 : 0, &err), &err);
	char *path = ib_path_join(dir, "SYSTEM.src");
	ok(ib_hive_commit(h, path, &err), &err);
	ib_hive_close(h);
	return path;
}

static char *make_software(const char *dir, const struct win *w)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(minimal, "SOFTWARE", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	ok(ib_hive_set_sz(h, CV, "CurrentVersion", w->current_version, &err), &err);
	if (w->major) {
		ok(ib_hive_set_dword(h, CV, "CurrentMajorVersionNumber", w->major, &err), &err);
		ok(ib_hive_set_dword(h, CV, "CurrentMinorVersionNumber", w->minor, &err), &err);
	}
	ok(ib_hive_set_sz(h, CV, "CurrentBuildNumber", w->build, &err), &err);
	ok(ib_hive_set_sz(h, CV, "ProductName", w->product, &err), &err);
	ok(ib_hive_set_sz(h, CV, "InstallationType", w->itype, &err), &err);
	ok(ib_hive_set_sz(h, CV, "EditionID", w->edition, &err), &err);
	ok(ib_hive_set_expand_sz(h, "Microsoft\\Windows\\CurrentVersion", "DevicePath", "%SystemRoot%\\inf", &err),
	   &err);
	ok(ib_hive_set_sz(h, "Microsoft\\Windows\\CurrentVersion\\Setup\\State", "ImageState",
			  w->generalized ? "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE" : "IMAGE_STATE_COMPLETE", &err),
	   &err);
	char *path = ib_path_join(dir, "SOFTWARE.src");
	ok(ib_hive_commit(h, path, &err), &err);
	ib_hive_close(h);
	return path;
}

static char *make_cmd(const char *dir, uint16_t machine)
{
	uint8_t b[1024] = {0};
	b[0] = 'M', b[1] = 'Z';
	ib_put_le32(b + 0x3c, 0x80);
	memcpy(b + 0x80, "PE\0\0", 4);
	ib_put_le16(b + 0x84, machine);
	char *p = ib_path_join(dir, "cmd.exe.src");
	assert_int_equal(ut_write_all(p, b, sizeof(b)), 0);
	return p;
}

static void put(const struct ib_vol_ops *ops, struct ib_vol *v, const char *dst, const char *src)
{
	struct ib_error err = {0};
	struct stat st;
	assert_int_equal(stat(src, &st), 0);
	struct timespec ts = {.tv_sec = 1700000000};
	ok(ops->put_file(v, dst, src, (uint64_t)st.st_size, &ts, &err), &err);
}

static struct ib_win_target target(struct fx *f)
{
	return (struct ib_win_target){.image = f->disk, .offset = OFF, .size = PSIZE, .sector_size = 512};
}

/* An NTFS partition with the Windows w (NULL: an empty volume with /Data).
 * Path case varies on purpose: WINDOWS\system32, "software" lowercase. */
static void make_volume(struct fx *f, const struct win *w, const char *system_override)
{
	int fd = open(f->disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)DISK), 0);
	close(fd);
	struct ib_undo undo = {0};
	struct ib_error err = {0};
	struct ib_mkfs_args a = {.image = f->disk, .work_dir = f->dir, .offset = OFF, .size = PSIZE,
				 .sector_size = 512, .cluster_size = 4096, .label = "Windows", .undo = &undo};
	ok(ib_ntfs_mkfs(&a, &err), &err);
	ib_undo_clear(&undo);

	struct ib_vol_target t = {.image = f->disk, .offset = OFF, .size = PSIZE, .sector_size = 512, .work_dir = f->dir};
	const struct ib_vol_ops *ops = &ib_vol_ntfs3g_ops;
	struct ib_vol *v = NULL;
	ok(ops->open(&v, &t, &err), &err);
	struct timespec ts = {.tv_sec = 1700000000};
	if (!w) {
		ok(ops->mkdir(v, "/Data", &ts, &err), &err);
	} else {
		ok(ops->mkdir(v, "/WINDOWS/system32/config", &ts, &err), &err);
		ok(ops->mkdir(v, "/WINDOWS/system32/drivers", &ts, &err), &err);
		_cleanup_free_ char *sys = system_override ? NULL : make_system(f->dir, w);
		_cleanup_free_ char *sw = make_software(f->dir, w);
		_cleanup_free_ char *cmd = make_cmd(f->dir, w->machine);
		put(ops, v, "/WINDOWS/system32/config/SYSTEM", system_override ? system_override : sys);
		put(ops, v, "/WINDOWS/system32/config/software", sw);
		put(ops, v, "/WINDOWS/system32/cmd.exe", cmd);
	}
	ok(ops->close(v, &err), &err);
}

/* ---- driver folders ---- */

static char *slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;
	size_t n = 0;
	if (ut_read_all(path, &b, &n) < 0)
		fail_msg("cannot read %s", path);
	b = ib_xrealloc(b, n + 1);
	b[n] = 0;
	if (len)
		*len = n;
	return (char *)b;
}

/* The fixture INF with from -> to replaced (stampinf-like retargeting). */
static void stamp_inf(const char *fixture, const char *dst, const char *from, const char *to)
{
	_cleanup_free_ char *src = ib_path_join(inf_dir, fixture);
	_cleanup_free_ char *text = slurp(src, NULL);
	struct ib_buf b = {0};
	const char *p = text;
	for (const char *hit; from && (hit = strstr(p, from));) {
		ib_buf_append(&b, p, (size_t)(hit - p));
		ib_buf_puts(&b, to);
		p = hit + strlen(from);
	}
	ib_buf_puts(&b, p);
	assert_int_equal(ut_write_all(dst, b.s, b.len), 0);
	ib_buf_free(&b);
}

static void stand_in(const char *path, const char *tag)
{
	struct ib_buf b = {0};
	ib_buf_puts(&b, "MZ stand-in for ");
	for (int i = 0; i < 300; i++)
		ib_buf_printf(&b, "%s-%d ", tag, i);
	assert_int_equal(ut_write_all(path, b.s, b.len), 0);
	ib_buf_free(&b);
}

/* dir/<name>.inf (stamped), <name>.sys and <name>.cat unless told not to. */
static char *driver_dir(const char *parent, const char *sub, const char *fixture, const char *name, const char *from,
			const char *to, bool with_sys)
{
	char *dir = ib_path_join(parent, sub);
	ut_mkdir_p(dir);
	_cleanup_free_ char *inf = ib_xasprintf("%s/%s.inf", dir, name);
	_cleanup_free_ char *sys = ib_xasprintf("%s/%s.sys", dir, name);
	_cleanup_free_ char *cat = ib_xasprintf("%s/%s.cat", dir, name);
	stamp_inf(fixture, inf, from, to);
	if (with_sys)
		stand_in(sys, name);
	stand_in(cat, "catalog");
	return dir;
}

/* ---- checks ---- */

static void sha256_hex(const char *path, char out[65])
{
	size_t n;
	_cleanup_free_ char *b = slurp(path, &n);
	unsigned char md[32];
	unsigned len;
	EVP_Digest(b, n, md, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void image_sum(struct fx *f, char out[65]) { sha256_hex(f->disk, out); }

/* Extract path from the volume (our reader). */
static char *extract(struct fx *f, const char *path, const char *name)
{
	struct ib_vol_target t = {.image = f->disk, .offset = OFF, .size = PSIZE, .sector_size = 512};
	struct ib_ntfs_files *v = NULL;
	struct ib_error err = {0};
	ok(ib_ntfs_files_open(&t, true, NULL, &v, &err), &err);
	char *host = ib_path_join(f->dir, name);
	int r = ib_ntfs_files_read(v, path, host, NULL, &err);
	ok(ib_ntfs_files_close(v, &err), &err);
	ok(r, &err);
	return host;
}

/* Extract path from the volume and return its text (caller frees). */
static char *extract_text(struct fx *f, const char *path, const char *name)
{
	_cleanup_free_ char *host = extract(f, path, name);
	return slurp(host, NULL);
}

static void assert_same_file(struct fx *f, const char *vol_path, const char *host)
{
	_cleanup_free_ char *x = extract(f, vol_path, "extracted");
	char a[65], b[65];
	sha256_hex(x, a);
	sha256_hex(host, b);
	if (strcmp(a, b))
		fail_msg("%s on the volume differs from %s", vol_path, host);
}

static const struct ib_win_file_report *report_file(const struct ib_win_report *r, const char *path)
{
	for (size_t i = 0; i < r->files.n; i++)
		if (!strcasecmp(r->files.v[i].path, path))
			return &r->files.v[i];
	return NULL;
}

static bool mount_ro(struct fx *f)
{
	if (!ut_ntfs3g_usable("the read-only ntfs-3g mount check"))
		return false;
	mkdir(f->mnt, 0755);
	f->loopdev = ut_loop_attach_range(f->disk, OFF, PSIZE, "the ntfs-3g mount check is not run");
	if (!f->loopdev)
		return false;
	struct ib_error err = {0};
	const char *mnt[] = {"ntfs-3g", "-o", "ro", f->loopdev, f->mnt, NULL};
	if (ib_spawn(mnt, NULL, NULL, &err) < 0) {
		unmount_all(f);
		fail_msg("ntfs-3g refuses the injected volume: %s", err.msg);
	}
	f->mounted = true;
	return true;
}

#define SVC "ControlSet001\\Services\\viostor"
#define VIOSTOR_IDS_N 4
static const char *const VIOSTOR_IDS[VIOSTOR_IDS_N] = {
	"PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "PCI\\VEN_1AF4&DEV_1001",
	"PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", "PCI\\VEN_1AF4&DEV_1042"};

/* The boot-driver values of viostor's INF (scsi_Service_Inst and its AddReg). */
static void check_viostor_service(const char *hive)
{
	assert_hivexget(hive, SVC, "\"Type\"=dword:00000001");
	assert_hivexget(hive, SVC, "\"Start\"=dword:00000000");
	assert_hivexget(hive, SVC, "\"ErrorControl\"=dword:00000001");
	assert_hivexget(hive, SVC, "\"ImagePath\"=str(2):\"System32\\\\drivers\\\\viostor.sys\"");
	assert_hivexget(hive, SVC, "\"Group\"=\"SCSI miniport\"");
	assert_hivexget(hive, SVC "\\Parameters", "\"BusType\"=dword:00000001");
	assert_hivexget(hive, SVC "\\Parameters\\PnpInterface", "\"5\"=dword:00000001");
	assert_hivexget(hive, "ControlSet001\\Services\\EventLog\\System\\viostor", "\"TypesSupported\"=dword:00000007");
	assert_hivexget(hive, "ControlSet001\\Services\\EventLog\\System\\viostor",
			"\"EventMessageFile\"=str(2):\"%SystemRoot%\\\\System32\\\\IoLogMsg.dll\"");
	char *gone = ut_hivexget_key(hive, SVC "\\StartOverride");
	assert_null(gone);
}

static struct ib_win_spec base_spec(struct fx *f)
{
	return (struct ib_win_spec){.work_dir = f->dir, .base_dir = f->dir};
}

/* ---- Windows 10 (8+: DriverDatabase), generalized: SetupComplete ---- */

static void test_win10_viostor_ddb(void **state)
{
	struct fx *f = *state;
	make_volume(f, &WIN10, NULL);
	_cleanup_free_ char *drv = driver_dir(f->dir, "drv/viostor", "viostor-built-2k12r2-amd64.inf", "viostor", NULL,
					      NULL, true);
	struct ib_win_driver_spec ds = {.path = "drv/viostor"};
	const char *cmds[] = {"echo hello from the recipe"};
	struct ib_win_spec spec = base_spec(f);
	spec.drivers = &ds, spec.n_drivers = 1;
	spec.first_boot = cmds, spec.n_first_boot = 1;
	struct ib_win_target t = target(f);
	struct ib_win_report rep = {0};
	struct ib_error err = {0};
	ok(ib_win_inject(&t, &spec, &rep, &err), &err);

	assert_true(rep.verified);
	assert_string_equal(rep.root, "/WINDOWS");
	assert_string_equal(rep.arch, "amd64");
	assert_string_equal(rep.virtio_os, "w10");
	assert_string_equal(rep.pnp, "DriverDatabase");
	assert_true(rep.setup_pending);
	assert_string_equal(rep.mechanism, "setupcomplete");
	assert_int_equal(rep.drivers.n, 1);
	assert_true(rep.drivers.v[0].boot);
	assert_int_equal(rep.drivers.v[0].services.n, 1);
	assert_int_equal(rep.drivers.v[0].services.v[0].start, 0);

	_cleanup_free_ char *json = ib_win_report_json(&rep);
	assert_non_null(strstr(json, "\"boot_critical\":true"));
	assert_non_null(strstr(json, "\"mechanism\":\"setupcomplete\""));
	_cleanup_free_ char *text = ib_win_report_text(&rep);
	assert_non_null(strstr(text, "service viostor: start boot (written)"));
	if (getenv("IB_TEST_SHOW"))
		printf("%s%s\n", text, json);

	/* Files: where the INF sends them and the staged package, by hash. */
	_cleanup_free_ char *sys = ib_path_join(drv, "viostor.sys");
	_cleanup_free_ char *inf = ib_path_join(drv, "viostor.inf");
	_cleanup_free_ char *cat = ib_path_join(drv, "viostor.cat");
	assert_same_file(f, "/Windows/System32/drivers/viostor.sys", sys);
	assert_same_file(f, "/Windows/Drivers/imgbuild/viostor/viostor.sys", sys);
	assert_same_file(f, "/Windows/Drivers/imgbuild/viostor/viostor.inf", inf);
	assert_same_file(f, "/Windows/Drivers/imgbuild/viostor/viostor.cat", cat);
	const struct ib_win_file_report *fr = report_file(&rep, "/WINDOWS/system32/drivers/viostor.sys");
	assert_non_null(fr); /* the report shows the stored case */
	char want[65];
	sha256_hex(sys, want);
	assert_string_equal(fr->sha256, want);

	if (!ut_have_hivexget()) {
		ib_win_report_free(&rep);
		return;
	}
	_cleanup_free_ char *system = extract(f, "/windows/SYSTEM32/config/system", "SYSTEM.out");
	_cleanup_free_ char *software = extract(f, "/Windows/System32/config/SOFTWARE", "SOFTWARE.out");
	check_viostor_service(system);
	for (size_t i = 0; i < VIOSTOR_IDS_N; i++) {
		_cleanup_free_ char *k = ib_xasprintf("DriverDatabase\\DeviceIds\\%s", VIOSTOR_IDS[i]);
		bool full = strstr(VIOSTOR_IDS[i], "SUBSYS") != NULL;
		assert_hivexget(system, k, full ? "\"imgbuild_viostor.inf\"=hex(3):01,ff,00,00"
						: "\"imgbuild_viostor.inf\"=hex(3):02,ff,00,00");
		_cleanup_free_ char *d = ib_xasprintf(
			"DriverDatabase\\DriverPackages\\imgbuild_viostor.inf_amd64_0000000000000000\\Descriptors\\%s",
			VIOSTOR_IDS[i]);
		assert_hivexget(system, d, "\"Configuration\"=\"imgbuild_viostor_conf\"");
	}
	assert_hivexget(system,
			"DriverDatabase\\DriverPackages\\imgbuild_viostor.inf_amd64_0000000000000000\\Configurations\\"
			"imgbuild_viostor_conf",
			"\"Service\"=\"viostor\"");
	char *cddb = ut_hivexget_key(system, "ControlSet001\\Control\\CriticalDeviceDatabase");
	assert_null(cddb);
	assert_hivexget(software, "Microsoft\\Windows\\CurrentVersion",
			"\"DevicePath\"=str(2):\"%SystemRoot%\\\\inf;%SystemRoot%\\\\Drivers\\\\imgbuild\\\\viostor\"");

	/* First boot: SetupComplete.cmd (CRLF) calls the runner; the steps. */
	_cleanup_free_ char *sct = extract_text(f, "/Windows/Setup/Scripts/SetupComplete.cmd", "sc.cmd");
	assert_non_null(strstr(sct, "call \"%SystemRoot%\\Setup\\imgbuild\\firstboot.cmd\" setupcomplete\r\n"));
	assert_null(strstr(sct, "\n\n"));
	_cleanup_free_ char *stt = extract_text(f, "/Windows/Setup/imgbuild/steps/0100-driver-viostor.cmd", "s1.cmd");
	assert_non_null(strstr(stt, "/add-driver \"%SystemRoot%\\Drivers\\imgbuild\\viostor\\viostor.inf\" /install\r\n"));
	_cleanup_free_ char *c1t = extract_text(f, "/Windows/Setup/imgbuild/steps/0300-cmd-command1.cmd", "c1.cmd");
	assert_non_null(strstr(c1t, "\r\necho hello from the recipe\r\n"));
	_cleanup_free_ char *runt = extract_text(f, "/Windows/Setup/imgbuild/firstboot.cmd", "fb.cmd");
	assert_non_null(strstr(runt, "set \"MAX=3\"\r\n"));
	assert_non_null(strstr(runt, "state\\%~1.tries"));
	assert_null(strstr(runt, "shutdown")); /* never reboots */

	/* Independently: the kernel loop device and an ntfs-3g mount. */
	if (mount_ro(f)) {
		_cleanup_free_ char *m_sys = ib_path_join(f->mnt, "WINDOWS/system32/drivers/viostor.sys");
		_cleanup_free_ char *m_hive = ib_path_join(f->mnt, "WINDOWS/system32/config/SYSTEM");
		_cleanup_free_ char *m_tmp = ib_path_join(f->mnt, "WINDOWS/system32/config/SYSTEM.imgbuild-new");
		char got[65];
		sha256_hex(m_sys, got);
		assert_string_equal(got, want);
		check_viostor_service(m_hive);
		assert_false(ut_file_exists(m_tmp));
		assert_true(ut_same_bytes(m_hive, system));
		unmount_all(f);
		assert_false(f->mounted);
	}
	ib_win_report_free(&rep);
}

/* ---- Windows 7 (before 8: CriticalDeviceDatabase), installed: service ---- */

static void test_win7_viostor_cddb_service(void **state)
{
	struct fx *f = *state;
	make_volume(f, &WIN7, NULL);
	/* The built INF targets 6.3; retarget it to 6.1 as stampinf would. */
	_cleanup_free_ char *drv = driver_dir(f->dir, "drv/viostor", "viostor-built-2k12r2-amd64.inf", "viostor",
					      "NTamd64.6.3", "NTamd64.6.1", true);
	_cleanup_free_ char *wrapper = ib_path_join(f->dir, "rhsrvany.exe");
	stand_in(wrapper, "wrapper");
	_cleanup_free_ char *tool = ib_path_join(f->dir, "qemu-ga-x86_64.msi");
	stand_in(tool, "msi");
	struct ib_win_driver_spec ds = {.path = drv};
	struct ib_win_tool_spec ts = {.src = "qemu-ga-x86_64.msi", .args = "/qn"};
	const char *dword_multi[] = {"a", "b"};
	struct ib_win_reg_spec regs[] = {
		{.hive = "HKLM\\SOFTWARE", .key = "imgbuild\\Test", .name = "Hello", .type = IB_REG_SZ, .data = "world"},
		{.hive = "SYSTEM", .key = "CurrentControlSet\\Control\\CrashControl", .name = "AutoReboot",
		 .type = IB_REG_DWORD, .data = "0"},
		{.hive = "SOFTWARE", .key = "imgbuild\\Test", .name = "List", .type = IB_REG_MULTI_SZ,
		 .multi = dword_multi, .n_multi = 2},
		{.hive = "SOFTWARE", .key = "imgbuild\\Test", .name = "Blob", .type = IB_REG_BINARY, .data = "01 ff 7f"},
	};
	struct ib_win_spec spec = base_spec(f);
	spec.drivers = &ds, spec.n_drivers = 1;
	spec.guest_tools = &ts, spec.n_guest_tools = 1;
	spec.registry = regs, spec.n_registry = IB_ARRAY_SIZE(regs);
	spec.service_wrapper = "rhsrvany.exe";
	spec.max_attempts = 5;
	struct ib_win_target t = target(f);
	struct ib_win_report rep = {0};
	struct ib_error err = {0};
	ok(ib_win_inject(&t, &spec, &rep, &err), &err);
	assert_string_equal(rep.pnp, "CriticalDeviceDatabase");
	assert_false(rep.setup_pending);
	assert_string_equal(rep.mechanism, "service");
	assert_string_equal(rep.virtio_os, "w7");

	assert_same_file(f, "/Windows/Setup/imgbuild/rhsrvany.exe", wrapper);
	assert_same_file(f, "/Windows/Setup/imgbuild/tools/qemu-ga-x86_64.msi", tool);
	_cleanup_free_ char *stt = extract_text(f, "/Windows/Setup/imgbuild/steps/0100-driver-viostor.cmd", "s1.cmd");
	assert_non_null(strstr(stt, "\" -i -a \"%SystemRoot%\\Drivers\\imgbuild\\viostor\\viostor.inf\"\r\n"));
	_cleanup_free_ char *tt = extract_text(f, "/Windows/Setup/imgbuild/steps/0200-tool-qemu-ga-x86_64.msi.cmd", "t.cmd");
	assert_non_null(strstr(tt, "msiexec.exe /i \"%SystemRoot%\\Setup\\imgbuild\\tools\\qemu-ga-x86_64.msi\" /qn"));
	_cleanup_free_ char *runt = extract_text(f, "/Windows/Setup/imgbuild/firstboot.cmd", "fb.cmd");
	assert_non_null(strstr(runt, "set \"MAX=5\"\r\n"));
	{
		struct ib_vol_target vt = {.image = f->disk, .offset = OFF, .size = PSIZE, .sector_size = 512};
		struct ib_ntfs_files *v = NULL;
		ok(ib_ntfs_files_open(&vt, true, NULL, &v, &err), &err);
		assert_int_equal(ib_ntfs_files_resolve(v, "/Windows/Setup/Scripts/SetupComplete.cmd", NULL, NULL, &err), 0);
		ok(ib_ntfs_files_close(v, &err), &err);
	}

	if (!ut_have_hivexget()) {
		ib_win_report_free(&rep);
		return;
	}
	_cleanup_free_ char *system = extract(f, "/Windows/System32/config/SYSTEM", "SYSTEM.out");
	_cleanup_free_ char *software = extract(f, "/Windows/System32/config/SOFTWARE", "SOFTWARE.out");
	check_viostor_service(system);
	for (size_t i = 0; i < VIOSTOR_IDS_N; i++) {
		_cleanup_free_ char *id = ib_xstrdup(VIOSTOR_IDS[i]);
		*strchr(id, '\\') = '#';
		_cleanup_free_ char *k = ib_xasprintf("ControlSet001\\Control\\CriticalDeviceDatabase\\%s", id);
		assert_hivexget(system, k, "\"Service\"=\"viostor\"");
		assert_hivexget(system, k, "\"ClassGUID\"=\"{4D36E97B-E325-11CE-BFC1-08002BE10318}\"");
	}
	char *ddb = ut_hivexget_key(system, "DriverDatabase");
	assert_null(ddb);
	const char *fbk = "ControlSet001\\Services\\imgbuild-firstboot";
	assert_hivexget(system, fbk, "\"Type\"=dword:00000010");
	assert_hivexget(system, fbk, "\"Start\"=dword:00000002");
	assert_hivexget(system, fbk, "\"ObjectName\"=\"LocalSystem\"");
	assert_hivexget(system, fbk,
			"\"ImagePath\"=str(2):\"\\\"%SystemRoot%\\\\Setup\\\\imgbuild\\\\rhsrvany.exe\\\" -s imgbuild-firstboot\"");
	_cleanup_free_ char *pk = ib_xasprintf("%s\\Parameters", fbk);
	/* Literal paths (the wrapper's CreateProcess expands nothing), the
	 * drive from SystemRoot or C:, and PWD shorter than CommandLine. */
	assert_hivexget(system, pk,
			"\"CommandLine\"=\"cmd.exe /c \\\"C:\\\\WINDOWS\\\\Setup\\\\imgbuild\\\\firstboot.cmd\\\" service\"");
	assert_hivexget(system, pk, "\"PWD\"=\"C:\\\\WINDOWS\\\\Setup\\\\imgbuild\"");
	/* The rule itself: rhsrvany starts nothing when PWD is not shorter. */
	struct ib_error serr = {0};
	assert_int_equal(ib_win_srvany_check("cmd /c x.cmd", "C:\\a", &serr), 0);
	assert_int_equal(ib_win_srvany_check("cmd /c x", "C:\\Program Files\\x", &serr), -1);
	assert_int_equal(serr.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&serr);
	assert_int_equal(ib_win_srvany_check("abc", "abc", &serr), -1);
	ib_error_clear(&serr);
	assert_hivexget(system, "ControlSet001\\Control\\CrashControl", "\"AutoReboot\"=dword:00000000");
	assert_hivexget(software, "imgbuild\\Test", "\"Hello\"=\"world\"");
	assert_hivexget(software, "imgbuild\\Test", "\"Blob\"=hex(3):01,ff,7f");
	ib_win_report_free(&rep);
}

/* ---- Windows 11 arm64: netkvm from a virtio-win tree and from an ISO ---- */

static void make_iso(const char *iso, const char *const *paths, const char *const *srcs, size_t n)
{
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_iso9660(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, iso), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		_cleanup_free_ char *data = slurp(srcs[i], &len);
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, paths[i]);
		archive_entry_set_size(e, (la_int64_t)len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void check_netkvm(struct fx *f, const struct ib_win_report *rep, const char *drv)
{
	assert_string_equal(rep->arch, "arm64");
	assert_string_equal(rep->virtio_os, "w11");
	assert_int_equal(rep->drivers.n, 1);
	assert_false(rep->drivers.v[0].boot);
	assert_int_equal(rep->drivers.v[0].services.n, 1);
	assert_false(rep->drivers.v[0].services.v[0].written);
	assert_int_equal(rep->drivers.v[0].services.v[0].start, 3);
	_cleanup_free_ char *sys = ib_path_join(drv, "netkvm.sys");
	assert_same_file(f, "/Windows/System32/drivers/netkvm.sys", sys);
	assert_same_file(f, "/Windows/Drivers/imgbuild/netkvm/netkvm.sys", sys);
	if (ut_have_hivexget()) {
		_cleanup_free_ char *system = extract(f, "/Windows/System32/config/SYSTEM", "SYSTEM.out");
		_cleanup_free_ char *software = extract(f, "/Windows/System32/config/SOFTWARE", "SOFTWARE.out");
		char *svc = ut_hivexget_key(system, "ControlSet001\\Services\\netkvm");
		assert_null(svc); /* non-boot: pnputil writes it at first boot */
		assert_hivexget(software, "Microsoft\\Windows\\CurrentVersion",
				"\"DevicePath\"=str(2):\"%SystemRoot%\\\\inf;%SystemRoot%\\\\Drivers\\\\imgbuild\\\\netkvm\"");
		assert_hivexget(software, "Microsoft\\Windows\\CurrentVersion\\RunOnce",
				"\"imgbuild-firstboot\"=str(2):\"cmd.exe /c \\\"%SystemRoot%\\\\Setup\\\\imgbuild\\\\"
				"firstboot.cmd\\\" runonce\"");
	}
}

static void test_win11_arm64_tree_and_iso(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *drv = driver_dir(f->dir, "tree/NetKVM/w11/ARM64", "netkvm-built-arm64.inf", "netkvm", NULL,
					      NULL, true);
	_cleanup_free_ char *decoy = driver_dir(f->dir, "tree/viostor/w10/amd64", "viostor-built-2k12r2-amd64.inf",
						"viostor", NULL, NULL, true);
	const char *sel[] = {"netkvm"};
	struct ib_win_driver_spec ds = {.path = "tree", .select = sel, .n_select = 1};
	struct ib_win_spec spec = base_spec(f);
	spec.drivers = &ds, spec.n_drivers = 1;
	spec.first_boot_mechanism = IB_WIN_FB_RUNONCE;
	struct ib_win_target t = target(f);
	struct ib_error err = {0};

	make_volume(f, &WIN11_ARM, NULL);
	struct ib_win_report rep = {0};
	ok(ib_win_inject(&t, &spec, &rep, &err), &err);
	check_netkvm(f, &rep, drv);
	assert_string_equal(rep.mechanism, "runonce");
	bool warned = false;
	for (size_t i = 0; i < rep.warnings.n; i++)
		warned |= strstr(rep.warnings.v[i], "RunOnce runs only when someone logs on") != NULL;
	assert_true(warned);
	ib_win_report_free(&rep);

	/* The same from an ISO (read with libarchive, never mounted). */
	_cleanup_free_ char *iso = ib_path_join(f->dir, "virtio-win.iso");
	_cleanup_free_ char *s1 = ib_path_join(drv, "netkvm.inf"), *s2 = ib_path_join(drv, "netkvm.sys"),
			     *s3 = ib_path_join(drv, "netkvm.cat"), *s4 = ib_path_join(decoy, "viostor.sys");
	const char *paths[] = {"NetKVM/w11/ARM64/netkvm.inf", "NetKVM/w11/ARM64/netkvm.sys",
			       "NetKVM/w11/ARM64/netkvm.cat", "NetKVM/w11/ARM64/netkvm.pdb", "viostor/w10/amd64/viostor.sys"};
	const char *srcs[] = {s1, s2, s3, s2, s4};
	make_iso(iso, paths, srcs, IB_ARRAY_SIZE(paths));
	make_volume(f, &WIN11_ARM, NULL);
	ds.path = iso;
	ok(ib_win_inject(&t, &spec, &rep, &err), &err);
	check_netkvm(f, &rep, drv);
	assert_null(report_file(&rep, "/WINDOWS/Drivers/imgbuild/netkvm/netkvm.pdb"));
	ib_win_report_free(&rep);

	/* Named boot-critical in the recipe: a network driver bound offline. */
	make_volume(f, &WIN11_ARM, NULL);
	ds.path = "tree";
	ds.boot_critical = true;
	ok(ib_win_inject(&t, &spec, &rep, &err), &err);
	assert_true(rep.drivers.v[0].boot);
	assert_string_equal(rep.drivers.v[0].boot_reason, "named boot-critical in the recipe");
	if (ut_have_hivexget()) {
		_cleanup_free_ char *system = extract(f, "/Windows/System32/config/SYSTEM", "SYSTEM.out");
		assert_hivexget(system, "ControlSet001\\Services\\netkvm", "\"Start\"=dword:00000000");
		assert_hivexget(system, "ControlSet001\\Services\\netkvm", "\"Group\"=\"NDIS\"");
		assert_hivexget(system, "ControlSet001\\Services\\netkvm\\Parameters", "\"EarlyDebug\"=\"3\"");
		/* The models line's first id is a hardware id: rank byte 01. */
		assert_hivexget(system, "DriverDatabase\\DeviceIds\\ACPI\\VEN_PRL&DEV_4009",
				"\"imgbuild_netkvm.inf\"=hex(3):01,ff,00,00");
		assert_hivexget(system,
				"DriverDatabase\\DriverPackages\\imgbuild_netkvm.inf_arm64_0000000000000000\\Configurations\\"
				"imgbuild_netkvm_conf",
				"\"Service\"=\"netkvm\"");
	}
	ib_win_report_free(&rep);
}

/* ---- bad input: a clear error and the image unchanged ---- */

static void expect_unchanged_failure(struct fx *f, const struct ib_win_spec *spec, int code, const char *want)
{
	char before[65], after[65];
	image_sum(f, before);
	struct ib_win_target t = target(f);
	struct ib_win_report rep = {0};
	struct ib_error err = {0};
	int r = ib_win_inject(&t, spec, &rep, &err);
	if (r == 0)
		fail_msg("injection succeeded; wanted an error with \"%s\"", want);
	if (err.exit_code != code || !err.msg || !strstr(err.msg, want))
		fail_msg("wanted exit %d with \"%s\", got exit %d: %s", code, want, err.exit_code, err.msg);
	image_sum(f, after);
	assert_string_equal(before, after);
	ib_error_clear(&err);
	ib_win_report_free(&rep);
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *drv = driver_dir(f->dir, "drv/viostor", "viostor-built-2k12r2-amd64.inf", "viostor", NULL,
					      NULL, true);
	struct ib_win_driver_spec ds = {.path = "drv/viostor"};
	struct ib_win_spec spec = base_spec(f);
	spec.drivers = &ds, spec.n_drivers = 1;

	/* No Windows on the volume. */
	make_volume(f, NULL, NULL);
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT, "no Windows on this volume");

	/* A corrupt SYSTEM hive: the first hbin's signature broken. */
	_cleanup_free_ char *sys = make_system(f->dir, &WIN10);
	uint8_t *b;
	size_t n;
	assert_int_equal(ut_read_all(sys, &b, &n), 0);
	memcpy(b + 0x1000, "hbiX", 4);
	_cleanup_free_ char *bad = ib_path_join(f->dir, "SYSTEM.bad");
	assert_int_equal(ut_write_all(bad, b, n), 0);
	free(b);
	make_volume(f, &WIN10, bad);
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT, "SYSTEM hive at byte 0x1000");

	/* An unsupported architecture (ARM32 Thumb-2, 0x1c4). */
	struct win arm32 = WIN10;
	arm32.machine = 0x1c4;
	make_volume(f, &arm32, NULL);
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT, "machine type 0x01c4");

	/* A driver folder without the .sys its INF copies. */
	make_volume(f, &WIN10, NULL);
	_cleanup_free_ char *nosys = driver_dir(f->dir, "drv/nosys", "viostor-built-2k12r2-amd64.inf", "viostor", NULL,
						NULL, false);
	ds.path = "drv/nosys";
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT, "is missing viostor.sys, which viostor.inf");

	/* An INF for another architecture (arm64 netkvm on amd64 Windows). */
	_cleanup_free_ char *arm = driver_dir(f->dir, "drv/netkvm", "netkvm-built-arm64.inf", "netkvm", NULL, NULL, true);
	ds.path = "drv/netkvm";
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT, "not for the detected Windows 10.0 build 19045 amd64");

	/* A selected virtio-win driver without a folder for this Windows. */
	make_volume(f, &SRV2022, NULL);
	_cleanup_free_ char *t1 = driver_dir(f->dir, "tree2/viostor/2k19/amd64", "viostor-built-2k12r2-amd64.inf",
					     "viostor", NULL, NULL, true);
	_cleanup_free_ char *t2 = driver_dir(f->dir, "tree2/viostor/w10/amd64", "viostor-built-2k12r2-amd64.inf",
					     "viostor", NULL, NULL, true);
	const char *sel[] = {"VIOSTOR"};
	ds = (struct ib_win_driver_spec){.path = "tree2", .select = sel, .n_select = 1};
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT,
				 "driver VIOSTOR has no folder for the detected Windows (2k22); it has: 2k19, w10");
	const char *sel2[] = {"vioscsi"};
	ds.select = sel2;
	expect_unchanged_failure(f, &spec, IB_EXIT_INPUT, "has no driver \"vioscsi\"; it has: viostor");

	/* Guest tools on an installed image without a wrapper: no mechanism. */
	make_volume(f, &SRV2022, NULL);
	struct ib_win_tool_spec ts = {.src = "drv/viostor/viostor.cat"};
	struct ib_win_spec s2 = base_spec(f);
	s2.guest_tools = &ts, s2.n_guest_tools = 1;
	expect_unchanged_failure(f, &s2, IB_EXIT_INPUT, "SetupComplete.cmd would never run");
	(void)drv;
}

/* ---- the NTFS file operations themselves ---- */

static void test_ntfs_files(void **state)
{
	struct fx *f = *state;
	make_volume(f, &WIN10, NULL);
	struct ib_vol_target t = {.image = f->disk, .offset = OFF, .size = PSIZE, .sector_size = 512};
	struct ib_ntfs_files *v = NULL;
	struct ib_error err = {0};
	ok(ib_ntfs_files_open(&t, false, NULL, &v, &err), &err);
	char *real = NULL;
	bool dir = false;
	assert_int_equal(ib_ntfs_files_resolve(v, "/windows/System32/CONFIG/System", &real, &dir, &err), 1);
	assert_string_equal(real, "/WINDOWS/system32/config/SYSTEM");
	assert_false(dir);
	free(real);
	assert_int_equal(ib_ntfs_files_resolve(v, "/Windows/nothing", NULL, NULL, &err), 0);
	assert_int_equal(ib_ntfs_files_resolve(v, "/Windows/system32/cmd.exe/x", NULL, NULL, &err), 0);
	ok(ib_ntfs_files_mkdir(v, "/Windows/System32/New/Sub", &real, &err), &err);
	assert_string_equal(real, "/WINDOWS/system32/New/Sub");
	free(real);
	_cleanup_free_ char *a = ib_path_join(f->dir, "a.txt"), *bfile = ib_path_join(f->dir, "b.txt");
	assert_int_equal(ut_write_all(a, "first", 5), 0);
	assert_int_equal(ut_write_all(bfile, "second version", 14), 0);
	ok(ib_ntfs_files_write(v, "/Windows/System32/New/Target.txt", a, &err), &err);
	ok(ib_ntfs_files_write(v, "/Windows/System32/New/tmp.txt", bfile, &err), &err);
	ok(ib_ntfs_files_rename(v, "/windows/system32/new/TMP.TXT", "TARGET.TXT", &err), &err);
	char **names;
	size_t nn;
	ok(ib_ntfs_files_list(v, "/Windows/System32/New", &names, &nn, &err), &err);
	assert_int_equal(nn, 2);
	assert_string_equal(names[0], "Sub");
	assert_string_equal(names[1], "Target.txt"); /* the stored name kept its case */
	ib_ntfs_files_names_free(names, nn);
	_cleanup_free_ char *back = ib_path_join(f->dir, "back.txt");
	ok(ib_ntfs_files_read(v, "/Windows/System32/New/target.txt", back, NULL, &err), &err);
	assert_true(ut_same_bytes(back, bfile));
	assert_int_equal(ib_ntfs_files_remove(v, "/Windows/System32/New/Target.txt", &err), 1);
	assert_int_equal(ib_ntfs_files_remove(v, "/Windows/System32/New/Target.txt", &err), 0);
	ok(ib_ntfs_files_close(v, &err), &err);
	if (mount_ro(f)) {
		_cleanup_free_ char *sub = ib_path_join(f->mnt, "WINDOWS/system32/New/Sub");
		_cleanup_free_ char *gone = ib_path_join(f->mnt, "WINDOWS/system32/New/Target.txt");
		assert_true(ut_file_exists(sub));
		assert_false(ut_file_exists(gone));
		unmount_all(f);
	}
}

int main(void)
{
	minimal = ut_hive_fixture_minimal();
	if (!minimal)
		return 0;
	ut_shared_path(inf_dir, sizeof(inf_dir), "windows/inf");
	_cleanup_free_ char *probe = ib_path_join(inf_dir, "viostor-built-2k12r2-amd64.inf");
	if (!ut_fixture_present(probe, "fixture INFs"))
		return 0;
	char *mk = ib_which("mkntfs");
	free(mk);
	if (!mk) {
		printf("SKIP: mkntfs is not installed (Debian package ntfs-3g)\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ntfs_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_win10_viostor_ddb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_win7_viostor_cddb_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_win11_arm64_tree_and_iso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
