// SPDX-License-Identifier: GPL-2.0-or-later
#include "bcd.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "hive.h"

/* Well-known objects (bcdedit's names). */
#define BCD_BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define BCD_GLOBALSETTINGS "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}"
#define BCD_BOOTLOADERSETTINGS "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}"
#define BCD_RESUMELOADERSETTINGS "{1afa9c49-16ab-4a5c-901b-212802da9460}"
#define BCD_MEMDIAG "{b2721d73-1db4-4c62-bf78-c548a880142d}"

/* Object types (the Type value of an object's Description key). */
#define BCD_TYPE_BOOTMGR 0x10100002u
#define BCD_TYPE_OSLOADER 0x10200003u
#define BCD_TYPE_RESUME 0x10200004u
#define BCD_TYPE_MEMDIAG 0x10200005u

/* Element types: bits 28-31 class, 24-27 format, the rest the subtype. The
 * format says how the Element value is stored (element_value below). */
enum bcd_format {
	BCD_FMT_DEVICE = 1,
	BCD_FMT_STRING = 2,
	BCD_FMT_OBJECT = 3,
	BCD_FMT_OBJECTLIST = 4,
	BCD_FMT_INTEGER = 5,
	BCD_FMT_BOOLEAN = 6,
	BCD_FMT_INTEGERLIST = 7,
};

#define E_DEVICE 0x11000001u              /* BcdLibraryDevice_ApplicationDevice */
#define E_PATH 0x12000002u                /* BcdLibraryString_ApplicationPath */
#define E_DESCRIPTION 0x12000004u         /* BcdLibraryString_Description */
#define E_LOCALE 0x12000005u              /* BcdLibraryString_PreferredLocale */
#define E_INHERIT 0x14000006u             /* BcdLibraryObjectList_InheritedObjects */
#define E_RECOVERYENABLED 0x16000009u     /* BcdLibraryBoolean_AutoRecoveryEnabled */
#define E_BADMEMORYACCESS 0x1600000Bu     /* BcdLibraryBoolean_AllowBadMemoryAccess */
#define E_ISOLATEDCONTEXT 0x16000060u     /* BcdLibraryBoolean_IsolatedExecutionContext */
#define E_INMEMORYSETTINGS 0x17000077u    /* BcdLibraryIntegerList_AllowedInMemorySettings */
#define E_MGR_DISPLAYORDER 0x24000001u    /* BcdBootMgrObjectList_DisplayOrder */
#define E_MGR_DEFAULT 0x23000003u         /* BcdBootMgrObject_DefaultObject */
#define E_MGR_TIMEOUT 0x25000004u         /* BcdBootMgrInteger_Timeout */
#define E_MGR_RESUMEOBJECT 0x23000006u    /* BcdBootMgrObject_ResumeObject */
#define E_MGR_TOOLSORDER 0x24000010u      /* BcdBootMgrObjectList_ToolsDisplayOrder */
#define E_OS_OSDEVICE 0x21000001u         /* BcdOSLoaderDevice_OSDevice */
#define E_OS_SYSTEMROOT 0x22000002u       /* BcdOSLoaderString_SystemRoot */
#define E_OS_RESUMEOBJECT 0x23000003u     /* BcdOSLoaderObject_AssociatedResumeObject */
#define E_OS_NX 0x25000020u               /* BcdOSLoaderInteger_NxPolicy */
#define E_OS_BOOTMENUPOLICY 0x250000C2u   /* BcdOSLoaderInteger_BootMenuPolicy */
#define E_RES_FILEDEVICE 0x21000001u      /* BcdResumeDevice_HiberFileDevice */
#define E_RES_FILEPATH 0x22000002u        /* BcdResumeString_HiberFilePath */
#define E_RES_DEBUGOPTION 0x26000006u     /* BcdResumeBoolean_DebugOptionEnabled */
#define E_RES_BOOTMENUPOLICY 0x25000008u  /* BcdResumeInteger_BootMenuPolicy */

/* allowedinmemorysettings: the one entry stores Windows 10's bcdboot made
 * have (0x15000075; docs/windows-install.md). */
#define INMEMORY_ALLOWED 0x15000075u

#define DEVICE_LEN 0x58

