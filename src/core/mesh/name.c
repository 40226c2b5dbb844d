/* Mesh host names (see name.h). */
#include "core/mesh/name.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

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

const char *mesh_host_problem(const char *s, size_t len)
{
	char buf[MESH_HOST_NAME_MAX + 1];
	unsigned char bin[16];
	size_t start = 0;
	bool numeric = true;

	if (len == 0 || len > MESH_HOST_NAME_MAX)
		return "expected 1-253 characters";
	if (memchr(s, '\0', len) != NULL)
		return "a NUL byte";
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (memchr(s, ':', len) != NULL)
		return inet_pton(AF_INET6, buf, bin) == 1 ? NULL
			: "not an IPv6 address (write it without brackets or a port)";
	for (size_t i = 0; i < len; i++)
		numeric = numeric && (isdigit((unsigned char)s[i]) || s[i] == '.');
	if (numeric)
		return inet_pton(AF_INET, buf, bin) == 1 ? NULL : "not an IPv4 address";
	for (size_t i = 0; i <= len; i++) {
		const char *why;

		if (i < len && s[i] != '.')
			continue;
		why = mesh_label_problem(s + start, i - start, false);
		if (why != NULL)
			return why;
		start = i + 1;
	}
	return NULL;
}
