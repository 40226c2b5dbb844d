/*
 * subnetra-wire-decode's verdicts (src/inspect.c):
 *  - the known-answer vectors: the first sender vector and its obfuscated
 *    twin are accepted by a config holding its psk and ids, a flipped tag
 *    byte is an AEAD failure (cleartext) or an unknown peer (obfuscated,
 *    since the tag keys the mask); then every vector of the shared file;
 *  - each drop reason with its explanation;
 *  - differential: thousands of datagrams (genuine, mutated, forged, junk)
 *    go both through inspect_datagram and through the daemon's own
 *    rx_datagram on a real daemon context; both must name the same counter.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <sodium.h>

#include "core/config.h"
#include "core/counters.h"
#include "daemon/daemon.h"
#include "daemon/datapath/datapath.h"
#include "tools/lib/inspect.h"
#include "core/roles.h"
#include "core/wire.h"

/* "icmp-echo-request-1-to-2" and its -obfs twin, "keepalive-1-to-2". */
static const char V_PSK[] =
    "e77d24543b852bdcb6cce43b9ae7d73a1af0c426bf6c46d1926c1eed7af1627b";
static const char V1[] =
    "010001002501ab34c7083e1801000000000000009cb30fa13cf4fbf523d5b7911676ddf7f69839c58084"
    "4d4b"
    "d102490e3b5511727ffc18e8bf293cab90aa8d38b33394ab63469ad9a7aecb7faa27389dc51d3bdb4dce"
    "8585"
    "e11bed5897f509034b75059eb6bbe40a53b4bb59626023eb77522a5f0308770d";
static const char V1_OBFS[] =
    "fc8a71b81644e2a646f4ec241b8a4a83a4cb84ad9cb30fa13cf4fbf523d5b7911676ddf7f69839c58084"
    "4d4b"
    "d102490e3b5511727ffc18e8bf293cab90aa8d38b33394ab63469ad9a7aecb7faa27389dc51d3bdb4dce"
    "8585"
    "e11bed5897f509034b75059eb6bbe40a53b4bb59626023eb77522a5f0308770d";
static const char V_KEEPALIVE[] =
    "010101002501ab34c7083e180200000000000000d923afbe33dd1c6b437ef3c0e6d806e1";

#define IP4(a, b, c, d)                                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	return n;
}

/* A spoke (local_id to) whose only peer is `from` with psk_hex, delivering 10.77.0.0/24.
 */
static void receiver_config(struct config *cfg, uint32_t from, uint32_t to,
			    const char *psk_hex, bool obfuscate)
{
	struct config_error err;
	char text[1024];
	char msg[512];
	int n = snprintf(text, sizeof text,
			 "{ \"role\": \"spoke\", \"virtual_subnet\": \"10.77.0.0/24\", "
			 "\"local_id\": %u, \"local_routes\": [\"10.77.0.0/24\"], "
			 "\"obfuscate\": %s, \"peers\": [ { \"id\": %u, \"endpoint\": "
			 "\"192.0.2.1:18020\", \"allowed_src\": \"10.77.0.0/24\", "
			 "\"psk\": \"%s\" } ] }",
			 to, obfuscate ? "true" : "false", from, psk_hex);

	assert_true(n > 0 && (size_t)n < sizeof text);
	if (config_parse(cfg, "vec.json", text, (size_t)n, &err) != 0 ||
	    config_validate(cfg, "vec.json", &err) != 0) {
		config_error_format(&err, msg, sizeof msg);
		fail_msg("%s", msg);
	}
}

struct fixture {
	struct config cfg;
	struct inspect ix;
};

static struct fixture *fixture_new(uint32_t from, uint32_t to, const char *psk, bool obfs)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	receiver_config(&f->cfg, from, to, psk, obfs);
	assert_int_equal(inspect_init(&f->ix, &f->cfg), 0);
	return f;
}

static void fixture_free(struct fixture *f)
{
	inspect_wipe(&f->ix);
	config_wipe(&f->cfg);
	free(f);
}

