/*
 * The Noise core's ReadMessage (core/mesh/noise.c) on arbitrary bytes, with
 * fixed keys on both sides.
 *
 * Input: byte 0 selects the reader and the pattern, the rest is the message.
 *   bit 0 = 0: the responder reads it as message 1;
 *   bit 0 = 1: the initiator, having written its message 1 (fixed
 *              ephemeral key, fixed payload), reads it as message 2;
 *   bits 1-2:  0 IK, 1 IKpsk1, 2 and 3 IKpsk2.
 *
 * Invariants:
 *  - A read that succeeds read a message the genuine other side would
 *    write: the harness makes that side (same static, ephemeral and psk)
 *    write the payload the read returned, and the bytes must equal the
 *    input.  So no mutation of a genuine message, and nothing made without
 *    the other side's keys, is ever accepted.  After it, the handshake goes
 *    on: the responder writes message 2, the initiator is done and splits.
 *  - A read that fails leaves the handshake FAILED with every other byte
 *    of it zero, every later call refused, and the payload buffer holding
 *    no plaintext (only the harness's fill byte or zeros).
 *
 * SUBNETRA_FUZZ_NOISE_SEEDS=DIR build-fuzz/fuzz/fuzz_noise -runs=0 writes
 * the seed corpus: the genuine messages of each reader and pattern.
 * SUBNETRA_FUZZ_NOISE_TRACE=1 build-fuzz/fuzz/fuzz_noise FILE... prints
 * each input's verdict.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "core/mesh/noise.h"

enum { FILL = 0xaa };

static uint8_t si[NOISE_DHLEN], sr[NOISE_DHLEN], sr_pub[NOISE_DHLEN], si_pub[NOISE_DHLEN];
static uint8_t ei[NOISE_DHLEN], er[NOISE_DHLEN], psk[NOISE_PSKLEN];
static const uint8_t prologue[] = "subnetra-mesh v1";
static const uint8_t msg1_payload[] = "fuzz_noise message 1";

static bool trace;
static uint8_t payload[NOISE_MAX_MSG], out[NOISE_MAX_MSG], msg1[NOISE_MAX_MSG];

/* A fixed key from a label (deterministic runs and seeds). */
static void fixed_key(uint8_t k[32], const char *label)
{
	crypto_hash_sha256(k, (const uint8_t *)label, strlen(label));
}

static void start_initiator(struct noise_handshake *hs, enum noise_pattern p)
{
	int err = noise_handshake_init(hs, p, true, prologue, sizeof prologue, si, sr_pub,
				       p == NOISE_IK ? NULL : psk);

	FUZZ_CHECK(err == 0 && noise_handshake_set_ephemeral(hs, ei) == 0,
		   "initiator set-up");
}

static void start_responder(struct noise_handshake *hs, enum noise_pattern p)
{
	int err = noise_handshake_init(hs, p, false, prologue, sizeof prologue, sr, NULL,
				       p == NOISE_IKPSK1 ? psk : NULL);

	FUZZ_CHECK(err == 0 && noise_handshake_set_ephemeral(hs, er) == 0,
		   "responder set-up");
}

/* The genuine initiator's message 1 with pl: into buf, its length returned. */
static size_t genuine_msg1(enum noise_pattern p, const uint8_t *pl, size_t len,
			   uint8_t *buf)
{
	struct noise_handshake hs;
	size_t n = 0;

	start_initiator(&hs, p);
	FUZZ_CHECK(noise_handshake_write(&hs, pl, len, buf, NOISE_MAX_MSG, &n) == 0,
		   "write 1");
	noise_handshake_wipe(&hs);
	return n;
}

/* The genuine responder's message 2 with pl, after reading our message 1. */
static size_t genuine_msg2(enum noise_pattern p, const uint8_t *pl, size_t len,
			   uint8_t *buf)
{
	struct noise_handshake hs;
	size_t n1 = genuine_msg1(p, msg1_payload, sizeof msg1_payload, msg1), n = 0;
	uint8_t tmp[sizeof msg1_payload];

	start_responder(&hs, p);
	FUZZ_CHECK(noise_handshake_read(&hs, msg1, n1, tmp, sizeof tmp, &n) == 0,
		   "read 1");
	if (p == NOISE_IKPSK2)
		FUZZ_CHECK(noise_handshake_set_psk(&hs, psk) == 0, "psk");
	FUZZ_CHECK(noise_handshake_write(&hs, pl, len, buf, NOISE_MAX_MSG, &n) == 0,
		   "write 2");
	noise_handshake_wipe(&hs);
	return n;
}

