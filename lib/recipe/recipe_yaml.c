// SPDX-License-Identifier: GPL-2.0-or-later
/* YAML text -> a tree of rnodes that remember where they were written.
 * Built from libyaml's event stream, not its document API, so every node keeps
 * its own mark (an alias would otherwise report the anchor's place). Aliases
 * are refused: a recipe has no use for them and they make billion-laughs
 * inputs possible. */
#include <string.h>
#include <yaml.h>

#include "recipe_int.h"

#define MAX_DEPTH 64

struct builder {
	struct rctx *c;
	yaml_parser_t p;
	const char *text;
	size_t len;
	int set;
};

struct rnode *rnode_new(enum rnode_kind kind, const char *value, unsigned line, unsigned col, int set)
{
	struct rnode *n = ib_xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = set < 0 ? line : 0;
	n->col = set < 0 ? col : 0;
	n->set = set;
	n->value = value ? ib_xstrdup(value) : NULL;
	return n;
}

void rnode_push(struct rnode *parent, struct rnode *child)
{
	parent->items = ib_xrealloc(parent->items, (parent->n + 1) * sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

void rnode_free(struct rnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		rnode_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

bool rnode_is_null(const struct rnode *n)
{
	if (!n || n->kind != RN_SCALAR || !n->plain)
		return false;
	const char *v = n->value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

const char *rnode_kind_name(const struct rnode *n)
{
	if (n->kind == RN_MAP)
		return "a mapping";
	if (n->kind == RN_SEQ)
		return "a sequence";
	return rnode_is_null(n) ? "null" : "a scalar";
}

/* libyaml reports reader errors (bad UTF-8, control characters) as a byte
 * offset; turn it into line:col. */
static void offset_to_mark(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void syntax_error(struct builder *b)
{
	yaml_parser_t *p = &b->p;
	struct rnode at = { .set = b->set };
	if (p->error == YAML_READER_ERROR) {
		offset_to_mark(b->text, b->len, p->problem_offset, &at.line, &at.col);
	} else {
		at.line = (unsigned)p->problem_mark.line + 1;
		at.col = (unsigned)p->problem_mark.column + 1;
	}
	if (b->set >= 0)
		at.line = at.col = 0;
	const char *problem = p->problem ? p->problem : "cannot parse";
	if (p->context && p->error != YAML_READER_ERROR)
		rctx_error(b->c, &at, NULL, "YAML syntax error: %s (%s at line %u, column %u)", problem,
			   p->context, (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
	else
		rctx_error(b->c, &at, NULL, "YAML syntax error: %s", problem);
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (yaml_parser_parse(&b->p, ev))
		return 0;
	syntax_error(b);
	return -1;
}

static struct rnode *node_at(struct builder *b, enum rnode_kind kind, const yaml_event_t *ev)
{
	return rnode_new(kind, NULL, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
			 b->set);
}

static void error_at_event(struct builder *b, const yaml_event_t *ev, const char *msg)
{
	struct rnode *at = node_at(b, RN_SCALAR, ev);
	rctx_error(b->c, at, NULL, "%s", msg);
	rnode_free(at);
}

static int build_node(struct builder *b, yaml_event_t *ev, unsigned depth, struct rnode **out);

/* Children until the matching end event; ev is the start event. */
static int build_children(struct builder *b, struct rnode *parent, yaml_event_type_t end, unsigned depth)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev) < 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		struct rnode *child = NULL;
		int r = build_node(b, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (r < 0)
			return -1;
		rnode_push(parent, child);
	}
}

static int build_node(struct builder *b, yaml_event_t *ev, unsigned depth, struct rnode **out)
{
	if (depth > MAX_DEPTH) {
		error_at_event(b, ev, "YAML nested too deeply for a recipe");
		return -1;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const yaml_char_t *v = ev->data.scalar.value;
		size_t n = ev->data.scalar.length;
		if (memchr(v, '\0', n)) {
			error_at_event(b, ev, "a NUL character in a value");
			return -1;
		}
		struct rnode *s = node_at(b, RN_SCALAR, ev);
		s->value = ib_xstrndup((const char *)v, n);
		s->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
		*out = s;
		return 0;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		struct rnode *s = node_at(b, seq ? RN_SEQ : RN_MAP, ev);
		if (build_children(b, s, seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT, depth) < 0) {
			rnode_free(s);
			return -1;
		}
		*out = s;
		return 0;
	}
	case YAML_ALIAS_EVENT:
		error_at_event(b, ev, "YAML aliases (*name) are not supported in recipes");
		return -1;
	default:
		error_at_event(b, ev, "unexpected YAML event");
		return -1;
	}
}

/* STREAM-START, then at most one document. */
static int build_stream(struct builder *b, struct rnode **root)
{
	yaml_event_t ev;
	if (next_event(b, &ev) < 0)
		return -1;
	yaml_event_delete(&ev); /* STREAM-START */
	if (next_event(b, &ev) < 0)
		return -1;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if (next_event(b, &ev) < 0)
		return -1;
	int r = build_node(b, &ev, 0, root);
	yaml_event_delete(&ev);
	if (r < 0)
		return -1;
	if (next_event(b, &ev) < 0) /* DOCUMENT-END */
		return -1;
	yaml_event_delete(&ev);
	if (next_event(b, &ev) < 0)
		return -1;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		error_at_event(b, &ev, "a recipe is a single YAML document (found a second one)");
		yaml_event_delete(&ev);
		return -1;
	}
	yaml_event_delete(&ev);
	return 0;
}

int rnode_parse(struct rctx *c, const char *text, size_t len, int set, struct rnode **root)
{
	struct builder b = { .c = c, .text = text, .len = len, .set = set };
	*root = NULL;
	if (!yaml_parser_initialize(&b.p)) {
		struct rnode at = { .set = set, .line = set < 0 ? 1 : 0, .col = set < 0 ? 1 : 0 };
		rctx_error(c, &at, NULL, "cannot initialise the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&b.p, (const unsigned char *)text, len);
	int r = build_stream(&b, root);
	yaml_parser_delete(&b.p);
	if (r < 0) {
		rnode_free(*root);
		*root = NULL;
	}
	return r;
}