static void test_first_vector_accepted(void **state)
{
	struct fixture *f = fixture_new(1, 2, V_PSK, false);
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM];
	size_t len = unhex(d, sizeof d, V1);

	(void)state;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_true(r.evaluated);
	assert_true(r.accepted);
	assert_string_equal(r.counter, "tun_tx_packets");
	assert_non_null(r.peer);
	assert_int_equal(r.peer->id, 1);
	assert_int_equal(r.hdr.key_id, 1);
	assert_int_equal(r.hdr.seq, 1);
	assert_true(r.hdr.epoch == UINT64_C(1746843357141467429));
	assert_true(r.have_inner);
	assert_int_equal(r.inner.src, IP4(10, 77, 0, 1));
	assert_int_equal(r.inner.dst, IP4(10, 77, 0, 2));
	assert_int_equal(r.inner.proto, 1);
	assert_int_equal(r.inner.total_len, 84);
	assert_int_equal(r.inner.pt_len, 84);
	/* inspect works on a copy: the caller's datagram is untouched. */
	{
		uint8_t again[WIRE_MAX_DATAGRAM];

		assert_int_equal(unhex(again, sizeof again, V1), len);
		assert_memory_equal(again, d, len);
	}

	/* A flipped tag byte: the header still selects peer 1, the AEAD refuses. */
	d[len - 1] ^= 0x01;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_false(r.accepted);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_true(strncmp(r.reason, "AEAD failure", 12) == 0);
	assert_false(r.have_inner);
	fixture_free(f);
}

static void test_first_vector_obfuscated(void **state)
{
	struct fixture *f = fixture_new(1, 2, V_PSK, true);
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM];
	size_t len = unhex(d, sizeof d, V1_OBFS);

	(void)state;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "tun_tx_packets");
	assert_true(r.unmasked);
	assert_int_equal(r.hdr.key_id, 1);
	assert_int_not_equal(r.raw.version, 1); /* the masked bytes read as nonsense */

	inspect_datagram(&f->ix, d, len, 1, &r); /* --from-id 1 */
	assert_string_equal(r.counter, "tun_tx_packets");

	/* The tag keys the mask: a flipped tag byte de-masks with no key at all. */
	d[len - 1] ^= 0x80;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_unknown_peer");
	d[len - 1] ^= 0x80;

	/* A flipped ciphertext byte leaves the mask alone: AEAD failure. */
	d[40] ^= 0x01;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_true(strncmp(r.reason, "AEAD failure", 12) == 0);
	d[40] ^= 0x01;

	/* The cleartext datagram at an obfuscating receiver: explained by a hint. */
	len = unhex(d, sizeof d, V1);
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_unknown_peer");
	assert_non_null(strstr(r.hint, "obfuscate off"));
	fixture_free(f);

	/* ... and the obfuscated one at a cleartext receiver. */
	f = fixture_new(1, 2, V_PSK, false);
	len = unhex(d, sizeof d, V1_OBFS);
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_false(r.accepted);
	assert_non_null(strstr(r.hint, "obfuscate on"));
	fixture_free(f);
}

static void test_keepalive_and_header_drops(void **state)
{
	struct fixture *f = fixture_new(1, 2, V_PSK, false);
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM + 8];
	size_t len = unhex(d, sizeof d, V_KEEPALIVE);

	(void)state;
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_true(r.accepted);
	assert_string_equal(r.counter, "keepalive_rx");
	assert_false(r.have_inner);

	d[0] = 2; /* version */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.reason, "version 2"));
	d[0] = 1;

	d[1] = 0x05; /* reserved flag bit */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.reason, "flags 0x05"));
	d[1] = 0x01;

	memset(d + 4, 0, 8); /* epoch 0 */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_non_null(strstr(r.reason, "epoch 0"));

	len = unhex(d, sizeof d, V_KEEPALIVE);
	d[2] = 9; /* key_id 9: nobody */
	inspect_datagram(&f->ix, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_unknown_peer");

	inspect_datagram(&f->ix, d, 35, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.reason, "too short"));
	inspect_datagram(&f->ix, d, 3, 0, &r);
	assert_false(r.have_raw);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");

	memset(d, 0, sizeof d);
	inspect_datagram(&f->ix, d, WIRE_MAX_DATAGRAM + 1, 0, &r);
	assert_string_equal(r.counter, "drop_udp_oversized");
	fixture_free(f);
}

