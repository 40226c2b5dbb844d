/*
 * subnetra-bench-wire: the per-packet crypto cost of the data plane, without
 * any I/O.  It times, on the same buffers and packet size:
 *   - the bare AEAD of the compiled backend (aead_seal / aead_open), the
 *     floor that no framing can beat;
 *   - encrypt + frame through the wire module (wire_seal), and the same plus
 *     header obfuscation (wire_obfs_apply), as the daemon's transmit path
 *     (src/daemon/datapath/tx.c) does per packet;
 *   - decrypt + verify (wire_header_check + wire_rx_open, with the replay
 *     window), and the obfuscated receive sequence of the daemon's receive
 *     path (src/daemon/datapath/rx.c: trial de-mask, de-mask with the
 *     trial's pad, header check, open);
 *   - with the OpenSSL backend, also bare libsodium on the same buffers, so
 *     one binary shows what the backend choice is worth.
 * Our overhead is reported against the bare AEAD of the same direction.
 *
 * Method: the --seconds of each operation are cut into SLICES slices, and
 * the slices of all operations interleave (op 1, op 2, ..., op 1, ...), so a
 * burst of other load on the machine hits every operation alike; each
 * operation reports its best slice (noise only ever adds time).  A slice
 * warms up for a fifth of its time, then runs in chunks of CHUNK calls until
 * its time of CLOCK_MONOTONIC has passed.
 * Opening destroys the ciphertext, so every open first copies one of
 * POOL pre-sealed datagrams (distinct seqs, so the replay window accepts
 * them; the window is reset when the pool wraps).  That copy is timed on
 * its own and subtracted; its cost is printed.  Every result byte feeds a
 * volatile sink and every open must authenticate (a failure aborts), so the
 * compiler cannot drop the work.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/aead.h"
#include "core/replay.h"
#include "core/version.h"
#include "core/wire.h"
#include "os/linux/clock.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	POOL = 256,     /* pre-sealed datagrams for the open benchmarks (~380 KB) */
	CHUNK = 256,    /* calls between clock reads */
	SLICES = 5,     /* interleaved slices per operation; the best one counts */
	KEY_ID = 2,
	DEFAULT_SIZE = 1400,
	MAX_OPS = 12,
};

static const char synopsis[] =
    "usage: subnetra-bench-wire [--seconds S] [--size N] [--json]\n"
    "       subnetra-bench-wire --version | --help\n";

#define usage_error(...) cliarg_usage_error("subnetra-bench-wire", synopsis, __VA_ARGS__)

static const char usage_rest[] =
    "Times, without I/O, the per-packet crypto of the data plane: encrypt+frame\n"
    "(wire_seal, and with header obfuscation) and decrypt+verify (header check +\n"
    "wire_rx_open, and the obfuscated receive sequence), next to the bare AEAD of\n"
    "the compiled backend on the same buffers (and, in an OpenSSL build, bare\n"
    "libsodium too).  Prints ns/packet, packets/s, GB/s and our overhead over\n"
    "the bare AEAD of the same direction.\n"
    "\n"
    "  --seconds S   measuring time per operation, in 5 interleaved slices of\n"
    "                which the best counts (0.05..60, default 1)\n"
    "  --size N      plaintext bytes per packet (1..1452, default 1400)\n"
    "  --json        one JSON object instead of the table\n"
    "  --version, -V / --help, -h\n"
    "\n"
    "exit status: 0 ok, 1 an open failed to authenticate (a bug), 2 usage error\n";

struct bench {
	size_t size;
	wire_key link_key;
	wire_key session_key;
	uint64_t epoch;
	uint64_t seq;
	struct wire_rx_session rx;
	/* One work slot, and the pool of sealed datagrams (cleartext / obfuscated). */
	uint8_t *work;
	uint8_t (*pool)[WIRE_MAX_DATAGRAM];
	uint8_t (*pool_obfs)[WIRE_MAX_DATAGRAM];
	size_t dgram_len;
	unsigned long failures;
};

typedef void (*op_fn)(struct bench *b, size_t i);

struct op {
	const char *dir;   /* "seal" / "open" / "copy" */
	const char *name;  /* JSON key */
	const char *label; /* table text */
	op_fn fn;
	bool copies;       /* includes the template copy, subtract it */
	double ns;         /* result, net of the copy */
};

static volatile uint64_t sink;

