// SPDX-License-Identifier: GPL-2.0-or-later
#include "guesttools.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Where each lives, from the ISOs' published layouts: virtio-win puts the
 * QEMU guest agent's MSIs in guest-agent/ and its all-in-one installer
 * (drivers, qemu-ga, the SPICE agent) at the root; VMware Tools' windows.iso
 * has setup.exe and setup64.exe at the root. */
static const struct ib_win_named_tool tools[] = {
	{
		.name = "qemu-ga",
		.iso_member = {[IB_WIN_ARCH_X86] = "guest-agent/qemu-ga-i386.msi",
			       [IB_WIN_ARCH_AMD64] = "guest-agent/qemu-ga-x86_64.msi"},
		.iso_args = "/qn /norestart",
		.file_args = "/qn /norestart",
		.kind = IB_WIN_INSTALLER_MSI,
		.iso_name = "the virtio-win ISO",
		.from_driver_iso = true,
		.note = "the QEMU guest agent; the VM needs a virtio-serial port named org.qemu.guest_agent.0",
	},
	{
		.name = "spice",
		.iso_member = {[IB_WIN_ARCH_X86] = "virtio-win-guest-tools.exe",
			       [IB_WIN_ARCH_AMD64] = "virtio-win-guest-tools.exe"},
		.iso_args = "/install /quiet /norestart",
		.file_args = "/S",
		.kind = IB_WIN_INSTALLER_EXE,
		.iso_name = "the virtio-win ISO",
		.from_driver_iso = true,
		.note = "the SPICE guest agent (spice-guest-tools, or virtio-win-guest-tools from the ISO)",
	},
	{
		.name = "vmware-tools",
		.iso_member = {[IB_WIN_ARCH_X86] = "setup.exe", [IB_WIN_ARCH_AMD64] = "setup64.exe"},
		.iso_args = "/S /v\"/qn REBOOT=R\"",
		.file_args = "/S /v\"/qn REBOOT=R\"",
		.kind = IB_WIN_INSTALLER_EXE,
		.iso_name = "the VMware Tools ISO (windows.iso)",
		.from_driver_iso = false,
		.note = "VMware Tools (silent install, reboot suppressed)",
	},
};

const struct ib_win_named_tool *ib_win_named_tool(const char *name)
{
	for (size_t i = 0; name && i < IB_ARRAY_SIZE(tools); i++)
		if (!strcasecmp(tools[i].name, name))
			return &tools[i];
	return NULL;
}

const char *ib_win_named_tool_names(void)
{
	return "qemu-ga, spice, vmware-tools";
}

static const uint8_t ole_magic[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

int ib_win_installer_check(const char *what, const uint8_t *buf, size_t n, enum ib_win_installer kind,
			   struct ib_error *err)
{
	if (kind == IB_WIN_INSTALLER_MSI) {
		if (n < 8 || memcmp(buf, ole_magic, 8) != 0)
			return ib_fail(err, IB_EXIT_INPUT,
				       "%s at byte 0x0: not a Windows Installer package (no OLE compound file signature "
				       "D0 CF 11 E0 A1 B1 1A E1)",
				       what);
		return 0;
	}
	if (n < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
		return ib_fail(err, IB_EXIT_INPUT, "%s at byte 0x0: not a Windows program (no 'MZ' header)", what);
	uint32_t pe = ib_get_le32(buf + 0x3c);
	if ((uint64_t)pe + 4 > n || memcmp(buf + pe, "PE\0\0", 4) != 0)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte 0x3c: e_lfanew 0x%" PRIx32 " does not point at a 'PE' header in the first "
			       "%zu bytes",
			       what, pe, n);
	return 0;
}

int ib_win_installer_check_file(const char *path, enum ib_win_installer kind, struct ib_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot read %s", path);
	uint8_t buf[4096];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	if (n < 0)
		return ib_fail_errno(err, -errno, "cannot read %s", path);
	return ib_win_installer_check(path, buf, (size_t)n, kind, err);
}

static struct archive *iso_open(const char *iso, struct ib_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, iso, 64 * 1024) != ARCHIVE_OK) {
		ib_fail(err, IB_EXIT_INPUT, "%s: cannot read it as an ISO image: %s", iso, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Position a at member: 1 found, 0 absent, -1 damaged. */
static int iso_seek(struct archive *a, const char *iso, const char *member, struct ib_error *err)
{
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		if (p && p[0] == '.' && p[1] == '/')
			p += 2;
		if (archive_entry_filetype(e) == AE_IFREG && p && !strcasecmp(p, member))
			return 1;
	}
	if (r == ARCHIVE_EOF)
		return 0;
	return ib_fail(err, IB_EXIT_INPUT, "%s: the ISO image is damaged: %s", iso, archive_error_string(a));
}

int ib_win_iso_head(const char *iso, const char *member, uint8_t *buf, size_t cap, size_t *got,
		    struct ib_error *err)
{
	*got = 0;
	struct archive *a = iso_open(iso, err);
	if (!a)
		return -1;
	int r = iso_seek(a, iso, member, err);
	if (r == 1) {
		la_ssize_t n = archive_read_data(a, buf, cap);
		if (n < 0)
			r = ib_fail(err, IB_EXIT_INPUT, "%s: cannot read %s: %s", iso, member, archive_error_string(a));
		else
			*got = (size_t)n;
	}
	archive_read_free(a);
	return r;
}

int ib_win_iso_extract_file(const char *iso, const char *member, const char *dst, struct ib_error *err)
{
	struct archive *a = iso_open(iso, err);
	if (!a)
		return -1;
	int r = iso_seek(a, iso, member, err);
	if (r == 0)
		r = ib_fail(err, IB_EXIT_INPUT, "%s: no %s on it", iso, member);
	if (r == 1) {
		int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			r = ib_fail_errno(err, -errno, "cannot create %s", dst);
		} else {
			r = archive_read_data_into_fd(a, fd) == ARCHIVE_OK ? 0
									   : ib_fail(err, IB_EXIT_INPUT, "%s: cannot extract %s: %s",
										     iso, member, archive_error_string(a));
			if (close(fd) < 0 && r == 0)
				r = ib_fail_errno(err, -errno, "cannot write %s", dst);
		}
	}
	archive_read_free(a);
	return r < 0 ? -1 : 0;
}
