// SPDX-License-Identifier: GPL-2.0-or-later
/* `imgbuild inspect MEDIA`: the images of install media (windows/wim.h). */
#include "media.h"

#include "core/size.h"

void ib_media_print(const struct ib_wim *m, FILE *f)
{
	char sz[32];
	fprintf(f, "media:  %s%s%s%s, %s compression, %zu image(s)\n", m->path, m->member ? " (" : "", m->member ? m->member : "",
		m->member ? ")" : "", m->compression ? m->compression : "-", m->images.n);
	for (size_t i = 0; i < m->images.n; i++) {
		const struct ib_wim_image *im = &m->images.v[i];
		fprintf(f, "  %u  %s  edition %s, %u.%u build %u, %s, %s\n", im->index, im->name ? im->name : "-",
			im->edition ? im->edition : "-", im->major, im->minor, im->build, im->arch ? im->arch : "-",
			ib_size_format(im->bytes, sz, sizeof sz));
	}
}

void ib_media_json(const struct ib_wim *m, struct ib_json *j)
{
	ib_json_begin_object(j);
	ib_json_key(j, "media");
	ib_json_begin_object(j);
	ib_json_kv_str(j, "path", m->path);
	ib_json_kv_str(j, "wim", m->member);
	ib_json_kv_str(j, "compression", m->compression);
	ib_json_key(j, "images");
	ib_json_begin_array(j);
	for (size_t i = 0; i < m->images.n; i++) {
		const struct ib_wim_image *im = &m->images.v[i];
		ib_json_begin_object(j);
		ib_json_kv_uint(j, "index", im->index);
		ib_json_kv_str(j, "name", im->name);
		ib_json_kv_str(j, "edition", im->edition);
		char v[32];
		snprintf(v, sizeof v, "%u.%u", im->major, im->minor);
		ib_json_kv_str(j, "version", v);
		ib_json_kv_uint(j, "build", im->build);
		ib_json_kv_str(j, "arch", im->arch);
		ib_json_kv_uint(j, "bytes", im->bytes);
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
	ib_json_end_object(j);
	ib_json_end_object(j);
}
