/*
 * subnetra-conformance: checks the wire module against known-answer vector
 * files (format and receiver model: shared/vectors/README.md), or with
 * --noise the Noise core (core/mesh/noise) against standard Noise
 * test-vector files (tools/lib/noisevec.h), or with --mesh the mesh
 * handshake and sessions against our mesh vectors (tools/lib/meshvec.h).
 *
 *   subnetra-conformance [--tap] [--noise | --mesh] FILE.json...
 *
 * Each file is loaded and validated completely before any case runs, so a
 * malformed file produces one error naming the file and field and no
 * results.  The files may come from outside our corpus: every field is
 * type- and length-checked, and nothing in them can make the tool crash.
 *
 * The JSON is read by the project's strict parser (core/json.c), the one
 * config files go through: 64-bit integers (epochs ~1.7e18, seqs above
 * 2^63) stay exact and never pass through a double, a literal beyond 64
 * bits or a repeated member name is an error naming its line and column.
 *
 * Exit status: 0 every case passed, 1 some case failed, 2 usage error or a
 * file that could not be read or parsed.  With --noise, where most vectors
 * of a published file are for protocols we do not speak and are skipped,
 * a run in which no vector ran at all is a failure too (exit 1): a file
 * that checks nothing must not look like a pass.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/cliargs.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/json.h"
#include "core/peer.h"
#include "core/policy.h"
#include "core/receive.h"
#include "core/wire.h"
#include "tools/lib/meshvec.h"
#include "tools/lib/noisevec.h"
#include "tools/lib/vecfile.h"

enum {
	IPV4_MIN_HEADER = 20,
};

static const char OBFS_SUFFIX[] = "-obfs";

/* The six inputs of a sender vector. */
struct vec_input {
	uint8_t psk[WIRE_PSK_LEN];
	uint32_t from_id;
	uint32_t to_id;
	uint64_t epoch;
	uint64_t seq;
	uint8_t pt[WIRE_MAX_PLAINTEXT];
	size_t pt_len;
};

struct sender_vec {
	const char *name; /* owned by the corpus tree */
	size_t name_len;
	struct vec_input in;
	wire_key link_key;
	wire_key session_key;
	uint8_t dgram[WIRE_MAX_DATAGRAM];
	size_t dgram_len;
};

struct obfs_vec {
	const char *name;
	size_t name_len;
	struct vec_input in;
	uint8_t dgram[WIRE_MAX_DATAGRAM];
	size_t dgram_len;
};

struct rx_step {
	const char *note;
	/* Over-long datagrams keep only their length: they are dropped unread. */
	uint8_t dgram[WIRE_MAX_DATAGRAM];
	size_t dgram_len;
	bool expect_accept;
	bool has_plaintext;
	uint8_t pt[WIRE_MAX_PLAINTEXT];
	size_t pt_len;
	uint64_t epoch_after;
};

struct rx_case {
	const char *name;
	uint8_t psk[WIRE_PSK_LEN];
	uint32_t from_id;
	uint32_t to_id;
	struct cidr allowed_src;
	uint64_t init_epoch;
	struct rx_step *steps;
	size_t n_steps;
};

struct corpus {
	struct json_value root;
	struct sender_vec *vecs;
	size_t n_vecs;
	struct obfs_vec *obfs;
	size_t n_obfs;
	struct rx_case *cases;
	size_t n_cases;
};

/* ---- typed field access ---------------------------------------------- */

static bool get_name(const struct vecfile_where *w, const struct json_value *obj, const char **s,
		     size_t *len)
{
	if (!vecfile_get_string(w, obj, "name", s, len))
		return false;
	if (*len == 0 || strlen(*s) != *len)
		return vecfile_bad(w, "name", "must be a non-empty string without NUL");
	return true;
}

