// SPDX-License-Identifier: GPL-2.0-or-later
/* The injection report: a summary for people and one JSON object for tools
 * (Windows detected, drivers with their services and hardware ids, files
 * with sha256, registry changes, first-boot steps, warnings). */
#include "inject.h"

#include "core/json.h"

void ib_win_report_free(struct ib_win_report *r)
{
	free(r->root);
	free(r->product);
	free(r->edition);
	free(r->installation_type);
	free(r->control_set);
	free(r->ddb_hive);
	free(r->setup_reason);
	for (size_t i = 0; i < r->drivers.n; i++) {
		struct ib_win_driver_report *d = &r->drivers.v[i];
		free(d->name), free(d->inf), free(d->source), free(d->class_name), free(d->provider), free(d->version);
		free(d->boot_reason);
		for (size_t k = 0; k < d->services.n; k++)
			free(d->services.v[k].name);
		free(d->services.v);
		for (size_t k = 0; k < d->hwids.n; k++)
			free(d->hwids.v[k]);
		free(d->hwids.v);
	}
	free(r->drivers.v);
	for (size_t i = 0; i < r->files.n; i++)
		free(r->files.v[i].path), free(r->files.v[i].source);
	free(r->files.v);
	for (size_t i = 0; i < r->first_boot.n; i++)
		free(r->first_boot.v[i]);
	free(r->first_boot.v);
	for (size_t i = 0; i < r->warnings.n; i++)
		free(r->warnings.v[i]);
	free(r->warnings.v);
	free(r->target);
	ib_reg_changes_free(&r->changes);
	*r = (struct ib_win_report){0};
}

static const char *start_name(uint32_t s)
{
	static const char *const names[] = {"boot", "system", "auto", "demand", "disabled"};
	return s < IB_ARRAY_SIZE(names) ? names[s] : "?";
}

char *ib_win_report_text(const struct ib_win_report *r)
{
	struct ib_buf b = {0};
	ib_buf_printf(&b, "Windows: %s (%u.%u build %u%s%s), %s, at %s, %s\n", r->product ? r->product : "?", r->major,
		      r->minor, r->build, r->installation_type ? ", " : "",
		      r->installation_type ? r->installation_type : "", r->arch ? r->arch : "?",
		      r->root ? r->root : "?", r->control_set ? r->control_set : "?");
	ib_buf_printf(&b, "  virtio-win folder: %s; boot binding: %s%s%s\n", r->virtio_os ? r->virtio_os : "(none)",
		      r->pnp ? r->pnp : "?", r->ddb_hive ? " in " : "", r->ddb_hive ? r->ddb_hive : "");
	ib_buf_printf(&b, "  setup: %s; first boot: %s\n", r->setup_reason ? r->setup_reason : "?",
		      r->mechanism ? r->mechanism : "none");
	for (size_t i = 0; i < r->drivers.n; i++) {
		const struct ib_win_driver_report *d = &r->drivers.v[i];
		ib_buf_printf(&b, "Driver %s (%s, %s %s): %s\n", d->name, d->class_name ? d->class_name : "?",
			      d->provider ? d->provider : "?", d->version ? d->version : "",
			      d->boot ? "boot-critical, bound offline" : "installed at first boot");
		for (size_t k = 0; k < d->services.n; k++)
			ib_buf_printf(&b, "  service %s: start %s%s\n", d->services.v[k].name,
				      start_name(d->services.v[k].start), d->services.v[k].written ? " (written)" : "");
		for (size_t k = 0; k < d->hwids.n; k++)
			ib_buf_printf(&b, "  %s %s\n", d->boot ? "bound" : "matches", d->hwids.v[k]);
	}
	for (size_t i = 0; i < r->files.n; i++)
		ib_buf_printf(&b, "File %s  %llu bytes  sha256 %s\n", r->files.v[i].path,
			      (unsigned long long)r->files.v[i].size, r->files.v[i].sha256);
	for (size_t i = 0; i < r->changes.list.n; i++) {
		_cleanup_free_ char *line = ib_reg_change_format(&r->changes.list.v[i]);
		ib_buf_printf(&b, "Registry %s\n", line);
	}
	for (size_t i = 0; i < r->first_boot.n; i++)
		ib_buf_printf(&b, "First boot %s\n", r->first_boot.v[i]);
	if (r->target)
		ib_buf_printf(&b, "target: %s\n", r->target);
	for (size_t i = 0; i < r->warnings.n; i++)
		ib_buf_printf(&b, "warning: %s\n", r->warnings.v[i]);
	ib_buf_printf(&b, "Verified: %s\n", r->verified ? "yes (every file re-hashed, every hive value re-read)" : "no");
	return ib_buf_steal(&b);
}

