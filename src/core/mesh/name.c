/* Mesh host names (see name.h). */
#include "core/mesh/name.h"

const char *mesh_label_problem(const char *s, size_t len, bool lower)
{
	if (len == 0)
		return "an empty label";
	if (len > MESH_NAME_MAX)
		return "a label longer than 63 characters";
	if (s[0] == '-' || s[len - 1] == '-')
		return "a label that starts or ends with '-'";
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool upper = ch >= 'A' && ch <= 'Z';

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    (!lower && upper))
			continue;
		return lower && upper ? "an uppercase letter (lowercase only)"
				      : "a character other than a letter, digit or '-'";
	}
	return NULL;
}

bool mesh_name_valid(const char *s, size_t len)
{
	return mesh_label_problem(s, len, true) == NULL;
}
