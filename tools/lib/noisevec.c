/* Noise test-vector files against core/mesh/noise (see noisevec.h). */
#include "tools/lib/noisevec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/mesh/noise.h"

enum {
	NAME_MAX_LEN = 96,
	MIN_MESSAGES = 2, /* the IK handshake */
};

/* One party's inputs. */
struct party {
	const char *prologue; /* hex, validated */
	size_t prologue_hex_len;
	uint8_t s[NOISE_DHLEN], e[NOISE_DHLEN], rs[NOISE_DHLEN];
	bool has_rs;
	uint8_t psk[NOISE_PSKLEN];
	bool has_psk;
};

struct vec {
	char name[NAME_MAX_LEN];
	const char *skip; /* why it is skipped, or NULL */
	enum noise_pattern pattern;
	struct party init, resp;
	bool has_hash;
	uint8_t hash[NOISE_HASHLEN];
	const struct json_value *messages; /* validated objects */
};

/* Message-sized scratch buffers: a message may be 65535 bytes. */
static uint8_t want_buf[NOISE_MAX_MSG], in_buf[NOISE_MAX_MSG], out_buf[NOISE_MAX_MSG];

static bool get_flag(const struct json_value *o, const char *key)
{
	const struct json_value *v = json_member_get(o, key);

	return v && v->type == JSON_BOOL && v->u.boolean;
}

/*
 * The protocol name, from protocol_name or from noise-c's pattern/dh/
 * cipher/hash members, into out; false (with an error) when there is none.
 */
static bool get_protocol(const struct vecfile_where *w, const struct json_value *o,
			 char *out, size_t cap)
{
	static const char *const parts[] = {"pattern", "dh", "cipher", "hash"};
	const char *s[4];
	size_t len[4];
	int n;

	if (json_member_get(o, "protocol_name") != NULL) {
		if (!vecfile_get_string(w, o, "protocol_name", &s[0], &len[0]))
			return false;
		n = snprintf(out, cap, "%.*s", (int)len[0], s[0]);
	} else {
		for (int i = 0; i < 4; i++) {
			if (json_member_get(o, parts[i]) == NULL)
				return vecfile_bad(
				    w, "protocol_name",
				    "missing (nor pattern, dh, cipher and hash)");
			if (!vecfile_get_string(w, o, parts[i], &s[i], &len[i]))
				return false;
		}
		n = snprintf(out, cap, "Noise_%.*s_%.*s_%.*s_%.*s", (int)len[0], s[0],
			     (int)len[1], s[1], (int)len[2], s[2], (int)len[3], s[3]);
	}
	if (n < 0 || (size_t)n >= cap || strlen(out) != (size_t)n)
		return vecfile_bad(w, "protocol_name",
				   "longer than %zu bytes or holds NUL", cap - 1);
	return true;
}

static bool get_key32(const struct vecfile_where *w, const struct json_value *o,
		      const char *key, uint8_t out[32])
{
	size_t n;

	return vecfile_get_hex(w, o, key, out, 32, 32, &n);
}

/* Any-length hex (at most a Noise message), checked now and decoded at run. */
static bool get_blob(const struct vecfile_where *w, const struct json_value *o,
		     const char *key, const char **hex, size_t *hex_len)
{
	size_t n;

	if (!vecfile_get_hex(w, o, key, want_buf, 0, NOISE_MAX_MSG, &n))
		return false;
	return vecfile_get_string(w, o, key, hex, hex_len);
}

/* init_psks / resp_psks: an array of 32-byte hex keys, of the pattern's count. */
static bool get_psks(const struct vecfile_where *w, const struct json_value *o,
		     const char *key, enum noise_pattern p, struct party *pt)
{
	const struct json_value *arr = json_member_get(o, key);
	size_t want = p == NOISE_IK ? 0 : 1, have, n;
	const char *err;
	struct vecfile_where wi;

	have = arr ? (arr->type == JSON_ARRAY ? arr->u.array.n : SIZE_MAX) : 0;
	if (have == SIZE_MAX)
		return vecfile_bad(w, key, "must be an array");
	if (have != want)
		return vecfile_bad(w, key, "%zu psks, the pattern takes %zu", have, want);
	if (want == 0)
		return true;
	vecfile_where_sub(&wi, w, "%s[0]", key);
	if (arr->u.array.items[0].type != JSON_STRING)
		return vecfile_bad(&wi, NULL, "must be a string");
	err = vecfile_hex(arr->u.array.items[0].u.string.bytes,
			  arr->u.array.items[0].u.string.len, pt->psk, NOISE_PSKLEN, &n);
	if (err)
		return vecfile_bad(&wi, NULL, "%s", err);
	if (n != NOISE_PSKLEN)
		return vecfile_bad(&wi, NULL, "%zu bytes, must be %d", n, NOISE_PSKLEN);
	pt->has_psk = true;
	return true;
}

