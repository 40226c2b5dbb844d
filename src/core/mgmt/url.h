/*
 * The management URL a device is pointed at (`subnetra setup-server URL`,
 * the config's "management.url"): where license.json is fetched over plain
 * HTTP.  Only what that needs, strictly:
 *
 *   http://HOST[:PORT][/PATH]
 *
 * HOST an IPv4 literal, an IPv6 literal in brackets, or a DNS name
 * (core/mesh/name.h, mesh_host_problem); PORT 1..65535 without leading
 * zeros (default 80); PATH printable ASCII without spaces, '#' or '\',
 * at most MGMT_REQ_TARGET_MAX bytes (default "/license.json"; a path
 * ending in '/' gets "license.json" appended).  No user info, no https
 * (the license is signed: the transport proves nothing, and the node
 * daemon carries no TLS).  Pure.
 */
#ifndef SUBNETRA_MGMT_URL_H
#define SUBNETRA_MGMT_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/name.h"
#include "core/mgmt/proto.h"

#define MGMT_LICENSE_PATH "/license.json"

struct mgmt_url {
	char host[MESH_HOST_NAME_MAX + 1]; /* without brackets */
	bool ipv6;                         /* host is an IPv6 literal */
	uint16_t port;
	char path[MGMT_REQ_TARGET_MAX + 1]; /* the license.json request target */
};

/* Why s[0..len) is not such a URL (a static phrase; *u zeroed), or NULL with *u filled. */
const char *mgmt_url_parse(const char *s, size_t len, struct mgmt_url *u);
/* "HOST[:PORT]" as the Host header says it (brackets for IPv6; no ":80"). */
void mgmt_url_host_header(const struct mgmt_url *u, char *out, size_t cap);

#endif