static bool get_uint(const struct vecfile_where *w, const struct json_value *obj, const char *key,
		     uint64_t min, uint64_t max, uint64_t *out)
{
	const struct json_value *v = vecfile_field(w, obj, key, JSON_INT);
	uint64_t u;

	if (!v)
		return false;
	if (v->u.integer.negative)
		return vecfile_bad(w, key, "must not be negative");
	u = v->u.integer.magnitude;
	if (min == max && u != min)
		return vecfile_bad(w, key, "is %ju, must be %ju", (uintmax_t)u, (uintmax_t)min);
	if (u < min || u > max)
		return vecfile_bad(w, key, "%ju out of range %ju..%ju", (uintmax_t)u,
			   (uintmax_t)min, (uintmax_t)max);
	*out = u;
	return true;
}

static bool get_id(const struct vecfile_where *w, const struct json_value *obj, const char *key,
		   uint32_t *out)
{
	uint64_t v;

	if (!get_uint(w, obj, key, 1, UINT16_MAX, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool get_key(const struct vecfile_where *w, const struct json_value *obj, const char *key,
		    uint8_t out[WIRE_KEY_LEN])
{
	size_t n;

	return vecfile_get_hex(w, obj, key, out, WIRE_KEY_LEN, WIRE_KEY_LEN, &n);
}

/* ---- loading the sections --------------------------------------------- */

static bool load_input(const struct vecfile_where *parent, const struct json_value *entry,
		       struct vec_input *in)
{
	const struct json_value *o;
	struct vecfile_where w;

	vecfile_where_sub(&w, parent, "input");
	o = vecfile_field(parent, entry, "input", JSON_OBJECT);
	return o && get_key(&w, o, "psk", in->psk) &&
	       get_id(&w, o, "from_id", &in->from_id) &&
	       get_id(&w, o, "to_id", &in->to_id) &&
	       get_uint(&w, o, "epoch", 0, UINT64_MAX, &in->epoch) &&
	       get_uint(&w, o, "seq", 0, UINT64_MAX, &in->seq) &&
	       vecfile_get_hex(&w, o, "plaintext", in->pt, 0, WIRE_MAX_PLAINTEXT, &in->pt_len);
}

/*
 * What sender and obfuscation entries share: the name, the input and the
 * "output" object, whose fields the caller reads through *wo.
 */
static const struct json_value *load_common(const struct vecfile_where *w, const struct json_value *e,
					    const char **name, size_t *name_len,
					    struct vec_input *in, struct vecfile_where *wo)
{
	if (!get_name(w, e, name, name_len) || !load_input(w, e, in))
		return NULL;
	vecfile_where_sub(wo, w, "output");
	return vecfile_field(w, e, "output", JSON_OBJECT);
}

static bool load_sender(const struct vecfile_where *w, const struct json_value *e,
			struct sender_vec *v)
{
	struct vecfile_where wo;
	const struct json_value *o = load_common(w, e, &v->name, &v->name_len, &v->in, &wo);

	return o && get_key(&wo, o, "link_key", v->link_key) &&
	       get_key(&wo, o, "session_key", v->session_key) &&
	       vecfile_get_hex(&wo, o, "datagram", v->dgram, WIRE_MIN_DATAGRAM, WIRE_MAX_DATAGRAM,
		       &v->dgram_len);
}

static bool load_obfs(const struct vecfile_where *w, const struct json_value *e,
		      struct obfs_vec *v)
{
	struct vecfile_where wo;
	const struct json_value *o = load_common(w, e, &v->name, &v->name_len, &v->in, &wo);

	return o && vecfile_get_hex(&wo, o, "datagram", v->dgram, WIRE_MIN_DATAGRAM,
			    WIRE_MAX_DATAGRAM, &v->dgram_len);
}

static bool load_step(const struct vecfile_where *w, const struct json_value *e, struct rx_step *st)
{
	const struct json_value *pt;
	const char *s, *err;
	size_t len;

	if (e->type != JSON_OBJECT)
		return vecfile_bad(w, NULL, "must be an object");
	st->note = "";
	if (json_member_get(e, "note") != NULL &&
	    !vecfile_get_string(w, e, "note", &st->note, &len))
		return false;
	if (!vecfile_get_string(w, e, "datagram", &s, &len))
		return false;
	err = vecfile_hex(s, len, st->dgram, sizeof st->dgram, &st->dgram_len);
	if (err)
		return vecfile_bad(w, "datagram", "%s", err);
	if (!vecfile_get_string(w, e, "expect", &s, &len))
		return false;
	if (len == 6 && memcmp(s, "accept", 6) == 0)
		st->expect_accept = true;
	else if (len == 4 && memcmp(s, "drop", 4) == 0)
		st->expect_accept = false;
	else
		return vecfile_bad(w, "expect", "must be \"accept\" or \"drop\"");
	pt = json_member_get(e, "plaintext");
	if (pt == NULL)
		return vecfile_bad(w, "plaintext", "missing (use null for none)");
	st->has_plaintext = pt->type != JSON_NULL;
	if (st->has_plaintext &&
	    !vecfile_get_hex(w, e, "plaintext", st->pt, 0, WIRE_MAX_PLAINTEXT, &st->pt_len))
		return false;
	return get_uint(w, e, "epoch_after", 0, UINT64_MAX, &st->epoch_after);
}

static bool load_case(const struct vecfile_where *w, const struct json_value *e, struct rx_case *c)
{
	const struct json_value *link, *steps;
	struct vecfile_where wl, ws;
	const char *s;
	size_t len;
	enum addr_err aerr;

	if (!get_name(w, e, &c->name, &len))
		return false;
	vecfile_where_sub(&wl, w, "link");
	link = vecfile_field(w, e, "link", JSON_OBJECT);
	if (!link || !get_key(&wl, link, "psk", c->psk) ||
	    !get_id(&wl, link, "from_id", &c->from_id) ||
	    !get_id(&wl, link, "to_id", &c->to_id))
		return false;
	if (!vecfile_get_string(w, e, "allowed_src", &s, &len))
		return false;
	aerr = cidr_parse(&c->allowed_src, s, len);
	if (aerr != ADDR_OK)
		return vecfile_bad(w, "allowed_src", "not a CIDR (%s)", addr_err_name(aerr));
	if (!get_uint(w, e, "init_epoch", 0, UINT64_MAX, &c->init_epoch))
		return false;
	steps = vecfile_field(w, e, "steps", JSON_ARRAY);
	if (!steps)
		return false;
	c->n_steps = steps->u.array.n;
	if (c->n_steps == 0)
		return vecfile_bad(w, "steps", "empty");
	c->steps = calloc(c->n_steps, sizeof *c->steps);
	if (!c->steps)
		return vecfile_bad(w, "steps", "out of memory");
	for (size_t i = 0; i < c->n_steps; i++) {
		vecfile_where_sub(&ws, w, "steps[%zu]", i);
		if (!load_step(&ws, &steps->u.array.items[i], &c->steps[i]))
			return false;
	}
	return true;
}

/*
 * Load one array section: allocates *out (n entries of size sz) and calls
 * load for each element, which must be an object.
 */
static bool load_section(const struct vecfile_where *w, const struct json_value *root,
			 const char *key, size_t sz, void **out, size_t *n,
			 bool (*load)(const struct vecfile_where *, const struct json_value *, void *))
{
	const struct json_value *arr = vecfile_field(w, root, key, JSON_ARRAY);
	const struct json_value *e;
	struct vecfile_where we;

	*out = NULL;
	*n = 0;
	if (!arr)
		return false;
	*n = arr->u.array.n;
	*out = calloc(*n ? *n : 1, sz);
	if (!*out)
		return vecfile_bad(w, key, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		vecfile_where_sub(&we, w, "%s[%zu]", key, i);
		e = &arr->u.array.items[i];
		if (e->type != JSON_OBJECT)
			return vecfile_bad(&we, NULL, "must be an object");
		if (!load(&we, e, (char *)*out + i * sz))
			return false;
	}
	return true;
}

/* Adapters: load_section hands out untyped entries. */
static bool load_sender_any(const struct vecfile_where *w, const struct json_value *e, void *p)
{
	return load_sender(w, e, p);
}

static bool load_obfs_any(const struct vecfile_where *w, const struct json_value *e, void *p)
{
	return load_obfs(w, e, p);
}

static bool load_case_any(const struct vecfile_where *w, const struct json_value *e, void *p)
{
	return load_case(w, e, p);
}

static void corpus_free(struct corpus *c)
{
	if (c->cases) {
		for (size_t i = 0; i < c->n_cases; i++)
			free(c->cases[i].steps);
	}
	free(c->cases);
	free(c->obfs);
	free(c->vecs);
	json_free(&c->root);
	memset(c, 0, sizeof *c);
}

static bool corpus_load(const char *file, struct corpus *c)
{
	struct vecfile_where w = {.file = file};
	uint64_t v;
	void *p;
	bool ok;

	memset(c, 0, sizeof *c);
	if (!vecfile_load(file, &c->root))
		return false;
	if (c->root.type != JSON_OBJECT) {
		fprintf(stderr, "%s: top level must be an object\n", file);
		goto err_free;
	}
	if (!get_uint(&w, &c->root, "wire_version", WIRE_VERSION, WIRE_VERSION, &v))
		goto err_free;
	if (json_member_get(&c->root, "max_plaintext") != NULL &&
	    !get_uint(&w, &c->root, "max_plaintext", WIRE_MAX_PLAINTEXT,
		      WIRE_MAX_PLAINTEXT, &v))
		goto err_free;
	/* Each section is attached even on failure so corpus_free releases it. */
	ok = load_section(&w, &c->root, "vectors", sizeof *c->vecs, &p, &c->n_vecs,
			  load_sender_any);
	c->vecs = p;
	if (!ok)
		goto err_free;
	ok = load_section(&w, &c->root, "obfuscated_vectors", sizeof *c->obfs, &p,
			  &c->n_obfs, load_obfs_any);
	c->obfs = p;
	if (!ok)
		goto err_free;
	ok = load_section(&w, &c->root, "receiver_cases", sizeof *c->cases, &p,
			  &c->n_cases, load_case_any);
	c->cases = p;
	if (!ok)
		goto err_free;
	return true;

err_free:
	corpus_free(c);
	return false;
}

/* ---- running the cases ----------------------------------------------- */

/* The sender side of a vector: plaintext -> datagram, as the daemon seals. */
static size_t build_datagram(const struct vec_input *in, wire_key link_key,
			     wire_key session_key, uint8_t out[WIRE_MAX_DATAGRAM])
{
	wire_link_key(link_key, in->psk, in->from_id, in->to_id);
	wire_session_key(session_key, link_key, in->epoch);
	memcpy(out + WIRE_HEADER_LEN, in->pt, in->pt_len);
	return wire_seal(out, in->pt_len, session_key, (uint16_t)in->from_id, in->epoch,
			 in->seq);
}

static bool run_sender(const struct sender_vec *v, char *why, size_t cap)
{
	wire_key link_key, session_key;
	uint8_t dgram[WIRE_MAX_DATAGRAM];
	size_t len = build_datagram(&v->in, link_key, session_key, dgram);

	vecfile_why_bytes(why, cap, "link_key", link_key, WIRE_KEY_LEN, v->link_key,
		  WIRE_KEY_LEN);
	vecfile_why_bytes(why, cap, "session_key", session_key, WIRE_KEY_LEN, v->session_key,
		  WIRE_KEY_LEN);
	vecfile_why_bytes(why, cap, "datagram", dgram, len, v->dgram, v->dgram_len);
	return why[0] == '\0';
}

static bool same_input(const struct vec_input *a, const struct vec_input *b)
{
	return memcmp(a->psk, b->psk, WIRE_PSK_LEN) == 0 && a->from_id == b->from_id &&
	       a->to_id == b->to_id && a->epoch == b->epoch && a->seq == b->seq &&
	       a->pt_len == b->pt_len && memcmp(a->pt, b->pt, a->pt_len) == 0;
}

static const struct sender_vec *find_plain(const struct corpus *c,
					   const struct obfs_vec *v)
{
	size_t slen = sizeof OBFS_SUFFIX - 1, base;

	if (v->name_len <= slen ||
	    memcmp(v->name + v->name_len - slen, OBFS_SUFFIX, slen) != 0)
		return NULL;
	base = v->name_len - slen;
	for (size_t i = 0; i < c->n_vecs; i++) {
		if (c->vecs[i].name_len == base &&
		    memcmp(c->vecs[i].name, v->name, base) == 0)
			return &c->vecs[i];
	}
	return NULL;
}

/*
 * One directed link as the receiver (to_id) sees it: a node whose only peer
 * is from_id, and whose policy delivers everything to its TUN, so that
 * "accept" is the daemon's own decision (core/receive.c) and nothing else.
 */
static struct {
	struct config cfg;
	struct peer_table peers;
	struct policy policy;
} link;

static const struct cidr ANY_SRC = {.addr = 0, .prefix = 0};

static void link_init(const struct vec_input *in, const struct cidr *allowed_src,
		      uint64_t init_epoch)
{
	static const struct policy_rule deliver_all = {
	    .action = POLICY_FORWARD, .target = POLICY_TARGET_LOCAL};

	memset(&link.cfg, 0, sizeof(link.cfg));
	link.cfg.local_id = in->to_id;
	link.cfg.n_peers = 1;
	link.cfg.peers[0].id = in->from_id;
	link.cfg.peers[0].allowed_src = *allowed_src;
	memcpy(link.cfg.peers[0].psk, in->psk, WIRE_PSK_LEN);
	peer_table_init(&link.peers, &link.cfg, WIRE_MIN_EPOCH);
	sodium_memzero(link.cfg.peers[0].psk, WIRE_PSK_LEN);
	/* A fresh window (highest 0, bitmap 0) at the case's epoch. */
	link.peers.peers[0].rx.cur_epoch = init_epoch;
	policy_init(&link.policy);
	(void)policy_add(&link.policy, &deliver_all);
}

static void link_wipe(void)
{
	peer_table_wipe(&link.peers);
}

static void link_receive(uint8_t *dgram, size_t len, bool obfuscated, struct rx_decision *r)
{
	struct rx_input in = {
	    .peers = &link.peers,
	    .policy = policy_active(&link.policy),
	    .obfuscate = obfuscated,
	    .from_id = obfuscated ? link.cfg.peers[0].id : 0,
	};

	rx_decide(&in, dgram, len, false, r);
}

/*
 * Both directions of an obfuscated vector: mask our own sealing of the plain
 * vector and compare; then take the file's masked datagram through the
 * receive decision of an obfuscating node, which must yield the plaintext.
 */
static bool run_obfs(const struct corpus *c, const struct obfs_vec *v, char *why,
		     size_t cap)
{
	const struct sender_vec *plain = find_plain(c, v);
	wire_key link_key, session_key;
	uint8_t dgram[WIRE_MAX_DATAGRAM];
	struct rx_decision r;
	size_t len;

	if (!plain) {
		vecfile_why_add(why, cap, "no sender vector named as this one without \"%s\"",
			OBFS_SUFFIX);
		return false;
	}
	if (!same_input(&plain->in, &v->in)) {
		vecfile_why_add(why, cap, "input differs from sender vector %s", plain->name);
		return false;
	}
	len = build_datagram(&plain->in, link_key, session_key, dgram);
	wire_obfs_apply(dgram, len, link_key);
	vecfile_why_bytes(why, cap, "datagram", dgram, len, v->dgram, v->dgram_len);

	/* Receiver direction, on the file's bytes, through the daemon's decision. */
	link_init(&v->in, &ANY_SRC, 0);
	len = v->dgram_len;
	memcpy(dgram, v->dgram, len);
	link_receive(dgram, len, true, &r);
	if (r.result == RX_UNKNOWN_PEER || r.result == RX_SCAN_BUDGET ||
	    (r.result == RX_AUTH_OR_INVALID && r.why == RX_WHY_NO_KEY)) {
		vecfile_why_add(why, cap, "receive: obfuscation trial with the link key failed");
	} else if (!r.unmasked || r.result == RX_AUTH_OR_INVALID || r.result == RX_OVERSIZED) {
		vecfile_why_add(why, cap, "receive: rejected (%s)", rx_result_counter(r.result)->name);
	} else if (v->in.pt_len == 0) {
		if (r.result != RX_KEEPALIVE)
			vecfile_why_add(why, cap,
				"receive: empty plaintext not taken as a keepalive");
	} else if (r.result == RX_KEEPALIVE) {
		vecfile_why_add(why, cap, "receive: data datagram taken as a keepalive");
	} else {
		vecfile_why_bytes(why, cap, "receive: plaintext", dgram + WIRE_HEADER_LEN, r.pt_len,
			  v->in.pt, v->in.pt_len);
	}
	link_wipe();
	sodium_memzero(link_key, sizeof link_key);
	sodium_memzero(session_key, sizeof session_key);
	return why[0] == '\0';
}

static bool run_case(const struct rx_case *c, char *why, size_t cap)
{
	struct vec_input link_in = {.from_id = c->from_id, .to_id = c->to_id};
	uint8_t dgram[WIRE_MAX_DATAGRAM];
	struct rx_decision r;

	memcpy(link_in.psk, c->psk, WIRE_PSK_LEN);
	link_init(&link_in, &c->allowed_src, c->init_epoch);
	sodium_memzero(link_in.psk, WIRE_PSK_LEN);
	for (size_t i = 0; i < c->n_steps && !why[0]; i++) {
		const struct rx_step *st = &c->steps[i];
		char step_why[VECFILE_MSG_MAX / 2] = "";
		const uint8_t *inner = NULL;
		size_t inner_len = 0, len = st->dgram_len;
		bool accepted;

		if (len <= sizeof dgram)
			memcpy(dgram, st->dgram, len);
		/* Over-long datagrams keep only their length: dropped unread. */
		link_receive(dgram, len <= sizeof dgram ? len : WIRE_MAX_DATAGRAM + 1, false, &r);
		accepted = r.result == RX_TUN || r.result == RX_KEEPALIVE;
		if (r.result == RX_TUN) {
			inner = dgram + WIRE_HEADER_LEN;
			inner_len = r.pt_len;
		}
		if (accepted != st->expect_accept)
			vecfile_why_add(step_why, sizeof step_why, "expected %s, got %s%s%s%s",
				st->expect_accept ? "accept" : "drop",
				accepted ? "accept" : "drop", accepted ? "" : " (",
				accepted ? "" : rx_result_counter(r.result)->name,
				accepted ? "" : ")");
		if (!st->has_plaintext && inner)
			vecfile_why_add(step_why, sizeof step_why,
				"plaintext: expected null, got %zu bytes", inner_len);
		else if (st->has_plaintext && !inner)
			vecfile_why_add(step_why, sizeof step_why,
				"plaintext: expected %zu bytes, got null", st->pt_len);
		else if (inner)
			vecfile_why_bytes(step_why, sizeof step_why, "plaintext", inner,
				  inner_len, st->pt, st->pt_len);
		if (link.peers.peers[0].rx.cur_epoch != st->epoch_after)
			vecfile_why_add(step_why, sizeof step_why,
				"epoch_after: expected %ju, got %ju",
				(uintmax_t)st->epoch_after,
				(uintmax_t)link.peers.peers[0].rx.cur_epoch);
		if (step_why[0])
			vecfile_why_add(why, cap, "step %zu (%s): %s", i, st->note, step_why);
	}
	link_wipe();
	return why[0] == '\0';
}

static void corpus_run(const struct corpus *c, struct vecfile_tally *t)
{
	char why[VECFILE_MSG_MAX];

	for (size_t i = 0; i < c->n_vecs; i++) {
		why[0] = '\0';
		vecfile_record(t, "vectors", c->vecs[i].name,
		       run_sender(&c->vecs[i], why, sizeof why), why);
	}
	for (size_t i = 0; i < c->n_obfs; i++) {
		why[0] = '\0';
		vecfile_record(t, "obfuscated_vectors", c->obfs[i].name,
		       run_obfs(c, &c->obfs[i], why, sizeof why), why);
	}
	for (size_t i = 0; i < c->n_cases; i++) {
		why[0] = '\0';
		vecfile_record(t, "receiver_cases", c->cases[i].name,
		       run_case(&c->cases[i], why, sizeof why), why);
	}
}

static const char synopsis[] =
    "usage: subnetra-conformance [--tap] [--noise | --mesh] FILE.json...\n";

static void usage(FILE *f)
{
	fputs(synopsis, f);
	fputs("Checks the wire module (with --noise: the Noise core; with --mesh:\n"
	      "the mesh handshake and sessions) against known-answer vector files.\n"
	      "  --tap    also print an ok / not ok line for every case\n"
	      "  --noise  the files are Noise test vectors (cacophony/snow format):\n"
	      "           Noise_IK, IKpsk1, IKpsk2 with 25519_ChaChaPoly_SHA256 run,\n"
	      "           every other vector is skipped\n"
	      "  --mesh   the files are our mesh vectors (tests/vectors/mesh/):\n"
	      "           handshakes, DATA, cookie replies and receiver cases\n"
	      "Exit status: 0 all passed, 1 some case failed (with --noise: or\n"
	      "none ran), 2 usage error or unreadable/malformed file.\n",
	      f);
}

int main(int argc, char **argv)
{
	struct vecfile_tally t = {0};
	struct corpus c;
	bool malformed = false, noise = false, mesh = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tap") == 0) {
			t.tap = true;
		} else if (strcmp(argv[i], "--noise") == 0) {
			noise = true;
		} else if (strcmp(argv[i], "--mesh") == 0) {
			mesh = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cliarg_usage_error("subnetra-conformance", synopsis,
						  "unknown option '%s'", argv[i]);
		} else {
			break;
		}
	}
	if (i >= argc)
		return cliarg_usage_error("subnetra-conformance", synopsis,
					  "no vector file given");
	if (noise && mesh)
		return cliarg_usage_error("subnetra-conformance", synopsis,
					  "--noise and --mesh exclude each other");
	if (sodium_init() < 0) {
		fputs("subnetra-conformance: sodium_init failed\n", stderr);
		return 2;
	}
	for (; i < argc; i++) {
		if (noise) {
			malformed |= !noisevec_run_file(argv[i], &t);
			continue;
		}
		if (mesh) {
			malformed |= !meshvec_run_file(argv[i], &t);
			continue;
		}
		if (!corpus_load(argv[i], &c)) {
			malformed = true;
			continue;
		}
		corpus_run(&c, &t);
		corpus_free(&c);
	}
	if (t.tap)
		printf("1..%zu\n", t.passed + t.failed + t.skipped);
	if (noise || mesh)
		printf("%zu passed, %zu failed, %zu skipped\n", t.passed, t.failed,
		       t.skipped);
	else
		printf("%zu passed, %zu failed\n", t.passed, t.failed);
	if (malformed)
		return 2;
	if ((noise || mesh) && t.passed + t.failed == 0) {
		fputs("subnetra-conformance: no vector ran\n", stderr);
		return 1;
	}
	return t.failed ? 1 : 0;
}