static void test_no_config(void **state)
{
	struct inspect_result r;
	uint8_t d[WIRE_MAX_DATAGRAM];
	size_t len = unhex(d, sizeof d, V1);

	(void)state;
	inspect_datagram(NULL, d, len, 0, &r);
	assert_false(r.evaluated);
	assert_null(r.counter);
	assert_true(r.have_hdr);
	assert_int_equal(r.hdr.key_id, 1);

	len = unhex(d, sizeof d, V1_OBFS);
	inspect_datagram(NULL, d, len, 0, &r);
	assert_string_equal(r.counter, "drop_udp_auth_or_invalid");
	assert_non_null(strstr(r.hint, "--config"));
}

/* ---- every vector of the shared file ---- */

static json_object *load_vectors(void)
{
	const char *dir = getenv("SUBNETRA_VECTORS");
	char path[512];

	snprintf(path, sizeof path, "%s/subnetra-v1-vectors.json",
		 dir && *dir ? dir : "../shared/vectors");
	return json_object_from_file(path);
}

static const char *jstr(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	assert_true(json_object_object_get_ex(o, k1, &a));
	assert_true(json_object_object_get_ex(a, k2, &b));
	return json_object_get_string(b);
}

static uint32_t jint(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	assert_true(json_object_object_get_ex(o, k1, &a));
	assert_true(json_object_object_get_ex(a, k2, &b));
	return (uint32_t)json_object_get_int64(b);
}

static void check_vector_list(json_object *root, const char *list, bool obfs)
{
	json_object *arr;
	size_t checked = 0;

	assert_true(json_object_object_get_ex(root, list, &arr));
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		const char *pt_hex = jstr(v, "input", "plaintext");
		struct fixture *f =
		    fixture_new(jint(v, "input", "from_id"), jint(v, "input", "to_id"),
				jstr(v, "input", "psk"), obfs);
		uint8_t d[WIRE_MAX_DATAGRAM], pt[WIRE_MAX_PLAINTEXT];
		size_t len = unhex(d, sizeof d, jstr(v, "output", "datagram"));
		size_t pt_len = unhex(pt, sizeof pt, pt_hex);
		struct inspect_result r;

		inspect_datagram(&f->ix, d, len, 0, &r);
		if (pt_len == 0) {
			assert_string_equal(r.counter, "keepalive_rx");
		} else {
			assert_string_equal(r.counter, "tun_tx_packets");
			assert_int_equal(r.inner.pt_len, pt_len);
			assert_int_equal(r.inner.src,
					 IP4(pt[12], pt[13], pt[14], pt[15]));
			assert_int_equal(r.inner.dst,
					 IP4(pt[16], pt[17], pt[18], pt[19]));
			assert_int_equal(r.inner.proto, pt[9]);
			assert_int_equal(r.inner.total_len, pt[2] << 8 | pt[3]);
		}
		d[len - 1] ^= 0x01;
		inspect_datagram(&f->ix, d, len, 0, &r);
		assert_string_equal(r.counter, obfs ? "drop_udp_unknown_peer"
						    : "drop_udp_auth_or_invalid");
		fixture_free(f);
		checked++;
	}
	assert_true(checked > 0);
}

static void test_vector_file(void **state)
{
	json_object *root = load_vectors();

	(void)state;
	if (root == NULL)
		skip(); /* the shared corpus is not next to this checkout */
	check_vector_list(root, "vectors", false);
	check_vector_list(root, "obfuscated_vectors", true);
	json_object_put(root);
}

