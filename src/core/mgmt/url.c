/* The management URL (url.h). */
#include "core/mgmt/url.h"

#include <stdio.h>
#include <string.h>

static const char *parse(const char *s, size_t len, struct mgmt_url *u)
{
	static const char scheme[] = "http://";
	const char *end = s + len, *h, *he, *p;
	size_t hl, pl;

	memset(u, 0, sizeof(*u));
	if (memchr(s, '\0', len))
		return "has a NUL byte";
	if (len < sizeof(scheme) - 1 || memcmp(s, scheme, sizeof(scheme) - 1) != 0)
		return "does not start with http://";
	h = s + sizeof(scheme) - 1;
	if (h < end && *h == '[') {
		he = memchr(h, ']', (size_t)(end - h));
		if (!he)
			return "has an unclosed [";
		u->ipv6 = true;
		h++;
		p = he + 1;
	} else {
		for (he = h; he < end && *he != ':' && *he != '/'; he++)
			;
		p = he;
	}
	hl = (size_t)(he - h);
	if (hl == 0 || hl > MESH_HOST_NAME_MAX || memchr(h, '@', hl))
		return "has no usable host";
	memcpy(u->host, h, hl);
	if (mesh_host_problem(u->host, hl) ||
	    (u->ipv6 != (memchr(u->host, ':', hl) != NULL)))
		return "has no usable host";
	u->port = 80;
	if (p < end && *p == ':') {
		unsigned long port = 0;
		const char *d = ++p;

		while (p < end && *p >= '0' && *p <= '9' && p - d < 6)
			port = port * 10 + (unsigned long)(*p++ - '0');
		if (p == d || (*d == '0') || port == 0 || port > 65535)
			return "has a bad port";
		u->port = (uint16_t)port;
	}
	if (p < end && *p != '/')
		return "has something after the host that is not a port or a path";
	pl = (size_t)(end - p);
	for (size_t i = 0; i < pl; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '#' || p[i] == '\\')
			return "has a path with a space, '#', '\\' or a non-ASCII byte";
	if (pl == 0) {
		strcpy(u->path, MGMT_LICENSE_PATH);
	} else if (p[pl - 1] == '/') {
		if (pl + sizeof(MGMT_LICENSE_PATH) - 2 > MGMT_REQ_TARGET_MAX)
			return "has a path that is too long";
		memcpy(u->path, p, pl);
		strcpy(u->path + pl, &MGMT_LICENSE_PATH[1]);
	} else {
		if (pl > MGMT_REQ_TARGET_MAX)
			return "has a path that is too long";
		memcpy(u->path, p, pl);
	}
	return NULL;
}

const char *mgmt_url_parse(const char *s, size_t len, struct mgmt_url *u)
{
	const char *why = parse(s, len, u);

	if (why)
		memset(u, 0, sizeof(*u));
	return why;
}

void mgmt_url_host_header(const struct mgmt_url *u, char *out, size_t cap)
{
	const char *l = u->ipv6 ? "[" : "", *r = u->ipv6 ? "]" : "";

	if (u->port == 80)
		snprintf(out, cap, "%s%s%s", l, u->host, r);
	else
		snprintf(out, cap, "%s%s%s:%u", l, u->host, r, (unsigned)u->port);
}