static void check_failed(struct noise_handshake *hs, size_t body)
{
	struct noise_handshake zero;
	size_t n;

	memset(&zero, 0, sizeof zero);
	zero.state = NOISE_HS_FAILED;
	FUZZ_CHECK(memcmp(hs, &zero, sizeof zero) == 0, "a failed handshake keeps state");
	FUZZ_CHECK(noise_handshake_write(hs, NULL, 0, out, sizeof out, &n) == -EINVAL,
		   "a failed handshake writes");
	for (size_t i = 0; i < body; i++)
		FUZZ_CHECK(payload[i] == FILL || payload[i] == 0,
			   "payload byte %zu left after a failed read", i);
}

static void write_seeds(const char *dir)
{
	static const size_t lens[] = {0, 1, 48, 200};
	char path[4096];

	for (unsigned mode = 0; mode < 6; mode++) {
		enum noise_pattern p = (enum noise_pattern)(mode >> 1);

		for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
			uint8_t pl[200];
			size_t n;
			FILE *f;

			memset(pl, 'a' + (int)i, sizeof pl);
			out[0] = (uint8_t)((mode & 1) | (unsigned)p << 1);
			n = mode & 1 ? genuine_msg2(p, pl, lens[i], out + 1)
				     : genuine_msg1(p, pl, lens[i], out + 1);
			snprintf(path, sizeof path, "%s/%s-%s-%zu", dir,
				 mode & 1 ? "msg2" : "msg1", noise_protocol_name(p),
				 lens[i]);
			f = fopen(path, "wb");
			if (f == NULL || fwrite(out, 1, n + 1, f) != n + 1 ||
			    fclose(f) != 0)
				__builtin_trap();
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("SUBNETRA_FUZZ_NOISE_SEEDS");

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		__builtin_trap();
	fixed_key(si, "fuzz_noise initiator static");
	fixed_key(sr, "fuzz_noise responder static");
	fixed_key(ei, "fuzz_noise initiator ephemeral");
	fixed_key(er, "fuzz_noise responder ephemeral");
	fixed_key(psk, "fuzz_noise psk");
	if (crypto_scalarmult_base(si_pub, si) != 0 ||
	    crypto_scalarmult_base(sr_pub, sr) != 0)
		__builtin_trap();
	trace = getenv("SUBNETRA_FUZZ_NOISE_TRACE") != NULL;
	if (seeds)
		write_seeds(seeds);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_handshake hs;
	struct noise_cipher a, b;
	enum noise_pattern p;
	bool responder;
	size_t n = 0, len, body, again, overhead;
	uint8_t rs[NOISE_DHLEN];
	int err;

	if (size < 1 || size > NOISE_MAX_MSG + 1)
		return 0;
	responder = (data[0] & 1) == 0;
	p = (data[0] >> 1 & 3) == 3 ? NOISE_IKPSK2
				    : (enum noise_pattern)(data[0] >> 1 & 3);
	data++;
	len = size - 1;
	overhead = responder ? NOISE_IK_MSG1_OVERHEAD : NOISE_IK_MSG2_OVERHEAD;
	body = len > overhead ? len - overhead : 0;

	if (responder) {
		start_responder(&hs, p);
	} else {
		start_initiator(&hs, p);
		FUZZ_CHECK(noise_handshake_write(&hs, msg1_payload, sizeof msg1_payload,
						 out, sizeof out, &n) == 0,
			   "write 1");
	}
	memset(payload, FILL, len);
	err = noise_handshake_read(&hs, data, len, payload, sizeof payload, &n);
	if (trace)
		fprintf(stderr, "%s, %s, %zu bytes: %s\n",
			responder ? "message 1" : "message 2", noise_protocol_name(p),
			len, err ? strerror(-err) : "accepted");
	if (err) {
		FUZZ_CHECK(err == -EMSGSIZE || err == -EBADMSG || err == -EPROTO,
			   "unexpected error %d", err);
		check_failed(&hs, body);
		return 0;
	}

	/* Accepted: it must be exactly what the genuine other side writes. */
	if (responder) {
		FUZZ_CHECK(noise_handshake_remote_static(&hs, rs) == 0 &&
			       memcmp(rs, si_pub, sizeof rs) == 0,
			   "accepted a message 1 from another static key");
		again = genuine_msg1(p, payload, n, out);
	} else {
		again = genuine_msg2(p, payload, n, out);
	}
	FUZZ_CHECK(again == len && memcmp(out, data, len) == 0,
		   "accepted a message the genuine %s does not write",
		   responder ? "initiator" : "responder");

	if (responder) {
		if (p == NOISE_IKPSK2)
			FUZZ_CHECK(noise_handshake_set_psk(&hs, psk) == 0, "psk");
		FUZZ_CHECK(noise_handshake_write(&hs, NULL, 0, out, sizeof out, &n) == 0,
			   "message 2 after an accepted message 1");
	}
	FUZZ_CHECK(noise_handshake_done(&hs) &&
		       noise_handshake_split(&hs, &a, &b, NULL) == 0,
		   "split");
	noise_cipher_wipe(&a);
	noise_cipher_wipe(&b);
	return 0;
}
