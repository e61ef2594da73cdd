// SPDX-License-Identifier: GPL-2.0-or-later
/* CPU architecture of a Windows installation from the PE header of one of
 * its executables (libguestfs reads System32\cmd.exe the same way). Only the
 * DOS header's e_lfanew and the COFF Machine field are read. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "winver.h"

#define DOS_HDR 0x40u
#define NT_NEED 6u /* "PE\0\0" + Machine */

const char *ib_win_arch_name(enum ib_win_arch a)
{
	switch (a) {
	case IB_WIN_ARCH_X86: return "x86";
	case IB_WIN_ARCH_AMD64: return "amd64";
	case IB_WIN_ARCH_ARM64: return "arm64";
	}
	return "?";
}

const char *ib_win_arch_virtio_dir(enum ib_win_arch a)
{
	return a == IB_WIN_ARCH_ARM64 ? "ARM64" : ib_win_arch_name(a);
}

/* The DOS header: 'MZ' and e_lfanew; size is the whole file's. */
static int pe_dos(const uint8_t *dos, size_t dos_len, uint64_t size, const char *what, uint32_t *lfanew,
		  struct ib_error *err)
{
	if (dos_len < 2 || dos[0] != 'M' || dos[1] != 'Z')
		return ib_fail(err, IB_EXIT_INPUT, "%s at byte 0x0: no 'MZ' signature: not a Windows executable",
			       what);
	if (dos_len < DOS_HDR)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte 0x%zx: the file ends inside the 64-byte DOS header (e_lfanew is at 0x3c)",
			       what, dos_len);
	*lfanew = ib_get_le32(dos + 0x3c);
	if ((uint64_t)*lfanew + NT_NEED > size)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte 0x3c: e_lfanew 0x%" PRIx32 " points past the end of the file (%" PRIu64
			       " bytes)",
			       what, *lfanew, size);
	return 0;
}

/* "PE\0\0" and the Machine field at e_lfanew. */
static int pe_nt(const uint8_t *nt, uint32_t lfanew, const char *what, enum ib_win_arch *arch,
		 struct ib_error *err)
{
	if (memcmp(nt, "PE\0\0", 4) != 0)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte 0x%" PRIx32 ": no 'PE' signature (found %02x %02x %02x %02x)", what, lfanew,
			       nt[0], nt[1], nt[2], nt[3]);
	uint16_t m = ib_get_le16(nt + 4);
	switch (m) {
	case 0x14c: *arch = IB_WIN_ARCH_X86; return 0;
	case 0x8664: *arch = IB_WIN_ARCH_AMD64; return 0;
	case 0xaa64: *arch = IB_WIN_ARCH_ARM64; return 0;
	}
	const char *known = m == 0x1c4 ? " (ARMv7 Thumb-2: Windows RT)" : m == 0x200 ? " (Itanium)" : "";
	return ib_fail(err, IB_EXIT_INPUT,
		       "%s at byte 0x%" PRIx64 ": machine type 0x%04x%s is not x86 (0x14c), amd64 (0x8664) or "
		       "arm64 (0xaa64)",
		       what, (uint64_t)lfanew + 4, m, known);
}

int ib_winver_pe_arch(const uint8_t *buf, size_t len, const char *what, enum ib_win_arch *arch,
		      struct ib_error *err)
{
	uint32_t lfanew;
	if (pe_dos(buf, len < DOS_HDR ? len : DOS_HDR, len, what, &lfanew, err) < 0)
		return -1;
	return pe_nt(buf + lfanew, lfanew, what, arch, err);
}

int ib_winver_pe_arch_file(const char *path, const char *what, enum ib_win_arch *arch, struct ib_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot stat %s", path);
	uint64_t size = (uint64_t)st.st_size;
	uint8_t dos[DOS_HDR], nt[NT_NEED];
	size_t dos_len = size < DOS_HDR ? (size_t)size : DOS_HDR;
	int r = ib_pread_all(fd, dos, dos_len, 0);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read %s", path);
	uint32_t lfanew;
	if (pe_dos(dos, dos_len, size, what, &lfanew, err) < 0)
		return -1;
	r = ib_pread_all(fd, nt, sizeof(nt), lfanew);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read %s", path);
	return pe_nt(nt, lfanew, what, arch, err);
}
