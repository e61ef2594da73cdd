// SPDX-License-Identifier: GPL-2.0-or-later
#include "unattend.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "core/util.h"

#define UNATTEND_NS "urn:schemas-microsoft-com:unattend"

/* The seven configuration passes (Windows Setup's order). */
static const char *const passes_known[] = {"windowsPE",  "offlineServicing", "generalize", "specialize",
					   "auditSystem", "auditUser",        "oobeSystem"};

static bool known_pass(const char *p)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(passes_known); i++)
		if (!strcmp(p, passes_known[i]))
			return true;
	return false;
}

int ib_unattend_check(const char *path, const char *shown, char **passes, struct ib_error *err)
{
	*passes = NULL;
	xmlResetLastError();
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char msg[256] = "not XML";
		if (e && e->message) {
			snprintf(msg, sizeof msg, "%s", e->message);
			msg[strcspn(msg, "\n")] = 0;
		}
		return ib_fail(err, IB_EXIT_INPUT, "%s:%d: unattend: not well-formed XML: %s", shown, e ? e->line : 0, msg);
	}
	int r = 0;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "unattend") || !root->ns ||
	    strcmp((const char *)root->ns->href, UNATTEND_NS)) {
		r = ib_fail(err, IB_EXIT_INPUT, "%s:%d: unattend: the root element must be <unattend xmlns=\"%s\">, found <%s>%s%s",
			    shown, root ? (int)xmlGetLineNo(root) : 1, UNATTEND_NS, root ? (const char *)root->name : "",
			    root && root->ns ? " in namespace " : root ? " without a namespace" : "",
			    root && root->ns ? (const char *)root->ns->href : "");
		xmlFreeDoc(doc);
		return r;
	}
	struct ib_buf b = {0};
	for (xmlNodePtr n = root->children; n && r == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "settings"))
			continue;
		xmlChar *pass = xmlGetProp(n, (const xmlChar *)"pass");
		if (!pass || !known_pass((const char *)pass))
			r = ib_fail(err, IB_EXIT_INPUT,
				    "%s:%ld: unattend: <settings> with %s%s%s; the passes are windowsPE, offlineServicing, "
				    "generalize, specialize, auditSystem, auditUser, oobeSystem",
				    shown, xmlGetLineNo(n), pass ? "unknown pass '" : "no pass=", pass ? (const char *)pass : "",
				    pass ? "'" : "");
		else
			ib_buf_printf(&b, "%s%s", b.len ? ", " : "", (const char *)pass);
		xmlFree(pass);
	}
	xmlFreeDoc(doc);
	if (r < 0) {
		ib_buf_free(&b);
		return -1;
	}
	*passes = b.len ? ib_buf_steal(&b) : ib_xstrdup("none");
	ib_buf_free(&b);
	return 0;
}