static bool get_party(const struct vecfile_where *w, const struct json_value *o,
		      const char *side, enum noise_pattern p, struct party *pt)
{
	char k[32];

#define KEY(name) (snprintf(k, sizeof k, "%s_" name, side), k)
	if (!get_blob(w, o, KEY("prologue"), &pt->prologue, &pt->prologue_hex_len) ||
	    !get_key32(w, o, KEY("static"), pt->s) ||
	    !get_key32(w, o, KEY("ephemeral"), pt->e) ||
	    !get_psks(w, o, KEY("psks"), p, pt))
		return false;
	pt->has_rs = json_member_get(o, KEY("remote_static")) != NULL;
	if (pt->has_rs && !get_key32(w, o, k, pt->rs))
		return false;
#undef KEY
	return true;
}

static bool get_messages(const struct vecfile_where *w, const struct json_value *o,
			 struct vec *v)
{
	const struct json_value *arr = vecfile_field(w, o, "messages", JSON_ARRAY);
	struct vecfile_where wm;
	const char *hex;
	size_t len;

	if (!arr)
		return false;
	if (arr->u.array.n < MIN_MESSAGES)
		return vecfile_bad(w, "messages", "%zu, the handshake alone takes %d",
				   arr->u.array.n, MIN_MESSAGES);
	for (size_t i = 0; i < arr->u.array.n; i++) {
		const struct json_value *m = &arr->u.array.items[i];

		vecfile_where_sub(&wm, w, "messages[%zu]", i);
		if (m->type != JSON_OBJECT)
			return vecfile_bad(&wm, NULL, "must be an object");
		if (!get_blob(&wm, m, "payload", &hex, &len) ||
		    !get_blob(&wm, m, "ciphertext", &hex, &len))
			return false;
	}
	v->messages = arr;
	return true;
}

static bool load_vec(const struct vecfile_where *w, const struct json_value *o, size_t i,
		     struct vec *v)
{
	char proto[64];
	size_t n;

	if (o->type != JSON_OBJECT)
		return vecfile_bad(w, NULL, "must be an object");
	if (!get_protocol(w, o, proto, sizeof proto))
		return false;
	snprintf(v->name, sizeof v->name, "vectors[%zu] %s", i, proto);
	if (get_flag(o, "fallback") || json_member_get(o, "fallback_pattern") ||
	    json_member_get(o, "hybrid") || get_flag(o, "fail")) {
		v->skip = "fallback, hybrid or expected-failure vector";
		return true;
	}
	if (!noise_pattern_from_name(proto, strlen(proto), &v->pattern)) {
		v->skip = "protocol not supported (only IK, IKpsk1, IKpsk2 with "
			  "25519_ChaChaPoly_SHA256)";
		return true;
	}
	if (!get_party(w, o, "init", v->pattern, &v->init) ||
	    !get_party(w, o, "resp", v->pattern, &v->resp))
		return false;
	if (!v->init.has_rs)
		return vecfile_bad(w, "init_remote_static", "missing (IK's pre-message)");
	v->has_hash = json_member_get(o, "handshake_hash") != NULL;
	if (v->has_hash && !vecfile_get_hex(w, o, "handshake_hash", v->hash,
					    NOISE_HASHLEN, NOISE_HASHLEN, &n))
		return false;
	return get_messages(w, o, v);
}

/* ---- running ------------------------------------------------------------- */

/* Decode a hex string checked at load time. */
static size_t unhex(const char *hex, size_t hex_len, uint8_t *out)
{
	size_t n = 0;

	(void)vecfile_hex(hex, hex_len, out, NOISE_MAX_MSG, &n);
	return n;
}

static size_t member_hex(const struct json_value *m, const char *key, uint8_t *out)
{
	const struct json_value *s = json_member_get(m, key);

	return unhex(s->u.string.bytes, s->u.string.len, out);
}

static int start(struct noise_handshake *hs, const struct vec *v, const struct party *p,
		 bool initiator)
{
	size_t n = unhex(p->prologue, p->prologue_hex_len, in_buf);
	int err =
	    noise_handshake_init(hs, v->pattern, initiator, in_buf, n, p->s,
				 initiator ? p->rs : NULL, p->has_psk ? p->psk : NULL);

	return err ? err : noise_handshake_set_ephemeral(hs, p->e);
}

/* Both sides' handshake hash, equal to each other and to the file's. */
static void check_hash(const struct vec *v, const struct noise_handshake *hi,
		       const struct noise_handshake *hr, char *why, size_t cap)
{
	uint8_t h_i[NOISE_HASHLEN], h_r[NOISE_HASHLEN];

	noise_handshake_hash(hi, h_i);
	noise_handshake_hash(hr, h_r);
	vecfile_why_bytes(why, cap, "handshake hash: responder's vs initiator's", h_r,
			  sizeof h_r, h_i, sizeof h_i);
	if (v->has_hash)
		vecfile_why_bytes(why, cap, "handshake_hash", h_i, sizeof h_i, v->hash,
				  sizeof v->hash);
}

/*
 * Message i: the sender makes it from the payload (compared with the
 * file's ciphertext), the receiver reads the file's ciphertext (compared
 * with the payload).  Handshake messages go through the handshake states,
 * later ones through the split ciphers.
 */