static void make_nonce(uint8_t nonce[AEAD_NONCE_LEN], uint64_t seq)
{
	/* The wire module's nonce: seq little-endian, then four zero bytes. */
	for (int i = 0; i < 8; i++)
		nonce[i] = (uint8_t)(seq >> (8 * i));
	memset(nonce + 8, 0, AEAD_NONCE_LEN - 8);
}

/* ---- seal side: in place on one slot, a fresh seq every call ---------------- */

static void op_seal_aead(struct bench *b, size_t i)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t *body = b->work + WIRE_HEADER_LEN;

	(void)i;
	make_nonce(nonce, ++b->seq);
	aead_seal(body, b->size, body + b->size, nonce, b->session_key);
	sink ^= body[b->size];
}

static void op_seal_wire(struct bench *b, size_t i)
{
	size_t len;

	(void)i;
	len = wire_seal(b->work, b->size, b->session_key, KEY_ID, b->epoch, ++b->seq);
	sink ^= b->work[len - 1];
}

static void op_seal_wire_obfs(struct bench *b, size_t i)
{
	size_t len;

	(void)i;
	len = wire_seal(b->work, b->size, b->session_key, KEY_ID, b->epoch, ++b->seq);
	wire_obfs_apply(b->work, len, b->link_key);
	sink ^= b->work[0];
}

#ifdef SUBNETRA_CRYPTO_OPENSSL
static void op_seal_sodium(struct bench *b, size_t i)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t *body = b->work + WIRE_HEADER_LEN;

	(void)i;
	make_nonce(nonce, ++b->seq);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(body, body + b->size, NULL, body,
							   b->size, NULL, 0, NULL, nonce,
							   b->session_key);
	sink ^= body[b->size];
}
#endif

/* ---- open side: copy a pool datagram in, then open it in place -------------- */

static const uint8_t *fetch(struct bench *b, size_t i, bool obfs)
{
	size_t k = i % POOL;

	/* Pool seqs are 1..POOL: start the window afresh when they repeat. */
	if (k == 0)
		replay_reset(&b->rx.window);
	memcpy(b->work, obfs ? b->pool_obfs[k] : b->pool[k], b->dgram_len);
	return b->work;
}

static void op_copy(struct bench *b, size_t i)
{
	fetch(b, i, false);
	sink ^= b->work[i % b->dgram_len];
}

static void op_open_aead(struct bench *b, size_t i)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t *body = b->work + WIRE_HEADER_LEN;

	fetch(b, i, false);
	make_nonce(nonce, i % POOL + 1);
	if (!aead_open(body, b->size, body + b->size, nonce, b->session_key))
		b->failures++;
	sink ^= body[0];
}

static void op_open_wire(struct bench *b, size_t i)
{
	struct wire_header h;
	size_t pt_len;

	fetch(b, i, false);
	if (!wire_header_check(b->work, b->dgram_len, &h) ||
	    wire_rx_open(&b->rx, b->link_key, &h, b->work, b->dgram_len, &pt_len) !=
		WIRE_RX_DATA)
		b->failures++;
	sink ^= b->work[WIRE_HEADER_LEN];
}

/* The receive path's obfuscated order (rx.c): trial, de-mask with the trial's pad, check, open. */
static void op_open_wire_obfs(struct bench *b, size_t i)
{
	uint8_t hdr[WIRE_HEADER_LEN];
	struct wire_header h;
	size_t pt_len;

	fetch(b, i, true);
	if (!wire_obfs_trial(b->work, b->dgram_len, b->link_key, KEY_ID, hdr)) {
		b->failures++;
		return;
	}
	wire_obfs_unmask(b->work, hdr);
	if (!wire_header_check(b->work, b->dgram_len, &h) ||
	    wire_rx_open(&b->rx, b->link_key, &h, b->work, b->dgram_len, &pt_len) !=
		WIRE_RX_DATA)
		b->failures++;
	sink ^= b->work[WIRE_HEADER_LEN];
}

#ifdef SUBNETRA_CRYPTO_OPENSSL
static void op_open_sodium(struct bench *b, size_t i)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	uint8_t *body = b->work + WIRE_HEADER_LEN;

	fetch(b, i, false);
	make_nonce(nonce, i % POOL + 1);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(body, NULL, body, b->size,
								body + b->size, NULL, 0, nonce,
								b->session_key) != 0)
		b->failures++;
	sink ^= body[0];
}
#endif

