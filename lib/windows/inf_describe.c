// SPDX-License-Identifier: GPL-2.0-or-later
/* One-line JSON dump of a parsed INF and, for a target, of what installing it
 * means: chosen models, devices, files, registry records, services. */
#include "inf_int.h"

#include <stdio.h>
#include <strings.h>

#include "core/json.h"

static void put_addregs(struct ib_json *j, const char *key, const struct ib_inf_addreg *v, size_t n)
{
	ib_json_key(j, key);
	ib_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		const struct ib_inf_addreg *r = &v[i];
		ib_json_begin_object(j);
		ib_json_kv_str(j, "root", r->root);
		ib_json_kv_str(j, "subkey", r->subkey);
		ib_json_kv_str(j, "name", r->name);
		ib_json_kv_uint(j, "flags", r->flags);
		ib_json_kv_uint(j, "type", r->type);
		ib_json_kv_bool(j, "key_only", r->key_only);
		if (r->key_only) {
			/* no value */
		} else if (r->type == IB_REG_DWORD) {
			ib_json_kv_uint(j, "dword", r->dword);
		} else if (r->strs) {
			ib_json_key(j, "strings");
			ib_json_begin_array(j);
			for (size_t k = 0; k < r->n_strs; k++)
				ib_json_string(j, r->strs[k]);
			ib_json_end_array(j);
		} else {
			char *hex = ib_xcalloc(1, r->bin_len * 2 + 1);
			for (size_t k = 0; k < r->bin_len; k++)
				snprintf(hex + 2 * k, 3, "%02x", r->bin[k]);
			ib_json_kv_str(j, "hex", hex);
			free(hex);
		}
		ib_json_kv_uint(j, "line", r->line);
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
}

