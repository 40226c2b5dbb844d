/*
 * The model's view of who sees whom: the membership graph loaded from the
 * database into core/mgmt/peers.h's arrays, the devices a change touches
 * (into a struct model_change), and a device's bundle payload
 * (core/mgmt/bundle.h) built from its rows, for the server to sign.
 *
 * A bundle's graph is loaded whole (once per version by the server's
 * device cache); an affected set loads only the memberships of the
 * networks the change is about.
 */
#ifndef SUBNETRA_MGMT_MODEL_GRAPH_H
#define SUBNETRA_MGMT_MODEL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/mgmt/bundle.h"
#include "core/mgmt/peers.h"
#include "core/mgmt/proto.h"
#include "mgmt/model.h"

/* A device's address, names and its entry as a bundle lists it (in the graph's texts). */
struct model_peer_row {
	int64_t id;
	uint8_t address[16];
	struct mgmt_names names;
	size_t text_off, text_len;
};

struct model_graph {
	struct mgmt_membership *by_network, *by_device;
	uint64_t *blocked;
	struct mgmt_peer_graph g;
	struct model_peer_row *rows; /* model_graph_load_rows: every device, by id */
	size_t n_rows;
	char *texts;                  /* the rows' entries, one after another */
	struct mgmt_bundle *scratch;  /* model_bundle_build's (a big struct: one per graph) */
};

int model_graph_load(struct store *s, struct model_graph *mg);
/*
 * Also every device's address and names (one query), each encoded once
 * into its peer entry (mgmt_bundle_peer_text), which bundles built with
 * this graph (model_bundle_build) then copy instead of one query and one
 * encoding per peer per bundle: a network of n devices lists n - 1 peers
 * in each of its n bundles.
 */
int model_graph_load_rows(struct store *s, struct model_graph *mg);
void model_graph_free(struct model_graph *mg);

/* ch->affected (replaced) := the devices a membership change of (network, device) touches. */
int model_affected_membership(struct store *s, int64_t network, int64_t device,
			      struct model_change *ch);
/* ch->affected |= the devices a change of device touches (merged into what is there). */
int model_affected_device(struct store *s, int64_t device, struct model_change *ch);

/* What the payload carries besides the database's rows: the server's. */
struct model_bundle_params {
	uint8_t instance[MGMT_INSTANCE_LEN];
	uint64_t license_serial;
	uint32_t wait_s, status_s;
};

/*
 * The bundle payload of device_id at the instance's current version,
 * issued at issued (unix seconds), into out[0..cap) with a NUL: 0 and
 * *len, -ENOENT for no such device, -ENOSPC when cap is too small,
 * -EAGAIN when changes kept coming while it was read (try again).  A
 * blocked device's bundle has no peers.
 */
int model_bundle_payload(struct store *s, const struct model_bundle_params *p,
			 int64_t device_id, int64_t issued, char *out, size_t cap, size_t *len);

/*
 * The same from a graph and its rows (model_graph_load_rows) that the
 * caller loaded at the version (epoch, serial) and checked it was still
 * that version after (a server rebuilding many bundles after one change
 * loads them once): nothing more is read.  -EAGAIN when device_id has no
 * row there (make it with model_bundle_payload).
 */
int model_bundle_build(const struct model_bundle_params *p, const struct model_graph *mg,
		       int64_t device_id, int64_t epoch, int64_t serial, int64_t issued,
		       char *out, size_t cap, size_t *len);

#endif