size_t ib_bcd_gpt_device(uint8_t *b, size_t n, const struct ib_guid *disk, const struct ib_guid *part)
{
	if (n < DEVICE_LEN)
		return 0;
	memset(b, 0, DEVICE_LEN);
	/* 0x00: the associated options object (none: zero GUID). 0x10: the
	 * device descriptor: type 6 (partition), flags 0, its size 0x48. */
	b[0x10] = 6;
	b[0x18] = 0x48;
	/* 0x20: the partition's unique GUID; 0x34: the disk: local (0), GPT
	 * (partition style 0), 0x38: the disk GUID. GUIDs as Windows stores
	 * them (the first three fields little-endian, as in the GPT). */
	memcpy(b + 0x20, part->b, 16);
	memcpy(b + 0x38, disk->b, 16);
	return DEVICE_LEN;
}

struct store {
	struct ib_hive *h;
	const struct ib_bcd_params *bp;
	struct ib_error *err;
	unsigned count;
	bool verify; /* compare instead of write */
};

static char *elem_key(const char *obj, uint32_t type)
{
	return ib_xasprintf("Objects\\%s\\Elements\\%08x", obj, type); /* lowercase, as Windows writes them */
}

/* Write (or check) one element value of the store's registry type. */
static int put(struct store *s, const char *obj, uint32_t type, enum ib_reg_type rt, const void *data, size_t len)
{
	_cleanup_free_ char *key = elem_key(obj, type);
	s->count++;
	if (!s->verify)
		return ib_hive_set_value(s->h, key, "Element", rt, data, len, s->err);
	struct ib_reg_value v = {0};
	int r = ib_hive_get_value(s->h, key, "Element", &v, s->err);
	if (r < 0)
		return -1;
	bool same = r == 1 && v.type == rt && v.len == len && (!len || !memcmp(v.data, data, len));
	ib_reg_value_free(&v);
	if (!same)
		return ib_fail(s->err, IB_EXIT_FAIL, "BCD %s: object %s element %08X is %s, not what was written",
			       s->bp->out_path, obj, type, r == 1 ? "different" : "missing");
	return 0;
}

static int put_sz(struct store *s, const char *obj, uint32_t type, const char *text)
{
	uint8_t *d = NULL;
	size_t n = 0;
	if (ib_reg_encode_sz(text, &d, &n, s->err) < 0)
		return -1;
	int r = put(s, obj, type, IB_REG_SZ, d, n);
	free(d);
	return r;
}

static int put_list(struct store *s, const char *obj, uint32_t type, const char *const *ids, size_t nids)
{
	uint8_t *d = NULL;
	size_t n = 0;
	if (ib_reg_encode_multi_sz(ids, nids, &d, &n, s->err) < 0)
		return -1;
	int r = put(s, obj, type, IB_REG_MULTI_SZ, d, n);
	free(d);
	return r;
}

static int put_int(struct store *s, const char *obj, uint32_t type, uint64_t v)
{
	uint8_t d[8];
	ib_reg_encode_qword(v, d);
	return put(s, obj, type, IB_REG_BINARY, d, 8);
}

static int put_bool(struct store *s, const char *obj, uint32_t type, bool v)
{
	uint8_t d = v;
	return put(s, obj, type, IB_REG_BINARY, &d, 1);
}

static int put_device(struct store *s, const char *obj, uint32_t type, const struct ib_guid *part)
{
	uint8_t d[DEVICE_LEN];
	size_t n = ib_bcd_gpt_device(d, sizeof d, &s->bp->disk_guid, part);
	return put(s, obj, type, IB_REG_BINARY, d, n);
}

/* An object's Type (made fresh when writing: no element of an older one
 * survives). */
static int object(struct store *s, const char *obj, uint32_t type)
{
	_cleanup_free_ char *key = ib_xasprintf("Objects\\%s", obj);
	_cleanup_free_ char *desc = ib_xasprintf("Objects\\%s\\Description", obj);
	if (s->verify) {
		uint32_t t = 0;
		if (ib_hive_get_dword(s->h, desc, "Type", &t, s->err) < 0)
			return -1;
		s->count++;
		if (t != type)
			return ib_fail(s->err, IB_EXIT_FAIL, "BCD %s: object %s has type 0x%08x, not 0x%08x", s->bp->out_path,
				       obj, t, type);
		return 0;
	}
	if (ib_hive_delete_key(s->h, key, s->err) < 0)
		return -1;
	_cleanup_free_ char *elems = ib_xasprintf("Objects\\%s\\Elements", obj);
	if (ib_hive_create_key(s->h, elems, NULL, s->err) < 0)
		return -1;
	s->count++;
	return ib_hive_set_dword(s->h, desc, "Type", type, s->err);
}