static void put_install(struct ib_json *j, const struct ib_inf_install *ins)
{
	ib_json_begin_object(j);
	ib_json_kv_str(j, "section", ins->section);
	ib_json_kv_str(j, "services_section", ins->services_section);
	ib_json_kv_str(j, "hw_section", ins->hw_section);
	ib_json_key(j, "files");
	ib_json_begin_array(j);
	for (size_t i = 0; i < ins->n_files; i++) {
		const struct ib_inf_copyfile *c = &ins->files[i];
		ib_json_begin_object(j);
		ib_json_kv_str(j, "dest", c->dest);
		ib_json_kv_str(j, "source", c->source);
		ib_json_key(j, "dirid");
		ib_json_int(j, c->dirid);
		ib_json_kv_str(j, "dest_dir", c->dest_dir);
		ib_json_kv_uint(j, "flags", c->flags);
		ib_json_kv_uint(j, "disk", c->disk);
		ib_json_kv_str(j, "source_dir", c->source_dir);
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
	put_addregs(j, "addreg", ins->addreg, ins->n_addreg);
	put_addregs(j, "hw_addreg", ins->hw_addreg, ins->n_hw_addreg);
	ib_json_key(j, "services");
	ib_json_begin_array(j);
	for (size_t i = 0; i < ins->n_services; i++) {
		const struct ib_inf_service *s = &ins->services[i];
		ib_json_begin_object(j);
		ib_json_kv_str(j, "name", s->name);
		ib_json_kv_uint(j, "flags", s->flags);
		ib_json_kv_str(j, "section", s->section);
		ib_json_kv_str(j, "display_name", s->display_name);
		ib_json_kv_uint(j, "type", s->type);
		ib_json_kv_uint(j, "start", s->start);
		ib_json_kv_uint(j, "error_control", s->error_control);
		ib_json_kv_str(j, "binary", s->binary);
		ib_json_key(j, "binary_dirid");
		ib_json_int(j, s->binary_dirid);
		ib_json_kv_str(j, "group", s->load_order_group);
		put_addregs(j, "addreg", s->addreg, s->n_addreg);
		ib_json_kv_str(j, "eventlog_section", s->eventlog_section);
		put_addregs(j, "eventlog_addreg", s->eventlog_addreg, s->n_eventlog_addreg);
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
	ib_json_end_object(j);
}

static int put_models(struct ib_json *j, const struct ib_inf *inf, const struct ib_inf_target *t,
		      struct ib_error *err)
{
	struct ib_inf_selection sel;
	if (ib_inf_select_models(inf, t, &sel, err) < 0)
		return -1;
	ib_json_kv_str(j, "catalog", ib_inf_catalog(inf, t));
	ib_json_key(j, "models");
	ib_json_begin_array(j);
	for (size_t m = 0; m < sel.n_mfg; m++) {
		const struct ib_inf_models *mm = &sel.mfg[m];
		ib_json_begin_object(j);
		ib_json_kv_str(j, "manufacturer", mm->manufacturer);
		ib_json_kv_str(j, "section", mm->section);
		ib_json_kv_str(j, "decoration", mm->decoration);
		ib_json_key(j, "devices");
		ib_json_begin_array(j);
		for (size_t d = 0; d < mm->n_devices; d++) {
			const struct ib_inf_device *dev = &mm->devices[d];
			ib_json_begin_object(j);
			ib_json_kv_str(j, "desc", dev->desc);
			ib_json_kv_str(j, "install", dev->install);
			ib_json_key(j, "ids");
			ib_json_begin_array(j);
			for (size_t k = 0; k < dev->n_ids; k++)
				ib_json_string(j, dev->ids[k]);
			ib_json_end_array(j);
			ib_json_kv_uint(j, "line", dev->line);
			ib_json_end_object(j);
		}
		ib_json_end_array(j);
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
	/* Each distinct install section once, in order of first use. */
	ib_json_key(j, "installs");
	ib_json_begin_array(j);
	int rc = 0;
	for (size_t m = 0; m < sel.n_mfg && !rc; m++) {
		for (size_t d = 0; d < sel.mfg[m].n_devices && !rc; d++) {
			const struct ib_inf_device *dev = &sel.mfg[m].devices[d];
			bool seen = false;
			for (size_t pm = 0; pm <= m && !seen; pm++)
				for (size_t pd = 0; pd < sel.mfg[pm].n_devices && !(pm == m && pd >= d) && !seen; pd++)
					seen = !strcasecmp(sel.mfg[pm].devices[pd].install, dev->install);
			if (seen)
				continue;
			struct ib_inf_install *ins;
			rc = ib_inf_install_get(inf, t, dev->install, &ins, err);
			if (rc < 0) {
				if (!err->loc.line) /* point at the models line that named it */
					err->loc.line = dev->line;
				break;
			}
			put_install(j, ins);
			ib_inf_install_free(ins);
		}
	}
	ib_json_end_array(j);
	ib_inf_selection_free(&sel);
	return rc;
}

int ib_inf_describe(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_buf *out,
		    struct ib_error *err)
{
	static const char *const encs[] = { "ansi", "utf-8", "utf-16le" };
	const struct ib_inf_version *v = &inf->version;
	struct ib_json j = { 0 };
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "file", inf->path);
	ib_json_kv_str(&j, "encoding", encs[inf->enc]);
	ib_json_kv_str(&j, "template_token", inf->template_token);
	ib_json_key(&j, "version");
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "signature", v->signature);
	ib_json_kv_str(&j, "class", v->class_name);
	ib_json_kv_str(&j, "class_guid", v->class_guid);
	ib_json_kv_str(&j, "provider", v->provider);
	if (v->has_driver_ver) {
		char date[16], ver[32];
		snprintf(date, sizeof(date), "%04u-%02u-%02u", v->year, v->month, v->day);
		snprintf(ver, sizeof(ver), "%u.%u.%u.%u", v->ver[0], v->ver[1], v->ver[2], v->ver[3]);
		ib_json_kv_str(&j, "date", date);
		ib_json_kv_str(&j, "driver_version", ver);
	}
	ib_json_kv_str(&j, "catalog", v->catalog);
	ib_json_kv_bool(&j, "pnp_lockdown", v->pnp_lockdown);
	ib_json_end_object(&j);
	int rc = 0;
	if (t) {
		char tgt[64];
		snprintf(tgt, sizeof(tgt), "%s %u.%u.%u/%u", t->arch ? t->arch : "", t->major, t->minor, t->build,
			 t->product_type);
		ib_json_kv_str(&j, "target", tgt);
		rc = put_models(&j, inf, t, err);
	}
	ib_json_end_object(&j);
	if (!rc)
		ib_buf_append(out, j.buf.s, j.buf.len);
	ib_json_free(&j);
	return rc;
}
