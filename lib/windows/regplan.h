// SPDX-License-Identifier: GPL-2.0-or-later
/* Edit lists for offline driver injection, composed from the generic edit
 * API (regedit.h). The keys and values follow windows-injection.md
 * section 3 (what libguestfs/virt-v2v writes to make a boot-critical
 * storage driver bind on first boot). Nothing here touches a hive. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "regedit.h"
#include "winver.h"

/* The SCSIAdapter setup class (virtio-blk and virtio-scsi both use it). */
#define IB_REGPLAN_SCSI_ADAPTER_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

/* How PnP learns which service drives the boot device before any INF is
 * installed: Windows before 8 reads Control\CriticalDeviceDatabase, Windows
 * 8 and later SYSTEM\DriverDatabase. */
enum ib_regplan_pnp { IB_REGPLAN_CDDB, IB_REGPLAN_DDB };
/* By version (6.2 and later: DDB). The injector should prefer what the
 * SYSTEM hive has: a root key DriverDatabase means DDB (libguestfs's test). */
enum ib_regplan_pnp ib_regplan_pnp_for(unsigned major, unsigned minor);

/* The service-install values of the driver's INF (AddService section). */
struct ib_regplan_service {
	const char *name;         /* service name, "viostor" */
	uint32_t type;            /* ServiceType -> Type: 1 kernel driver */
	uint32_t error_control;   /* ErrorControl: 1 normal */
	const char *image_path;   /* ServiceBinary -> ImagePath (REG_EXPAND_SZ), "system32\\drivers\\viostor.sys" */
	const char *group;        /* LoadOrderGroup -> Group, "SCSI miniport"; NULL leaves it out */
	const char *display_name; /* NULL leaves it out */
};

struct ib_regplan_boot {
	struct ib_regplan_service svc;
	/* Hardware ids as the INF lists them, "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00". */
	const char *const *hwids;
	size_t n_hwids;
	/* For each hwid, its place on the INF's models line: true where it is a
	 * device's hardware id (the first id), false for a compatible id. It is
	 * the first byte of the DeviceIds value (01 / 02), as the references
	 * write it. NULL: all hardware ids. */
	const bool *hwid_is_first;
	const char *class_guid; /* "{4D36E97B-...}", braces optional; NULL = SCSIAdapter */
	enum ib_regplan_pnp pnp;
	enum ib_win_arch arch;  /* DDB package label "<inf>_<arch>_0000000000000000" */
	const char *inf_name;   /* DDB placeholder package; NULL = "guestor.inf" as libguestfs */
};

/* Append to out the SYSTEM-hive edits that make svc start at boot (Start=0)
 * and bind every hwid to it:
 *   CurrentControlSet\Services\<svc>: Type, Start=0, ErrorControl, ImagePath, [Group], [DisplayName];
 *   delete CurrentControlSet\Services\<svc>\StartOverride (it overrides Start);
 *   CDDB: CurrentControlSet\Control\CriticalDeviceDatabase\<hwid, '\' -> '#'>: Service, ClassGUID;
 *   DDB:  DriverDatabase\DriverInfFiles\<inf>, DeviceIds\<hwid>, DriverPackages\<label>
 *         (Version, Configurations\<conf>, Descriptors\<hwid>).
 * Input error (exit 2) for a missing name/image path, no hwids, a hwid
 * without an enumerator ("PCI\\...") or a malformed class GUID. */
int ib_regplan_boot_driver(const struct ib_regplan_boot *b, struct ib_reg_edits *out, struct ib_error *err);

/* SOFTWARE\Microsoft\Windows\CurrentVersion DevicePath += ";<dir>" (if not
 * there yet; absent value: "%SystemRoot%\inf;<dir>"), so PnP also searches
 * dir, e.g. "%SystemRoot%\Drivers\VirtIO". */
void ib_regplan_device_path(struct ib_reg_edits *out, const char *dir);
