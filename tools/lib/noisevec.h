/*
 * The standard Noise test-vector files (the format of cacophony's
 * vectors/cacophony.txt and snow's tests/vectors/snow.txt) run against the
 * Noise core (core/mesh/noise.h): subnetra-conformance --noise.
 *
 * A file is a JSON object whose "vectors" array holds one object per
 * vector.  A vector names its protocol in "protocol_name" (or, in the older
 * noise-c layout, "pattern", "dh", "cipher" and "hash", with "name" as its
 * label).  Vectors of Noise_IK, Noise_IKpsk1 and Noise_IKpsk2 with
 * 25519_ChaChaPoly_SHA256 run; every other one (another pattern, DH,
 * cipher or hash, a fallback, hybrid or expected-failure vector) is
 * reported as skipped, without its other fields being read.
 *
 * A vector that runs needs init_static, init_ephemeral, init_remote_static,
 * resp_static and resp_ephemeral (32 bytes each), the two prologues,
 * init_psks and resp_psks with exactly one 32-byte psk for the psk
 * patterns (none, or absent, for IK), and "messages": at least the two
 * handshake messages, then transport messages alternating direction,
 * initiator first, each {payload, ciphertext}.  resp_remote_static and
 * handshake_hash are checked when present.  Other members are ignored.
 *
 * Each side writes its messages from the payload, and the bytes must equal
 * the file's ciphertext; the other side reads the file's ciphertext and
 * must get the payload back.  So both directions are checked on the
 * published bytes, not only on our own.
 */
#ifndef SUBNETRA_NOISEVEC_H
#define SUBNETRA_NOISEVEC_H

#include <stdbool.h>

#include "tools/lib/vecfile.h"

/*
 * Load the whole file (a malformed file: one error naming the file and the
 * field on stderr, nothing run, false), then run or skip each vector into
 * t.
 */
bool noisevec_run_file(const char *file, struct vecfile_tally *t);

#endif