/* ---- differential: inspect_datagram vs the daemon's rx_datagram ---- */

enum { HUB_SPOKES = 3, MAX_SENDERS = HUB_SPOKES + 1, STRANGER = 9 };

#define EPOCH_LOCAL (WIRE_MIN_EPOCH + UINT64_C(86400000000000))
#define EPOCH_PEER  (WIRE_MIN_EPOCH + UINT64_C(3600000000000))

struct sender {
	uint32_t id;
	uint8_t psk[WIRE_PSK_LEN];
	uint32_t src; /* its own inner address */
};

struct variant {
	struct config cfg;
	struct inspect ix;
	struct daemon *d;
	struct sender senders[MAX_SENDERS]; /* configured peers, then a stranger */
	size_t n_senders;
	uint32_t local_id;
	size_t compared;
};

static void psk_fill(uint8_t *psk, uint32_t id)
{
	for (size_t i = 0; i < WIRE_PSK_LEN; i++)
		psk[i] = (uint8_t)(id * 37 + i * 11 + 1);
}

static void psk_hex(char out[2 * WIRE_PSK_LEN + 1], uint32_t id)
{
	uint8_t psk[WIRE_PSK_LEN];

	psk_fill(psk, id);
	sodium_bin2hex(out, 2 * WIRE_PSK_LEN + 1, psk, sizeof psk);
}

/* The extra rules every variant carries, so each route() branch is reachable. */
static void add_extra_rules(struct policy *p)
{
	struct policy_rule drop = {
	    .src = {0, 0}, .dst = {IP4(10, 0, 0, 98), 32}, .action = POLICY_DROP};
	struct policy_rule unknown = {.src = {0, 0},
				      .dst = {IP4(10, 0, 0, 77), 32},
				      .action = POLICY_FORWARD,
				      .target = 77};

	assert_int_equal(policy_add(p, &drop), 0);
	assert_int_equal(policy_add(p, &unknown), 0);
}

static void variant_setup(struct variant *v, bool hub, bool obfs)
{
	char text[4096], h[2 * WIRE_PSK_LEN + 1];
	struct config_error err;
	char msg[512];
	size_t n = 0;

	memset(v, 0, sizeof(*v));
	if (hub) {
		v->local_id = 1;
		n += (size_t)snprintf(
		    text + n, sizeof text - n,
		    "{ \"role\": \"hub\", \"local_id\": 1, \"obfuscate\": %s, "
		    "\"peers\": [",
		    obfs ? "true" : "false");
		for (uint32_t i = 0; i < HUB_SPOKES; i++) {
			uint32_t id = 2 + i;

			psk_hex(h, id);
			n += (size_t)snprintf(
			    text + n, sizeof text - n,
			    "%s{ \"id\": %u, \"endpoint\": \"127.0.0.1:%u\", "
			    "\"allowed_src\": \"10.0.0.%u/32\", \"psk\": \"%s\" }",
			    i ? ", " : "", id, 40000 + id, id, h);
			v->senders[v->n_senders].id = id;
			psk_fill(v->senders[v->n_senders].psk, id);
			v->senders[v->n_senders++].src = IP4(10, 0, 0, id);
		}
		n += (size_t)snprintf(text + n, sizeof text - n, "] }");
	} else {
		v->local_id = 2;
		psk_hex(h, 1);
		n += (size_t)snprintf(
		    text + n, sizeof text - n,
		    "{ \"role\": \"spoke\", \"local_id\": 2, \"obfuscate\": %s, "
		    "\"local_tun_ip\": \"10.0.0.2/24\", \"local_routes\": "
		    "[\"10.0.0.2/32\"], \"peers\": [ { \"id\": 1, \"endpoint\": "
		    "\"127.0.0.1:40001\", \"allowed_src\": \"10.0.0.0/24\", "
		    "\"psk\": \"%s\" } ] }",
		    obfs ? "true" : "false", h);
		v->senders[0].id = 1;
		psk_fill(v->senders[0].psk, 1);
		v->senders[0].src = IP4(10, 0, 0, 3);
		v->n_senders = 1;
	}
	/* A stranger: unknown id, unknown key. */
	v->senders[v->n_senders].id = STRANGER;
	psk_fill(v->senders[v->n_senders].psk, STRANGER);
	v->senders[v->n_senders++].src = IP4(10, 0, 0, 9);

	if (config_parse(&v->cfg, "diff.json", text, n, &err) != 0 ||
	    config_validate(&v->cfg, "diff.json", &err) != 0) {
		config_error_format(&err, msg, sizeof msg);
		fail_msg("%s", msg);
	}
	assert_int_equal(inspect_init(&v->ix, &v->cfg), 0);
	add_extra_rules(&v->ix.policy);

	v->d = daemon_alloc(&v->cfg);
	assert_non_null(v->d);
	policy_init(&v->d->policy);
	assert_int_equal(roles_derive_policy(&v->cfg, &v->d->policy), 0);
	add_extra_rules(&v->d->policy);
	v->d->workers[0]->tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(v->d->workers[0]->tun_fd >= 0);
	/* Relays go to the configured 127.0.0.1 endpoints, where nothing listens. */
	v->d->workers[0]->udp_fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(v->d->workers[0]->udp_fd[0] >= 0);
	v->d->n_udp = 1;
}

