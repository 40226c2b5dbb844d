/*
 * "mode": "mesh" and "mode": "base" configs (config_mesh.c): the fields,
 * their rules, and the TUN MTU of a mesh node, computed from the mesh
 * message overheads (core/mesh/msg.h) rather than written down.  Pure.
 * config_parse and config_validate call in here when the file has a
 * "mode"; a v1 config never reaches this code.
 */
#ifndef SUBNETRA_CONFIG_MESH_H
#define SUBNETRA_CONFIG_MESH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/bounds.h"
#include "core/config.h"
#include "core/config_read.h"
#include "core/json.h"
#include "core/mesh/msg.h"

/*
 * The bytes one inner packet costs on the worst path, a relay frame from
 * the node to its base (research/mesh-design.md §2.4): outer IPv6 and UDP
 * headers, the DATA header and AEAD tag, and the RELAY header around it.
 * A base relays RELAYED frames (12 bytes) and direct paths carry none, so
 * an MTU that fits node -> base fits every path.
 */
enum {
	MESH_OUTER_IPV6_LEN = 40,
	MESH_OUTER_UDP_LEN = 8,
	MESH_DATA_OVERHEAD = MSG_DATA_MIN_LEN, /* DATA header 16 + tag 16 */
	MESH_RELAY_OVERHEAD = MSG_RELAY_HEADER_LEN,
	MESH_TUN_OVERHEAD = MESH_OUTER_IPV6_LEN + MESH_OUTER_UDP_LEN + MESH_DATA_OVERHEAD +
			    MESH_RELAY_OVERHEAD,
	MESH_TUN_MTU_MIN = 1280, /* the TUN carries IPv6 (RFC 8200 §5) */
	MESH_TUN_MTU_DEFAULT = DEFAULT_PATH_MTU - MESH_TUN_OVERHEAD,
};

_Static_assert(MSG_DATA_MIN_LEN == MSG_DATA_HEADER_LEN + MSG_TAG_LEN, "DATA overhead");
_Static_assert((int)MSG_RELAYED_HEADER_LEN <= (int)MSG_RELAY_HEADER_LEN,
	       "node -> base is the worst path");
_Static_assert(MESH_TUN_MTU_DEFAULT == 1400, "1500 - 40 - 8 - 32 - 20, as the design says");
_Static_assert((int)MESH_TUN_MTU_DEFAULT <= (int)MSG_DATA_MAX_PLAINTEXT, "DATA carries the TUN MTU");

/* The largest TUN MTU a path_mtu-byte underlay carries; 0 if none. */
unsigned mesh_tun_mtu_max(unsigned path_mtu);

/*
 * The "mode" member's value: "mesh" or "base" (InvalidMode; a v1 config
 * has no "mode" at all).  0 or -1.
 */
int config_mesh_read_mode(const struct config_reader *r, const struct json_value *v,
			  enum config_mode *out);

/*
 * Every member of root (the top-level object, already known to be one)
 * through the mesh/base field table for cfg->mode, then the defaults.
 * cfg has the config_defaults values and its mode set.  0 or -1.
 */
int config_mesh_parse(const struct config_reader *r, struct config *cfg,
		      const struct json_value *root);

/* The cross-field rules of a mesh or base config.  err is reset.  0 or -1. */
int config_mesh_validate(const struct config *cfg, struct config_error *err);

/* mtu must fit path_mtu - MESH_TUN_OVERHEAD (MtuTooLargeForPath).  0 or -1. */
int config_mesh_validate_path_mtu(const struct config *cfg, unsigned path_mtu,
				  struct config_error *err);

#endif
