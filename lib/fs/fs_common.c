// SPDX-License-Identifier: GPL-2.0-or-later
/* What the filesystem makers share: argv lists, default cluster sizes and the
 * smallest partition each filesystem fits in. */
#include "fs.h"

#include <stdlib.h>

#include "core/size.h"

void ib_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* mkntfs: 4 KiB (or the sector size if larger), doubled until the cluster
 * count fits in 32 bits. mkntfs sizes the volume one sector short of the
 * partition (the backup boot sector), so do the same. */
uint64_t ib_ntfs_default_cluster(uint64_t size, uint32_t sector_size)
{
	uint64_t cs = 4096;
	if (cs < sector_size)
		cs = sector_size;
	uint64_t vol = size > sector_size ? size - sector_size : 0;
	while (cs < (UINT64_C(2) << 20) && vol / cs > UINT32_MAX)
		cs <<= 1;
	return cs;
}

/* Both limits were measured with mkntfs 2022.10.3 and mkfs.fat 4.2 and hold
 * with a margin. NTFS: at least 1 MiB and about 20 clusters (MFT, MFT mirror,
 * $LogFile of at least 256 KiB). With 2 MiB clusters mkntfs also refuses
 * 200-400 MiB ($LogFile rounds down to zero clusters), so ask for 400 MiB.
 * FAT: the cluster count must reach 4085 (FAT16) or 65525 (FAT32), else the
 * filesystem reads as another FAT type and mtools refuses it; add the two
 * FATs, the reserved sectors, the FAT16 root directory and one cluster of
 * data-area alignment. */
uint64_t ib_ntfs_min_size(uint64_t cluster_size, uint32_t sector_size)
{
	uint64_t cs = cluster_size ? cluster_size : 4096;
	uint64_t ss = sector_size ? sector_size : 512;
	if (cs >= (UINT64_C(2) << 20))
		return (UINT64_C(400) << 20) + ss;
	uint64_t need = 20 * cs;
	if (need < (UINT64_C(1) << 20))
		need = UINT64_C(1) << 20;
	return need + ss;
}

uint64_t ib_fat_min_size(int fat_bits, uint64_t cluster_size, uint32_t sector_size)
{
	uint64_t cs = cluster_size ? cluster_size : 4096;
	uint64_t ss = sector_size ? sector_size : 512;
	if (fat_bits == 16) {
		uint64_t clusters = 4096 + 2;
		return clusters * cs + 2 * ib_align_up(clusters * 2, ss) + 512 * 32 + 32 * ss + cs;
	}
	uint64_t clusters = 65536 + 2;
	return clusters * cs + 2 * ib_align_up(clusters * 4, ss) + 32 * ss + cs;
}
