// SPDX-License-Identifier: GPL-2.0-or-later
/* Checks of target:, vm: and properties: against the target's profile
 * (lib/output/targets.c): devices the target does not have, combinations
 * that cannot be said in its OVF, properties without a usable key or
 * default. Each error points at the value. */
#include <string.h>

#include "output/targets.h"
#include "recipe_int.h"

static bool present(const struct ib_loc *l)
{
	return l->file != NULL;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static bool has_output(const struct ib_recipe *r, enum ib_out_format a, enum ib_out_format b)
{
	for (size_t i = 0; i < r->noutputs; i++)
		if (r->outputs[i].format == a || r->outputs[i].format == b)
			return true;
	return false;
}

static void check_device(struct rctx *c, const struct ib_loc *loc, const char *value, const char *what,
			 const char *const *have, const struct ib_target_profile *p, bool known)
{
	_cleanup_free_ char *list = ib_target_list(have);
	_cleanup_free_ char *hint = ib_xasprintf("the %s target has: %s", p->name, list);
	if (!known)
		rctx_error_at(c, loc, hint, "unknown %s '%s'", what, value);
	else if (!in_list(value, have))
		rctx_error_at(c, loc, hint, "the %s target has no %s %s", p->name, value, what);
}

static void check_vm(struct rctx *c, const struct ib_recipe *r, const struct ib_target_profile *p)
{
	const struct ib_vm_spec *v = &r->vm;
	if (v->controller && !rctx_is_bad(c, &v->controller))
		check_device(c, &v->controller_loc, v->controller, "disk controller", p->controllers, p,
			     ib_ovf_controller(v->controller) != NULL);
	if (v->nic && !rctx_is_bad(c, &v->nic))
		check_device(c, &v->nic_loc, v->nic, "network adapter", p->nics, p, ib_ovf_nic(v->nic) != NULL);
	if (v->guest_os && !rctx_is_bad(c, &v->guest_os) && !ib_guest_os_by_name(v->guest_os)) {
		_cleanup_free_ char *list = ib_target_list(ib_guest_os_names());
		rctx_error_at(c, &v->guest_os_loc, list, "unknown guest_os '%s'", v->guest_os);
	}
	if (present(&v->cpus_loc) && !rctx_is_bad(c, &v->cpus) && (v->cpus < 1 || v->cpus > 768))
		rctx_error_at(c, &v->cpus_loc, NULL, "cpus must be 1 to 768, found %llu", (unsigned long long)v->cpus);
	if (present(&v->memory_loc) && !rctx_is_bad(c, &v->memory) &&
	    (v->memory < (UINT64_C(4) << 20) || v->memory % (UINT64_C(1) << 20)))
		rctx_error_at(c, &v->memory_loc, "e.g. memory: 4GiB", "memory must be whole MiB, at least 4 MiB");
	if (present(&v->hardware_version_loc) && !rctx_is_bad(c, &v->hardware_version)) {
		if (!p->hardware_version)
			rctx_error_at(c, &v->hardware_version_loc, "it is ESXi's (vmx-NN): use target: esxi",
				      "hardware_version does not exist on the %s target", p->name);
		else if (v->hardware_version < 7 || v->hardware_version > 21)
			rctx_error_at(c, &v->hardware_version_loc, NULL,
				      "hardware_version must be 7 to 21 (vmx-07 to vmx-21), found %llu",
				      (unsigned long long)v->hardware_version);
	}
	if (present(&v->secure_boot_loc) && v->secure_boot && !rctx_is_bad(c, &v->secure_boot)) {
		if (v->firmware == IB_FW_BIOS && !rctx_is_bad(c, &v->firmware))
			rctx_error_at(c, &v->secure_boot_loc, "secure boot is UEFI's: use firmware: efi",
				      "secure_boot: true with firmware: bios");
		else if (!p->vmware)
			rctx_error_at(c, &v->secure_boot_loc, "turn it on in the hypervisor after the import",
				      "the %s target's OVF cannot ask for secure boot", p->name);
	}
}

static bool valid_key(const char *k)
{
	if (!*k)
		return false;
	for (const char *s = k; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("_.-", *s)))
			return false;
	return true;
}

static bool valid_value(const char *type, const char *v)
{
	if (!strcmp(type, "boolean"))
		return !strcmp(v, "true") || !strcmp(v, "false");
	if (!strcmp(type, "int") || !strcmp(type, "uint")) {
		const char *s = v + (*v == '-' && !strcmp(type, "int"));
		if (!*s)
			return false;
		for (; *s; s++)
			if (*s < '0' || *s > '9')
				return false;
	}
	return true;
}

static void check_properties(struct rctx *c, const struct ib_recipe *r)
{
	static const char *const types[] = { "string", "password", "boolean", "int", "uint", NULL };
	for (size_t i = 0; i < r->nproperties; i++) {
		const struct ib_property_spec *p = &r->properties[i];
		if (!present(&p->loc))
			continue;
		if (p->key && !rctx_is_bad(c, &p->key)) {
			if (!valid_key(p->key))
				rctx_error_at(c, &p->key_loc, "letters, digits, '_', '.' and '-'",
					      "property key '%s' cannot be a guestinfo/OVF key", p->key);
			for (size_t j = 0; j < i; j++)
				if (r->properties[j].key && !strcmp(r->properties[j].key, p->key)) {
					rctx_error_at(c, &p->key_loc, NULL, "duplicate property key '%s'", p->key);
					rctx_note_at(c, &r->properties[j].key_loc, "first given here");
					break;
				}
		}
		bool type_ok = p->type && !rctx_is_bad(c, &p->type) && in_list(p->type, types);
		if (p->type && !rctx_is_bad(c, &p->type) && !type_ok)
			rctx_error_at(c, &p->type_loc, "string, password, boolean, int or uint",
				      "unknown property type '%s'", p->type);
		if (type_ok && p->value && !rctx_is_bad(c, &p->value) && !valid_value(p->type, p->value))
			rctx_error_at(c, &p->value_loc, NULL, "default '%s' is not a %s", p->value, p->type);
	}
}

void recipe_check_vm(struct rctx *c)
{
	const struct ib_recipe *r = c->r;
	const struct ib_target_profile *p = ib_target_profile(rctx_is_bad(c, &r->target) ? 0 : r->target);
	bool ovf = has_output(r, IB_OUT_OVA, IB_OUT_OVF);
	if (present(&r->vm.loc)) {
		if (!ovf)
			rctx_error_at(c, &r->vm.loc, "add an output with format: ova or ovf, or drop vm:",
				      "vm: describes the virtual machine of an OVF package, and this recipe writes none");
		else
			check_vm(c, r, p);
	}
	if (present(&r->properties_loc) && !rctx_is_bad(c, &r->properties)) {
		if (!ovf)
			rctx_error_at(c, &r->properties_loc, "add an output with format: ova or ovf, or drop properties:",
				      "properties: go into an OVF descriptor, and this recipe writes none");
		else
			check_properties(c, r);
	}
}
