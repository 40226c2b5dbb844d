/*
 * Mesh host names: one DNS label (RFC 1123), lowercase, as the endpoint
 * record and beacons carry them, the config names the node and the hosts
 * block lists peers.  The one rule for all of them.
 */
#ifndef SUBNETRA_MESH_NAME_H
#define SUBNETRA_MESH_NAME_H

#include <stdbool.h>
#include <stddef.h>

enum {
	MESH_NAME_MAX = 63,
	MESH_HOST_NAME_MAX = 253, /* a DNS name (RFC 1123), or an IPv4/IPv6 literal */
};

/*
 * Why s[0..len) is not a label (a static phrase for messages: "an empty
 * label", "an uppercase letter (lowercase only)", ...), or NULL.  lower:
 * uppercase letters are refused too (a mesh name); without it they pass
 * (a label of a DNS host name, such as a base server's).
 */
const char *mesh_label_problem(const char *s, size_t len, bool lower);
/* A mesh name: mesh_label_problem(s, len, true) == NULL. */
bool mesh_name_valid(const char *s, size_t len);

/*
 * Why s[0..len) is not a server's host (a static phrase), or NULL: an IPv6
 * literal (no brackets, no port), an IPv4 literal, or a DNS name of RFC
 * 1123 labels, 1..MESH_HOST_NAME_MAX bytes.  A base server's "host".
 */
const char *mesh_host_problem(const char *s, size_t len);

#endif
