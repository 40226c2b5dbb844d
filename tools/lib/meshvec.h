/*
 * Our mesh vector files (tests/vectors/mesh/, written by
 * tests/vectors/gen-mesh.py) run against the mesh modules
 * (core/mesh/handshake, session, cookie): subnetra-conformance --mesh.
 *
 * A file is a JSON object with four arrays (tests/vectors/README.md and
 * docs/mesh-protocol.md describe the fields):
 *  - "handshakes": fixed seeds, ephemerals, indexes, psk and wall time;
 *    both sides run with them, and HS_INIT, HS_RESP and the two transport
 *    keys must equal the file's bytes;
 *  - "data": one DATA frame of a named handshake, in either direction, at
 *    a given counter: sealed, it must equal the file's datagram, and the
 *    other side must open the file's datagram to the plaintext;
 *  - "cookie_replies": the initiator opens the file's COOKIE_REPLY (its
 *    nonce fixed there) to the file's cookie, its next mac2 must equal the
 *    file's, and a responder holding the file's secret R accepts it;
 *  - "receiver_cases": a responder (seed, psk, whitelist, fixed ephemeral
 *    and index) fed datagrams in order, each step's verdict ("accept" or
 *    "drop"), reason name (hs_reason_name or session_verdict_name), reply
 *    and plaintext compared.
 * Every case is one result line; none is skipped.  A malformed field stops
 * the file with one error naming it (cases already run keep their lines).
 */
#ifndef SUBNETRA_MESHVEC_H
#define SUBNETRA_MESHVEC_H

#include <stdbool.h>

#include "tools/lib/vecfile.h"

/* false: the file could not be read or a field is malformed (stderr says). */
bool meshvec_run_file(const char *file, struct vecfile_tally *t);

#endif