static void run_message(size_t i, const struct json_value *m,
			struct noise_handshake hs[2], struct noise_cipher send[2],
			struct noise_cipher recv[2], char *why, size_t cap)
{
	size_t pt_len = member_hex(m, "payload", want_buf);
	size_t ct_len = member_hex(m, "ciphertext", in_buf);
	unsigned from = i % 2, to = 1 - from;
	size_t out_len = 0;
	int err;

	if (i < MIN_MESSAGES)
		err = noise_handshake_write(&hs[from], want_buf, pt_len, out_buf,
					    sizeof out_buf, &out_len);
	else
		err = noise_cipher_encrypt(&send[from], NULL, 0, want_buf, pt_len,
					   out_buf, sizeof out_buf, &out_len);
	if (err) {
		vecfile_why_add(why, cap, "message %zu: writing failed (%s)", i,
				strerror(-err));
		return;
	}
	vecfile_why_bytes(why, cap, "ciphertext", out_buf, out_len, in_buf, ct_len);
	if (i < MIN_MESSAGES)
		err = noise_handshake_read(&hs[to], in_buf, ct_len, out_buf,
					   sizeof out_buf, &out_len);
	else
		err = noise_cipher_decrypt(&recv[to], NULL, 0, in_buf, ct_len, out_buf,
					   sizeof out_buf, &out_len);
	if (err)
		vecfile_why_add(why, cap,
				"message %zu: reading the file's ciphertext failed (%s)",
				i, strerror(-err));
	else
		vecfile_why_bytes(why, cap, "payload read", out_buf, out_len, want_buf,
				  pt_len);
	if (why[0])
		vecfile_why_add(why, cap, "(message %zu, %s)", i,
				from ? "responder" : "initiator");
}

static bool run_vec(const struct vec *v, char *why, size_t cap)
{
	struct noise_handshake hs[2]; /* [0] initiator, [1] responder */
	struct noise_cipher send[2], recv[2];
	uint8_t rs[NOISE_DHLEN];
	int err;

	memset(send, 0, sizeof send);
	memset(recv, 0, sizeof recv);
	memset(hs, 0, sizeof hs);
	err = start(&hs[0], v, &v->init, true);
	if (!err)
		err = start(&hs[1], v, &v->resp, false);
	if (err)
		vecfile_why_add(why, cap, "handshake set-up failed (%s)", strerror(-err));
	for (size_t i = 0; i < v->messages->u.array.n && !why[0]; i++) {
		run_message(i, &v->messages->u.array.items[i], hs, send, recv, why, cap);
		if (i == 0 && !why[0] && v->resp.has_rs &&
		    noise_handshake_remote_static(&hs[1], rs) == 0)
			vecfile_why_bytes(why, cap, "resp_remote_static (as learned)", rs,
					  sizeof rs, v->resp.rs, sizeof v->resp.rs);
		if (i + 1 != MIN_MESSAGES || why[0])
			continue;
		check_hash(v, &hs[0], &hs[1], why, cap);
		for (int p = 0; p < 2 && !why[0]; p++) {
			err = noise_handshake_split(&hs[p], &send[p], &recv[p], NULL);
			if (err)
				vecfile_why_add(why, cap, "split failed (%s)",
						strerror(-err));
		}
	}
	for (int p = 0; p < 2; p++) {
		noise_handshake_wipe(&hs[p]);
		noise_cipher_wipe(&send[p]);
		noise_cipher_wipe(&recv[p]);
	}
	return why[0] == '\0';
}

static void vec_wipe(struct vec *v)
{
	sodium_memzero(v, sizeof *v);
}

bool noisevec_run_file(const char *file, struct vecfile_tally *t)
{
	struct vecfile_where w = {.file = file}, wv;
	const struct json_value *arr;
	struct json_value root;
	struct vec *vecs = NULL;
	char why[VECFILE_MSG_MAX];
	size_t n = 0;
	bool ok = false;

	if (!vecfile_load(file, &root))
		return false;
	if (root.type != JSON_OBJECT) {
		fprintf(stderr, "%s: top level must be an object\n", file);
		goto out_json;
	}
	arr = vecfile_field(&w, &root, "vectors", JSON_ARRAY);
	if (!arr)
		goto out_json;
	n = arr->u.array.n;
	vecs = calloc(n ? n : 1, sizeof *vecs);
	if (!vecs) {
		fprintf(stderr, "%s: out of memory\n", file);
		goto out_json;
	}
	for (size_t i = 0; i < n; i++) {
		vecfile_where_sub(&wv, &w, "vectors[%zu]", i);
		if (!load_vec(&wv, &arr->u.array.items[i], i, &vecs[i]))
			goto out_vecs;
	}
	for (size_t i = 0; i < n; i++) {
		why[0] = '\0';
		if (vecs[i].skip)
			vecfile_skip(t, "noise", vecs[i].name, vecs[i].skip);
		else
			vecfile_record(t, "noise", vecs[i].name,
				       run_vec(&vecs[i], why, sizeof why), why);
	}
	ok = true;
out_vecs:
	for (size_t i = 0; i < n; i++)
		vec_wipe(&vecs[i]);
	free(vecs);
out_json:
	json_free(&root);
	return ok;
}