static void variant_teardown(struct variant *v)
{
	daemon_free(v->d);
	inspect_wipe(&v->ix);
	config_wipe(&v->cfg);
}

static const char *const outcome_exclude_prefix[] = {"udp_rx_", NULL};

static bool is_outcome(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; outcome_exclude_prefix[i] != NULL; i++)
		if (strncmp(name, outcome_exclude_prefix[i],
			    strlen(outcome_exclude_prefix[i])) == 0)
			return false;
	if (len > 6 && strcmp(name + len - 6, "_bytes") == 0)
		return false;
	return strcmp(name, "udp_endpoint_learned") != 0;
}

/* The one outcome counter that moved, or a description of what went wrong. */
static const char *moved_counter(const struct counters *before,
				 const struct counters *after)
{
	const char *found = NULL;

#define CHECK_COUNTER(n)                                                                 \
	if (is_outcome(#n) && after->n != before->n) {                                   \
		if (found != NULL || after->n != before->n + 1)                          \
			return "(more than one outcome)";                                \
		found = #n;                                                              \
	}
	COUNTERS_LIST(CHECK_COUNTER)
#undef CHECK_COUNTER
	return found ? found : "(no outcome)";
}

static uint8_t *dbuf; /* PKT_BUF_LEN: what recvmmsg would hand the daemon */

/* Every outcome the comparison must have exercised at least once. */
static const char *const expected_outcomes[] = {
    "tun_tx_packets",
    "relay_packets",
    "keepalive_rx",
    "drop_udp_oversized",
    "drop_udp_auth_or_invalid",
    "drop_udp_unknown_peer",
    "drop_udp_not_ipv4",
    "drop_udp_spoof",
    "drop_udp_no_route",
    "drop_udp_drop_rule",
    "drop_udp_unknown_target",
    "drop_udp_no_reflect",
};
enum { N_EXPECTED = sizeof expected_outcomes / sizeof expected_outcomes[0] };
static size_t seen_outcome[N_EXPECTED];

static void compare(struct variant *v, const uint8_t *dg, size_t len)
{
	struct daemon *d = v->d;
	struct worker *w = d->workers[0];
	struct endpoint4 from = {.addr = IP4(127, 0, 0, 1), .port = 39999};
	struct counters before;
	struct inspect_result r;
	const char *moved;
	size_t n = len > PKT_BUF_LEN ? PKT_BUF_LEN : len;

	inspect_datagram(&v->ix, dg, len, 0, &r);

	/* A fresh start-up state for every datagram, as inspect assumes. */
	peer_table_init(&d->peers, &v->cfg, EPOCH_LOCAL);
	w->scans_left = OBFS_SCAN_BUDGET;
	before = w->ctr;
	memcpy(dbuf, dg, n);
	rx_datagram(w, 0, dbuf, n, len > PKT_BUF_LEN, &from, EPOCH_LOCAL);
	txq_flush(w);
	moved = moved_counter(&before, &w->ctr);
	if (r.counter == NULL || strcmp(moved, r.counter) != 0)
		fail_msg("datagram of %zu bytes (first bytes %02x%02x%02x%02x): "
			 "rx_datagram moved "
			 "%s, inspect says %s (%s)",
			 len, dg[0], len > 1 ? dg[1] : 0, len > 2 ? dg[2] : 0,
			 len > 3 ? dg[3] : 0, moved, r.counter ? r.counter : "nothing",
			 r.reason);
	v->compared++;
	for (size_t i = 0; i < N_EXPECTED; i++)
		if (strcmp(moved, expected_outcomes[i]) == 0)
			seen_outcome[i]++;
}

/* An inner IPv4 header (plus padding) of pt_len bytes. */
static size_t make_inner(uint8_t *pt, size_t pt_len, uint32_t src, uint32_t dst)
{
	memset(pt, 0, pt_len);
	if (pt_len >= 20) {
		pt[0] = 0x45;
		pt[2] = (uint8_t)(pt_len >> 8);
		pt[3] = (uint8_t)pt_len;
		pt[8] = 64;
		pt[9] = 17;
		for (int i = 0; i < 4; i++) {
			pt[12 + i] = (uint8_t)(src >> (24 - 8 * i));
			pt[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
		}
	}
	return pt_len;
}

/*
 * Seal pt as sender s would for this variant's node; hdr_edit (if set) is
 * applied to the header before masking, so the AEAD stays intact.
 */
static size_t seal_from(const struct variant *v, const struct sender *s, uint8_t *out,
			const uint8_t *pt, size_t pt_len, uint64_t epoch, uint64_t seq,
			bool obfs, void (*hdr_edit)(uint8_t *hdr))
{
	wire_key link, session;
	size_t len;

	wire_link_key(link, s->psk, s->id, v->local_id);
	wire_session_key(session, link, epoch);
	memcpy(out + WIRE_HEADER_LEN, pt, pt_len);
	len = wire_seal(out, pt_len, session, (uint16_t)s->id, epoch, seq);
	if (hdr_edit != NULL)
		hdr_edit(out);
	if (obfs)
		wire_obfs_apply(out, len, link);
	sodium_memzero(link, sizeof link);
	sodium_memzero(session, sizeof session);
	return len;
}

static void edit_version(uint8_t *h)
{
	h[0] = 2;
}
static void edit_flags(uint8_t *h)
{
	h[1] |= 0x40;
}
static void edit_epoch0(uint8_t *h)
{
	memset(h + 4, 0, 8);
}
static void edit_key_id(uint8_t *h)
{
	h[2] ^= 0x01;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void run_differential(struct variant *v)
{
	static const uint32_t dsts[] = {
	    IP4(10, 0, 0, 2),  IP4(10, 0, 0, 3),  IP4(10, 0, 0, 4),    IP4(10, 0, 0, 98),
	    IP4(10, 0, 0, 77), IP4(10, 0, 0, 99), IP4(192, 168, 1, 1),
	};
	static const size_t pt_lens[] = {0, 1, 19, 20, 84, 1452};
	void (*const edits[])(uint8_t *) = {edit_version, edit_flags, edit_epoch0,
					    edit_key_id};
	uint8_t pt[WIRE_MAX_PLAINTEXT];
	uint8_t dg[WIRE_MAX_DATAGRAM + 600];
	bool obfs = v->cfg.obfuscate;

	for (size_t si = 0; si < v->n_senders; si++) {
		const struct sender *s = &v->senders[si];
		const struct sender *other = &v->senders[(si + 1) % v->n_senders];

		for (size_t di = 0; di < sizeof dsts / sizeof dsts[0]; di++) {
			for (int spoof = 0; spoof < 2; spoof++) {
				for (int mask = 0; mask < 2; mask++) {
					size_t pl = make_inner(
					    pt, 60, spoof ? other->src : s->src,
					    dsts[di]);
					size_t len =
					    seal_from(v, s, dg, pt, pl, EPOCH_PEER,
						      1 + di, mask ? !obfs : obfs, NULL);

					compare(v, dg, len);
				}
			}
		}
		/* Keepalives, runt and odd inner packets, non-IPv4. */
		for (size_t li = 0; li < sizeof pt_lens / sizeof pt_lens[0]; li++) {
			size_t pl = make_inner(pt, pt_lens[li], s->src, IP4(10, 0, 0, 2));
			size_t len =
			    seal_from(v, s, dg, pt, pl, EPOCH_PEER, 7, obfs, NULL);

			compare(v, dg, len);
			pt[0] = 0x60; /* IPv6 */
			len = seal_from(v, s, dg, pt, pl, EPOCH_PEER, 8, obfs, NULL);
			compare(v, dg, len);
		}
		/* Header edits under an intact AEAD. */
		for (size_t ei = 0; ei < sizeof edits / sizeof edits[0]; ei++) {
			size_t pl = make_inner(pt, 40, s->src, IP4(10, 0, 0, 3));
			size_t len =
			    seal_from(v, s, dg, pt, pl, EPOCH_PEER, 9, obfs, edits[ei]);

			compare(v, dg, len);
		}
		/* Random single-byte corruption of genuine datagrams. */
		for (int k = 0; k < 150; k++) {
			size_t pl =
			    make_inner(pt, 20 + (size_t)(rng() % 200), s->src,
				       dsts[rng() % (sizeof dsts / sizeof dsts[0])]);
			size_t len =
			    seal_from(v, s, dg, pt, pl, EPOCH_PEER, rng(), obfs, NULL);

			dg[rng() % len] ^= (uint8_t)(1 + rng() % 255);
			compare(v, dg, len);
		}
	}
	/* Junk of every interesting length. */
	for (size_t len = 0; len <= 80; len++) {
		for (size_t i = 0; i < len; i++)
			dg[i] = (uint8_t)rng();
		compare(v, dg, len);
		if (len >= 4) {
			dg[0] = 1;
			dg[1] = 0;
			dg[2] = (uint8_t)v->senders[0].id;
			dg[3] = 0;
			compare(v, dg, len);
		}
	}
	memset(dg, 0, sizeof dg);
	compare(v, dg, WIRE_MAX_DATAGRAM);
	compare(v, dg, WIRE_MAX_DATAGRAM + 1);
	compare(v, dg, sizeof dg);
}

static void test_differential(void **state)
{
	struct variant *v = calloc(1, sizeof(*v));

	(void)state;
	assert_non_null(v);
	dbuf = malloc(PKT_BUF_LEN);
	assert_non_null(dbuf);
	for (int hub = 0; hub < 2; hub++) {
		for (int obfs = 0; obfs < 2; obfs++) {
			variant_setup(v, hub, obfs);
			run_differential(v);
			assert_true(v->compared > 500);
			variant_teardown(v);
		}
	}
	free(dbuf);
	free(v);
	for (size_t i = 0; i < N_EXPECTED; i++)
		if (seen_outcome[i] == 0)
			fail_msg("no datagram reached %s", expected_outcomes[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_vector_accepted),
	    cmocka_unit_test(test_first_vector_obfuscated),
	    cmocka_unit_test(test_keepalive_and_header_drops),
	    cmocka_unit_test(test_no_config),
	    cmocka_unit_test(test_vector_file),
	    cmocka_unit_test(test_differential),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("tools_inspect", tests, NULL, NULL);
}