static const char *change_kind(enum ib_reg_change_kind k)
{
	switch (k) {
	case IB_REG_KEY_CREATED: return "key-created";
	case IB_REG_KEY_DELETED: return "key-deleted";
	case IB_REG_VALUE_ADDED: return "value-added";
	case IB_REG_VALUE_CHANGED: return "value-changed";
	case IB_REG_VALUE_DELETED: return "value-deleted";
	}
	return "?";
}

char *ib_win_report_json(const struct ib_win_report *r)
{
	struct ib_json j = {0};
	ib_json_begin_object(&j);
	ib_json_key(&j, "windows");
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "root", r->root);
	ib_json_kv_str(&j, "product", r->product);
	ib_json_kv_uint(&j, "major", r->major);
	ib_json_kv_uint(&j, "minor", r->minor);
	ib_json_kv_uint(&j, "build", r->build);
	ib_json_kv_bool(&j, "server", r->server);
	ib_json_kv_str(&j, "edition", r->edition);
	ib_json_kv_str(&j, "installation_type", r->installation_type);
	ib_json_kv_str(&j, "arch", r->arch);
	ib_json_kv_str(&j, "virtio_os", r->virtio_os);
	ib_json_kv_str(&j, "control_set", r->control_set);
	ib_json_kv_str(&j, "boot_binding", r->pnp);
	ib_json_kv_str(&j, "driver_database_hive", r->ddb_hive);
	ib_json_kv_bool(&j, "setup_pending", r->setup_pending);
	ib_json_kv_str(&j, "setup_state", r->setup_reason);
	ib_json_end_object(&j);
	ib_json_key(&j, "drivers");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < r->drivers.n; i++) {
		const struct ib_win_driver_report *d = &r->drivers.v[i];
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "name", d->name);
		ib_json_kv_str(&j, "inf", d->inf);
		ib_json_kv_str(&j, "source", d->source);
		ib_json_kv_str(&j, "class", d->class_name);
		ib_json_kv_str(&j, "provider", d->provider);
		ib_json_kv_str(&j, "version", d->version);
		ib_json_kv_bool(&j, "boot_critical", d->boot);
		ib_json_kv_str(&j, "boot_reason", d->boot_reason);
		ib_json_key(&j, "services");
		ib_json_begin_array(&j);
		for (size_t k = 0; k < d->services.n; k++) {
			ib_json_begin_object(&j);
			ib_json_kv_str(&j, "name", d->services.v[k].name);
			ib_json_kv_uint(&j, "start", d->services.v[k].start);
			ib_json_kv_str(&j, "start_type", start_name(d->services.v[k].start));
			ib_json_kv_bool(&j, "written_offline", d->services.v[k].written);
			ib_json_end_object(&j);
		}
		ib_json_end_array(&j);
		ib_json_key(&j, d->boot ? "hardware_ids_bound" : "hardware_ids");
		ib_json_begin_array(&j);
		for (size_t k = 0; k < d->hwids.n; k++)
			ib_json_string(&j, d->hwids.v[k]);
		ib_json_end_array(&j);
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_key(&j, "files");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < r->files.n; i++) {
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "path", r->files.v[i].path);
		ib_json_kv_str(&j, "source", r->files.v[i].source);
		ib_json_kv_uint(&j, "size", r->files.v[i].size);
		ib_json_kv_str(&j, "sha256", r->files.v[i].sha256);
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_key(&j, "registry");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < r->changes.list.n; i++) {
		const struct ib_reg_change *c = &r->changes.list.v[i];
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "change", change_kind(c->kind));
		ib_json_kv_str(&j, "hive", c->hive);
		ib_json_kv_str(&j, "key", c->key);
		ib_json_kv_str(&j, "name", c->name);
		ib_json_kv_str(&j, "old", c->old_value);
		ib_json_kv_str(&j, "new", c->new_value);
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_key(&j, "first_boot");
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "mechanism", r->mechanism ? r->mechanism : "none");
	ib_json_key(&j, "steps");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < r->first_boot.n; i++)
		ib_json_string(&j, r->first_boot.v[i]);
	ib_json_end_array(&j);
	ib_json_end_object(&j);
	ib_json_key(&j, "target");
	if (r->target)
		ib_json_string(&j, r->target);
	else
		ib_json_null(&j);
	ib_json_key(&j, "warnings");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < r->warnings.n; i++)
		ib_json_string(&j, r->warnings.v[i]);
	ib_json_end_array(&j);
	ib_json_kv_bool(&j, "verified", r->verified);
	ib_json_end_object(&j);
	char *out = ib_buf_steal(&j.buf);
	ib_json_free(&j);
	return out;
}