/* ns per call over one slice: warm up for secs/5, then whole chunks until secs have passed. */
static double measure(op_fn fn, struct bench *b, double secs)
{
	uint64_t warm = (uint64_t)(secs * 0.2e9), span = (uint64_t)(secs * 1e9);
	uint64_t t0, t, calls = 0;
	size_t i = 0;

	t0 = mono_ns();
	do {
		for (int k = 0; k < CHUNK; k++)
			fn(b, i++);
	} while (mono_ns() - t0 < warm);

	/* Restart at a pool boundary so every measured open sees a fresh seq. */
	i = 0;
	t0 = mono_ns();
	do {
		for (int k = 0; k < CHUNK; k++)
			fn(b, i++);
		calls += CHUNK;
		t = mono_ns();
	} while (t - t0 < span);
	return (double)(t - t0) / (double)calls;
}

static int parse_args(int argc, char **argv, double *secs, size_t *size, bool *json)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("%s\n%s", synopsis, usage_rest);
			return EXIT_OK;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("subnetra-bench-wire v%s\n", SUBNETRA_VERSION);
			return EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			*json = true;
		} else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
			errno = 0;
			*secs = strtod(argv[++i], &end);
			if (*end != '\0' || errno != 0 || !(*secs >= 0.05 && *secs <= 60)) {
				return usage_error("--seconds: expected 0.05..60, got '%s'",
						   argv[i]);
			}
		} else if (strcmp(a, "--size") == 0 && i + 1 < argc) {
			unsigned long v;

			errno = 0;
			v = strtoul(argv[++i], &end, 10);
			if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' || errno != 0 ||
			    v < 1 || v > WIRE_MAX_PLAINTEXT) {
				return usage_error("--size: expected 1..%d, got '%s'",
						   WIRE_MAX_PLAINTEXT, argv[i]);
			}
			*size = v;
		} else {
			return usage_error("unknown or incomplete argument '%s'", a);
		}
	}
	return -1;
}

/* Pool datagram k has seq k + 1; the obfuscated pool is the same, masked. */
static void fill_pool(struct bench *b)
{
	for (size_t k = 0; k < POOL; k++) {
		randombytes_buf(b->pool[k] + WIRE_HEADER_LEN, b->size);
		b->dgram_len = wire_seal(b->pool[k], b->size, b->session_key, KEY_ID, b->epoch,
					 k + 1);
		memcpy(b->pool_obfs[k], b->pool[k], b->dgram_len);
		wire_obfs_apply(b->pool_obfs[k], b->dgram_len, b->link_key);
	}
}

static void print_table(const struct bench *b, const struct op *ops, size_t n, double copy_ns,
			double secs)
{
	double seal_base = 0, open_base = 0;

	for (size_t k = 0; k < n; k++) {
		if (strcmp(ops[k].name, "seal_aead") == 0)
			seal_base = ops[k].ns;
		if (strcmp(ops[k].name, "open_aead") == 0)
			open_base = ops[k].ns;
	}
	printf("subnetra-bench-wire v%s: backend %s, %zu-byte packets (datagram %zu bytes), "
	       "%.2g s per operation (best of %d interleaved slices), one core\n\n",
	       SUBNETRA_VERSION, aead_backend(), b->size, b->dgram_len, secs, SLICES);
	printf("%-4s  %-44s %9s %10s %7s  %s\n", "dir", "operation", "ns/pkt", "kpkt/s", "GB/s",
	       "over bare AEAD");
	for (size_t k = 0; k < n; k++) {
		const struct op *o = &ops[k];
		double base = strcmp(o->dir, "seal") == 0 ? seal_base : open_base;
		char over[32] = "";

		if (strncmp(o->name + 5, "wire", 4) == 0 && base > 0)
			snprintf(over, sizeof over, "%+.1f %%", (o->ns - base) / base * 100.0);
		else if (strncmp(o->name + 5, "aead", 4) == 0)
			snprintf(over, sizeof over, "(baseline)");
		printf("%-4s  %-44s %9.1f %10.1f %7.3f  %s\n", o->dir, o->label, o->ns,
		       1e6 / o->ns, (double)b->size / o->ns, over);
	}
	printf("\nOpen figures exclude copying the %zu-byte datagram into the slot before each\n"
	       "open (%.1f ns/packet, timed separately).  GB/s counts plaintext bytes.\n",
	       b->dgram_len, copy_ns);
}

