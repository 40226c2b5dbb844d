/*
 * What a caller does with a tree from json_parse (json.h): walk it, read
 * its integers, free it, and name places in the text (line and column, JSON
 * paths).  The parser itself is json.c.
 */
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void json_line_col(const char *text, size_t offset, size_t *line, size_t *column)
{
	size_t line_start = 0;

	*line = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			line_start = i + 1;
		}
	}
	*column = offset - line_start + 1;
}

size_t json_path_add_key(char *path, size_t cap, size_t o, const char *name, size_t len)
{
	if (o > 0 && o + 1 < cap)
		path[o++] = '.';
	for (size_t i = 0; i < len && i < JSON_PATH_KEY_MAX && o + 1 < cap; i++) {
		unsigned char ch = (unsigned char)name[i];

		path[o++] = (ch >= 0x20 && ch <= 0x7e) ? (char)ch : '?';
	}
	path[o] = '\0';
	return o;
}

size_t json_path_add_index(char *path, size_t cap, size_t o, size_t index)
{
	int n;

	if (o + 1 >= cap)
		return o;
	n = snprintf(path + o, cap - o, "[%zu]", index);
	return n < 0 || (size_t)n >= cap - o ? cap - 1 : o + (size_t)n;
}

void json_free(struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		if (v->u.string.bytes != NULL) {
			sodium_memzero(v->u.string.bytes, v->u.string.len);
			free(v->u.string.bytes);
		}
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.array.n; i++)
			json_free(&v->u.array.items[i]);
		free(v->u.array.items);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.object.n; i++) {
			struct json_member *m = &v->u.object.members[i];

			if (m->name != NULL) {
				sodium_memzero(m->name, m->name_len);
				free(m->name);
			}
			json_free(&m->value);
		}
		free(v->u.object.members);
		break;
	default:
		break;
	}
	*v = (struct json_value){ .type = JSON_NULL };
}

const struct json_value *json_member_get(const struct json_value *obj, const char *name)
{
	size_t len = strlen(name);

	if (obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->u.object.n; i++) {
		const struct json_member *m = &obj->u.object.members[i];

		if (m->name_len == len && memcmp(m->name, name, len) == 0)
			return &m->value;
	}
	return NULL;
}

bool json_get_u64(const struct json_value *v, uint64_t *out)
{
	if (v->type != JSON_INT || v->u.integer.negative || v->u.integer.too_big)
		return false;
	*out = v->u.integer.magnitude;
	return true;
}

bool json_get_i64(const struct json_value *v, int64_t *out)
{
	const struct json_int *n = &v->u.integer;

	if (v->type != JSON_INT || n->too_big)
		return false;
	if (!n->negative) {
		if (n->magnitude > INT64_MAX)
			return false;
		*out = (int64_t)n->magnitude;
		return true;
	}
	if (n->magnitude > (uint64_t)INT64_MAX + 1)
		return false;
	*out =
	    n->magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n->magnitude;
	return true;
}