static void guid_text(const struct ib_guid *g, char out[39])
{
	char t[37];
	ib_guid_format(g, t);
	snprintf(out, 39, "{%s}", t);
	for (char *c = out; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
}

/* Every object and element bcdboot writes for UEFI (docs/windows-install.md). */
static int objects(struct store *s)
{
	const struct ib_bcd_params *bp = s->bp;
	char loader[39], resume[39];
	guid_text(&bp->loader_id, loader);
	guid_text(&bp->resume_id, resume);
	const char *const display[] = {loader};
	const char *const tools[] = {BCD_MEMDIAG};
	const char *const inherit_global[] = {BCD_GLOBALSETTINGS};
	const char *const inherit_loader[] = {BCD_BOOTLOADERSETTINGS};
	const char *const inherit_resume[] = {BCD_RESUMELOADERSETTINGS};
	uint8_t inmem[8];
	ib_reg_encode_qword(INMEMORY_ALLOWED, inmem);
	/* The boot manager, on the ESP. */
	if (object(s, BCD_BOOTMGR, BCD_TYPE_BOOTMGR) < 0 || put_device(s, BCD_BOOTMGR, E_DEVICE, &bp->esp_guid) < 0 ||
	    put_sz(s, BCD_BOOTMGR, E_PATH, bp->bootmgr_path) < 0 ||
	    put_sz(s, BCD_BOOTMGR, E_DESCRIPTION, "Windows Boot Manager") < 0 ||
	    put_sz(s, BCD_BOOTMGR, E_LOCALE, bp->locale) < 0 || put_list(s, BCD_BOOTMGR, E_INHERIT, inherit_global, 1) < 0 ||
	    put_sz(s, BCD_BOOTMGR, E_MGR_DEFAULT, loader) < 0 || put_sz(s, BCD_BOOTMGR, E_MGR_RESUMEOBJECT, resume) < 0 ||
	    put_list(s, BCD_BOOTMGR, E_MGR_DISPLAYORDER, display, 1) < 0 ||
	    (bp->memtest_path && put_list(s, BCD_BOOTMGR, E_MGR_TOOLSORDER, tools, 1) < 0) ||
	    put_int(s, BCD_BOOTMGR, E_MGR_TIMEOUT, bp->timeout) < 0)
		return -1;
	/* The Windows Boot Loader, on the Windows partition. */
	bool modern = !bp->legacy;
	if (object(s, loader, BCD_TYPE_OSLOADER) < 0 || put_device(s, loader, E_DEVICE, &bp->win_guid) < 0 ||
	    put_sz(s, loader, E_PATH, bp->loader_path) < 0 || put_sz(s, loader, E_DESCRIPTION, bp->description) < 0 ||
	    put_sz(s, loader, E_LOCALE, bp->locale) < 0 || put_list(s, loader, E_INHERIT, inherit_loader, 1) < 0 ||
	    put_bool(s, loader, E_RECOVERYENABLED, false) < 0 ||
	    (modern && put_bool(s, loader, E_ISOLATEDCONTEXT, true) < 0) ||
	    (modern && put(s, loader, E_INMEMORYSETTINGS, IB_REG_BINARY, inmem, 8) < 0) ||
	    put_device(s, loader, E_OS_OSDEVICE, &bp->win_guid) < 0 || put_sz(s, loader, E_OS_SYSTEMROOT, "\\Windows") < 0 ||
	    put_sz(s, loader, E_OS_RESUMEOBJECT, resume) < 0 || put_int(s, loader, E_OS_NX, 0) < 0 ||
	    (modern && put_int(s, loader, E_OS_BOOTMENUPOLICY, 1) < 0))
		return -1;
	/* Its resume object (hibernation), on the Windows partition. */
	if (object(s, resume, BCD_TYPE_RESUME) < 0 || put_device(s, resume, E_DEVICE, &bp->win_guid) < 0 ||
	    put_sz(s, resume, E_PATH, bp->resume_path) < 0 ||
	    put_sz(s, resume, E_DESCRIPTION, "Windows Resume Application") < 0 ||
	    put_sz(s, resume, E_LOCALE, bp->locale) < 0 || put_list(s, resume, E_INHERIT, inherit_resume, 1) < 0 ||
	    (modern && put_bool(s, resume, E_ISOLATEDCONTEXT, true) < 0) ||
	    (modern && put(s, resume, E_INMEMORYSETTINGS, IB_REG_BINARY, inmem, 8) < 0) ||
	    put_device(s, resume, E_RES_FILEDEVICE, &bp->win_guid) < 0 ||
	    put_sz(s, resume, E_RES_FILEPATH, "\\hiberfil.sys") < 0 ||
	    (modern && put_int(s, resume, E_RES_BOOTMENUPOLICY, 1) < 0) ||
	    (modern && put_bool(s, resume, E_RES_DEBUGOPTION, false) < 0))
		return -1;
	/* The memory diagnostic, on the ESP, when the image has memtest.efi. */
	if (bp->memtest_path &&
	    (object(s, BCD_MEMDIAG, BCD_TYPE_MEMDIAG) < 0 || put_device(s, BCD_MEMDIAG, E_DEVICE, &bp->esp_guid) < 0 ||
	     put_sz(s, BCD_MEMDIAG, E_PATH, bp->memtest_path) < 0 ||
	     put_sz(s, BCD_MEMDIAG, E_DESCRIPTION, "Windows Memory Diagnostic") < 0 ||
	     put_sz(s, BCD_MEMDIAG, E_LOCALE, bp->locale) < 0 ||
	     put_list(s, BCD_MEMDIAG, E_INHERIT, inherit_global, 1) < 0 ||
	     put_bool(s, BCD_MEMDIAG, E_BADMEMORYACCESS, true) < 0))
		return -1;
	return 0;
}

/* What bcdboot leaves of the template (as stores it made show): the
 * settings objects without their setup-template elements (class 4:
 * elementstomigrate and the custom 0x4xxxxxxx elements), and no template
 * application objects (the OS and resume target templates, Windows Setup,
 * {ntldr}): the objects this store boots are made anew below. */
static int clean_template(struct store *s)
{
	char **objs = NULL;
	size_t n = 0;
	if (ib_hive_subkeys(s->h, "Objects", &objs, &n, s->err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *key = ib_xasprintf("Objects\\%s", objs[i]);
		_cleanup_free_ char *desc = ib_xasprintf("%s\\Description", key);
		_cleanup_free_ char *elems = ib_xasprintf("%s\\Elements", key);
		uint32_t type = 0;
		if (ib_hive_get_dword(s->h, desc, "Type", &type, s->err) < 0) {
			r = -1;
			break;
		}
		if (type >> 28 == 1) {
			r = ib_hive_delete_key(s->h, key, s->err) < 0 ? -1 : 0;
			continue;
		}
		char **el = NULL;
		size_t ne = 0;
		if (ib_hive_key_exists(s->h, elems, s->err) != 1)
			continue;
		if (ib_hive_subkeys(s->h, elems, &el, &ne, s->err) < 0) {
			r = -1;
			break;
		}
		for (size_t k = 0; k < ne && r == 0; k++) {
			if (el[k][0] != '4')
				continue;
			_cleanup_free_ char *ek = ib_xasprintf("%s\\%s", elems, el[k]);
			r = ib_hive_delete_key(s->h, ek, s->err) < 0 ? -1 : 0;
		}
		ib_hive_names_free(el, ne);
	}
	ib_hive_names_free(objs, n);
	return r;
}

int ib_bcd_make(const struct ib_bcd_params *bp, struct ib_error *err)
{
	struct ib_hive *h = ib_hive_open(bp->template_path, "BCD-Template", IB_HIVE_WRITE, err);
	if (!h)
		return -1;
	struct store s = {.h = h, .bp = bp, .err = err};
	int r = ib_hive_key_exists(h, "Objects", err);
	if (r == 0)
		r = ib_fail(err, IB_EXIT_INPUT, "the image's BCD-Template has no Objects key: not a BCD store");
	if (r == 1)
		r = 0;
	/* The store's own description, as bcdboot leaves it. */
	if (r == 0 && (ib_hive_set_sz(h, "Description", "KeyName", "BCD00000000", err) < 0 ||
		       ib_hive_set_dword(h, "Description", "System", 1, err) < 0 ||
		       ib_hive_set_dword(h, "Description", "TreatAsSystem", 1, err) < 0))
		r = -1;
	if (r == 0)
		r = clean_template(&s);
	if (r == 0)
		r = objects(&s);
	if (r == 0)
		r = ib_hive_commit(h, bp->out_path, err);
	ib_hive_close(h);
	return r;
}

int ib_bcd_verify(const struct ib_bcd_params *bp, unsigned *checked, struct ib_error *err)
{
	*checked = 0;
	struct ib_hive *h = ib_hive_open(bp->out_path, "BCD", 0, err);
	if (!h)
		return -1;
	struct store s = {.h = h, .bp = bp, .err = err, .verify = true};
	int r = objects(&s);
	char *name = NULL;
	if (r == 0 && ib_hive_get_string(h, "Description", "KeyName", &name, err) == 1 && strcmp(name, "BCD00000000"))
		r = ib_fail(err, IB_EXIT_FAIL, "BCD %s: Description\\KeyName is '%s'", bp->out_path, name);
	free(name);
	ib_hive_close(h);
	*checked = s.count;
	return r;
}