static void print_json(const struct bench *b, const struct op *ops, size_t n, double copy_ns,
		       double secs)
{
	printf("{\"tool\":\"subnetra-bench-wire\",\"version\":\"%s\",\"backend\":\"%s\","
	       "\"size\":%zu,\"datagram\":%zu,\"seconds\":%g,\"copy_ns\":%.2f,\"ops\":{",
	       SUBNETRA_VERSION, aead_backend(), b->size, b->dgram_len, secs, copy_ns);
	for (size_t k = 0; k < n; k++)
		printf("%s\"%s\":{\"ns\":%.2f,\"pps\":%.0f,\"gbytes_per_s\":%.4f}", k ? "," : "",
		       ops[k].name, ops[k].ns, 1e9 / ops[k].ns, (double)b->size / ops[k].ns);
	printf("}}\n");
}

int main(int argc, char **argv)
{
	struct op ops[MAX_OPS] = {
	    {"seal", "seal_aead", "bare AEAD seal (compiled backend)", op_seal_aead, false, 0},
	    {"seal", "seal_wire", "wire_seal", op_seal_wire, false, 0},
	    {"seal", "seal_wire_obfs", "wire_seal + wire_obfs_apply", op_seal_wire_obfs, false, 0},
	    {"open", "open_aead", "bare AEAD open (compiled backend)", op_open_aead, true, 0},
	    {"open", "open_wire", "wire_header_check + wire_rx_open", op_open_wire, true, 0},
	    {"open", "open_wire_obfs", "obfs trial + de-mask + check + wire_rx_open",
	     op_open_wire_obfs, true, 0},
	};
	size_t n_ops = 6;
	struct bench b = {.size = DEFAULT_SIZE, .epoch = WIRE_MIN_EPOCH + 1};
	double secs = 1.0, copy_ns;
	bool json = false;
	int rc;

	rc = parse_args(argc, argv, &secs, &b.size, &json);
	if (rc >= 0)
		return rc;
	if (sodium_init() < 0 || aead_init() < 0) {
		fprintf(stderr, "subnetra-bench-wire: crypto initialisation failed\n");
		return EXIT_FAIL;
	}
#ifdef SUBNETRA_CRYPTO_OPENSSL
	ops[n_ops++] = (struct op){"seal", "seal_sodium", "bare libsodium seal (for comparison)",
				   op_seal_sodium, false, 0};
	ops[n_ops++] = (struct op){"open", "open_sodium", "bare libsodium open (for comparison)",
				   op_open_sodium, true, 0};
#endif
	b.work = malloc(WIRE_MAX_DATAGRAM + 64);
	b.pool = malloc(sizeof(*b.pool) * POOL);
	b.pool_obfs = malloc(sizeof(*b.pool_obfs) * POOL);
	if (b.work == NULL || b.pool == NULL || b.pool_obfs == NULL) {
		fprintf(stderr, "subnetra-bench-wire: out of memory\n");
		return EXIT_FAIL;
	}
	{
		uint8_t psk[WIRE_PSK_LEN];

		randombytes_buf(psk, sizeof psk);
		wire_link_key(b.link_key, psk, KEY_ID, 1);
		wire_session_key(b.session_key, b.link_key, b.epoch);
		sodium_memzero(psk, sizeof psk);
	}
	randombytes_buf(b.work, WIRE_MAX_DATAGRAM);
	fill_pool(&b);

	copy_ns = 0;
	for (int slice = 0; slice < SLICES; slice++) {
		double t = measure(op_copy, &b, secs / SLICES);

		if (slice == 0 || t < copy_ns)
			copy_ns = t;
		for (size_t k = 0; k < n_ops; k++) {
			/* Seals continue past the pool's seqs; opens restart the window. */
			b.seq = POOL;
			t = measure(ops[k].fn, &b, secs / SLICES);
			if (slice == 0 || t < ops[k].ns)
				ops[k].ns = t;
		}
	}
	for (size_t k = 0; k < n_ops; k++)
		if (ops[k].copies)
			ops[k].ns = ops[k].ns > copy_ns ? ops[k].ns - copy_ns : 0.01;
	if (b.failures != 0) {
		fprintf(stderr, "subnetra-bench-wire: %lu opens failed to authenticate (bug)\n",
			b.failures);
		rc = EXIT_FAIL;
	} else {
		rc = EXIT_OK;
	}
	if (json)
		print_json(&b, ops, n_ops, copy_ns, secs);
	else
		print_table(&b, ops, n_ops, copy_ns, secs);
	sodium_memzero(&b.rx, sizeof b.rx);
	sodium_memzero(b.link_key, sizeof b.link_key);
	sodium_memzero(b.session_key, sizeof b.session_key);
	free(b.work);
	free(b.pool);
	free(b.pool_obfs);
	return rc;
}
