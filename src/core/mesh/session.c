/*
 * Mesh sessions (session.h): keypair slots, DATA seal/open, timers, and
 * the local index table.  Keypairs live in three fixed slots per peer and
 * the roles previous/current/next name slots, so a promotion moves no key
 * material and a dropped keypair is wiped where it lies.
 */
#include "core/mesh/session.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/bytes/byteorder.h"

static const char *const verdict_names[SESSION_VERDICT_END] = {
    [SESSION_KEEPALIVE] = "keepalive",
    [SESSION_PACKET] = "packet",
    [SESSION_CONTROL] = "control",
#define SESSION_DROP_NAME(up, low) [SESSION_DROP_##up] = #low,
    SESSION_DROP_REASONS(SESSION_DROP_NAME)
#undef SESSION_DROP_NAME
};

const char *session_verdict_name(enum session_verdict v)
{
	if ((unsigned)v >= SESSION_VERDICT_END)
		return "?";
	return verdict_names[v];
}

/* ---- index table -------------------------------------------------------- */

void session_index_init(struct session_index *t)
{
	memset(t, 0, sizeof *t);
	crypto_shorthash_keygen(t->hash_key);
}

static size_t home_slot(const struct session_index *t, uint32_t index)
{
	uint8_t in[4], h[crypto_shorthash_BYTES];

	store_be32(in, index);
	crypto_shorthash(h, in, sizeof in, t->hash_key);
	return (size_t)load_be64(h) & (SESSION_INDEX_SLOTS - 1);
}

int session_index_insert(struct session_index *t, uint32_t index, struct session *s)
{
	size_t home, free_at = SIZE_MAX;

	if (index == 0)
		return -EINVAL;
	home = home_slot(t, index);
	for (size_t i = 0; i < SESSION_INDEX_PROBE; i++) {
		struct session_index_entry *e =
		    &t->slot[(home + i) & (SESSION_INDEX_SLOTS - 1)];

		if (e->index == index)
			return -EEXIST;
		if (e->index == 0 && free_at == SIZE_MAX)
			free_at = (home + i) & (SESSION_INDEX_SLOTS - 1);
	}
	if (free_at == SIZE_MAX)
		return -ENOSPC;
	t->slot[free_at].index = index;
	t->slot[free_at].session = s;
	return 0;
}

int session_index_alloc(struct session_index *t, struct session *s, uint32_t *index)
{
	/* A few draws: a full window or a collision is rare at our sizes. */
	for (int tries = 0; tries < 8; tries++) {
		uint32_t v = randombytes_random();

		if (v != 0 && session_index_insert(t, v, s) == 0) {
			*index = v;
			return 0;
		}
	}
	return -ENOSPC;
}

struct session *session_index_lookup(const struct session_index *t, uint32_t index)
{
	size_t home;

	if (index == 0)
		return NULL;
	home = home_slot(t, index);
	for (size_t i = 0; i < SESSION_INDEX_PROBE; i++) {
		const struct session_index_entry *e =
		    &t->slot[(home + i) & (SESSION_INDEX_SLOTS - 1)];

		if (e->index == index)
			return e->session;
	}
	return NULL;
}

void session_index_remove(struct session_index *t, uint32_t index)
{
	size_t home;

	if (index == 0)
		return;
	home = home_slot(t, index);
	for (size_t i = 0; i < SESSION_INDEX_PROBE; i++) {
		struct session_index_entry *e =
		    &t->slot[(home + i) & (SESSION_INDEX_SLOTS - 1)];

		if (e->index == index) {
			e->index = 0;
			e->session = NULL;
			return;
		}
	}
}

/* ---- keypairs ----------------------------------------------------------- */

void session_init(struct session *s, const uint8_t our_addr[IDENTITY_ADDR_LEN],
		  const uint8_t peer_addr[IDENTITY_ADDR_LEN])
{
	sodium_memzero(s, sizeof *s);
	memcpy(s->our_addr, our_addr, IDENTITY_ADDR_LEN);
	memcpy(s->peer_addr, peer_addr, IDENTITY_ADDR_LEN);
	s->previous = s->current = s->next = -1;
	session_timers_init(&s->timers, SESSION_REKEY_DEFAULT_S);
}

void session_timers_init(struct session_timers *t, unsigned rekey_s)
{
	uint64_t r = (uint64_t)rekey_s * SESSION_NS_PER_S;

	t->rekey_after_ns = r;
	t->reject_after_ns = r * 3 / 2;
	t->rekey_on_recv_ns = t->reject_after_ns - r / 8;
	t->zero_after_ns = 3 * t->reject_after_ns;
}

static void drop_role(struct session *s, struct session_index *t, int8_t *role)
{
	struct session_keypair *kp;

	if (*role < 0)
		return;
	kp = &s->slot[*role];
	if (t != NULL)
		session_index_remove(t, kp->local_index);
	sodium_memzero(kp, sizeof *kp);
	*role = -1;
}

static int8_t free_slot(const struct session *s)
{
	for (int8_t i = 0; i < SESSION_KEYPAIRS; i++)
		if (i != s->previous && i != s->current && i != s->next)
			return i;
	return -1; /* not reached: install frees a slot first */
}

void session_install(struct session *s, struct session_index *t, struct hs_keys *keys,
		     uint64_t now_ns)
{
	struct session_keypair *kp;
	int8_t at;

	if (keys->initiator) {
		/* A responder keypair still waiting in next is kept as
		 * previous (simultaneous initiation), the old current goes. */
		drop_role(s, t, &s->previous);
		if (s->next >= 0) {
			drop_role(s, t, &s->current);
			s->previous = s->next;
			s->next = -1;
		} else {
			s->previous = s->current;
		}
		s->current = -1;
		at = free_slot(s);
		s->current = at;
	} else {
		drop_role(s, t, &s->next);
		drop_role(s, t, &s->previous);
		at = free_slot(s);
		s->next = at;
	}
	kp = &s->slot[at];
	sodium_memzero(kp, sizeof *kp);
	kp->send = keys->send;
	kp->recv = keys->recv;
	mreplay_init(&kp->replay);
	kp->birth_ns = now_ns;
	kp->local_index = keys->local_index;
	kp->remote_index = keys->remote_index;
	kp->initiator = keys->initiator;
	kp->valid = true;
	s->last_derived_ns = now_ns;
	s->have_keys = true;
	hs_keys_wipe(keys);
}

void session_wipe_keys(struct session *s, struct session_index *t)
{
	drop_role(s, t, &s->previous);
	drop_role(s, t, &s->current);
	drop_role(s, t, &s->next);
	sodium_memzero(s->slot, sizeof s->slot);
	s->have_keys = false;
}

const struct session_keypair *session_current(const struct session *s)
{
	return s->current >= 0 ? &s->slot[s->current] : NULL;
}

/* ---- timers ------------------------------------------------------------- */

/* now - then, 0 when the clock went backwards. */
static uint64_t age(uint64_t then, uint64_t now)
{
	return now > then ? now - then : 0;
}

bool session_keypair_expired(const struct session_keypair *kp, const struct session_timers *t,
			     uint64_t now_ns)
{
	return !kp->valid || age(kp->birth_ns, now_ns) >= t->reject_after_ns ||
	       kp->send_counter >= SESSION_REJECT_AFTER_MESSAGES;
}

bool session_should_rekey_send(const struct session_keypair *kp,
			       const struct session_timers *t, uint64_t now_ns)
{
	if (kp == NULL || !kp->valid)
		return true;
	return kp->send_counter >= SESSION_REKEY_AFTER_MESSAGES ||
	       (kp->initiator &&
		age(kp->birth_ns, now_ns) >= t->rekey_after_ns);
}

bool session_should_rekey_recv(const struct session_keypair *kp,
			       const struct session_timers *t, uint64_t now_ns)
{
	return kp != NULL && kp->valid && kp->initiator &&
	       age(kp->birth_ns, now_ns) >= t->rekey_on_recv_ns;
}

enum session_retransmit session_retransmit_due(uint64_t started_ns, uint64_t last_sent_ns,
					       unsigned sent, uint64_t now_ns,
					       uint64_t *next_ns)
{
	uint64_t due = last_sent_ns +
		       (sent <= 1 ? SESSION_REKEY_FIRST_NS : SESSION_REKEY_TIMEOUT_NS);
	uint64_t end = started_ns + SESSION_REKEY_ATTEMPT_NS;

	if (now_ns >= end) {
		*next_ns = end;
		return SESSION_RETX_GIVE_UP;
	}
	if (due >= end) {
		*next_ns = end; /* no further copy fits: wake up to give up */
		return SESSION_RETX_WAIT;
	}
	*next_ns = due;
	return now_ns >= due ? SESSION_RETX_SEND : SESSION_RETX_WAIT;
}

bool session_zero_due(const struct session *s, uint64_t now_ns)
{
	return s->have_keys && age(s->last_derived_ns, now_ns) >= s->timers.zero_after_ns;
}

/* ---- DATA --------------------------------------------------------------- */

int session_seal(struct session *s, uint64_t now_ns, uint8_t *buf, size_t pt_len,
		 size_t cap, size_t *out_len)
{
	struct session_keypair *kp;
	struct msg_data_header h;
	size_t n;

	if (s->current < 0)
		return -ENOKEY;
	kp = &s->slot[s->current];
	if (session_keypair_expired(kp, &s->timers, now_ns))
		return -ENOKEY;
	if (pt_len > MSG_DATA_MAX_PLAINTEXT)
		return -EMSGSIZE;
	if (cap < MSG_DATA_HEADER_LEN + pt_len + MSG_TAG_LEN)
		return -ENOBUFS;
	h.receiver = kp->remote_index;
	h.counter = kp->send_counter;
	msg_data_header_put(buf, &h);
	if (noise_cipher_encrypt_at(
		&kp->send, h.counter, buf, MSG_DATA_HEADER_LEN, buf + MSG_DATA_HEADER_LEN,
		pt_len, buf + MSG_DATA_HEADER_LEN, cap - MSG_DATA_HEADER_LEN, &n) != 0)
		return -ENOKEY; /* not reached: the counter is below the limit */
	kp->send_counter++;
	*out_len = MSG_DATA_HEADER_LEN + n;
	return 0;
}

static struct session_keypair *find_keypair(struct session *s, uint32_t index,
					    int8_t **role)
{
	int8_t *roles[] = {&s->current, &s->next, &s->previous};

	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		if (*roles[i] >= 0 && s->slot[*roles[i]].local_index == index) {
			*role = roles[i];
			return &s->slot[*roles[i]];
		}
	}
	return NULL;
}

/* Why counter is refused, given that mreplay_check refused it. */
static enum session_verdict window_reason(const struct mreplay *w, uint64_t counter)
{
	if (counter >= MREPLAY_REJECT_AFTER)
		return SESSION_DROP_COUNTER_LIMIT;
	if (counter < w->last && w->last - counter > MREPLAY_WINDOW)
		return SESSION_DROP_TOO_OLD;
	return SESSION_DROP_REPLAY;
}

/* The inner packet: IPv6 from the peer to us or a multicast group. */
static enum session_verdict check_inner(const struct session *s, const uint8_t *p,
					size_t n)
{
	if (n == 0)
		return SESSION_KEEPALIVE;
	if (p[0] >= 0x01 && p[0] <= 0x2f)
		return SESSION_CONTROL;
	if (p[0] >> 4 != 6)
		return SESSION_DROP_INNER_NOT_IPV6;
	if (n < SESSION_IPV6_HEADER)
		return SESSION_DROP_INNER_TRUNCATED;
	if (memcmp(p + 8, s->peer_addr, IDENTITY_ADDR_LEN) != 0)
		return SESSION_DROP_INNER_BAD_SOURCE;
	if (p[24] != 0xff && memcmp(p + 24, s->our_addr, IDENTITY_ADDR_LEN) != 0)
		return SESSION_DROP_INNER_BAD_DEST;
	return SESSION_PACKET;
}

enum session_verdict session_open(struct session *s, struct session_index *t,
				  uint64_t now_ns, uint8_t *msg, size_t len,
				  const uint8_t **pt, size_t *pt_len)
{
	struct session_keypair *kp;
	struct msg_data_header h;
	enum session_verdict v;
	int8_t *role;
	size_t n;

	*pt = NULL;
	*pt_len = 0;
	if (len < MSG_DATA_MIN_LEN || len > MSG_DATA_MAX_LEN)
		return SESSION_DROP_BAD_LENGTH;
	if (msg[MSG_OFF_TYPE] != MSG_DATA)
		return SESSION_DROP_BAD_TYPE;
	if ((msg[1] | msg[2] | msg[3]) != 0)
		return SESSION_DROP_BAD_RESERVED;
	msg_data_header_get(&h, msg);
	kp = find_keypair(s, h.receiver, &role);
	if (kp == NULL)
		return SESSION_DROP_UNKNOWN_INDEX;
	if (age(kp->birth_ns, now_ns) >= s->timers.reject_after_ns)
		return SESSION_DROP_EXPIRED;
	if (!mreplay_check(&kp->replay, h.counter))
		return window_reason(&kp->replay, h.counter);
	/* In place; on failure libsodium zeroes the body (the caller's
	 * datagram buffer, dropped anyway), never state of ours. */
	if (noise_cipher_decrypt_at(&kp->recv, h.counter, msg, MSG_DATA_HEADER_LEN,
				    msg + MSG_DATA_HEADER_LEN, len - MSG_DATA_HEADER_LEN,
				    msg + MSG_DATA_HEADER_LEN, len - MSG_DATA_HEADER_LEN,
				    &n) != 0)
		return SESSION_DROP_BAD_TAG;
	v = check_inner(s, msg + MSG_DATA_HEADER_LEN, n);
	if (session_verdict_is_drop(v))
		return v;
	if (!mreplay_mark(&kp->replay, h.counter))
		return window_reason(&kp->replay, h.counter);
	if (role == &s->next) {
		/* Key confirmation: the initiator has the keys; promote. */
		int8_t at = s->next;

		s->next = -1;
		drop_role(s, t, &s->previous);
		s->previous = s->current;
		s->current = at;
	}
	*pt = msg + MSG_DATA_HEADER_LEN;
	*pt_len = n;
	return v;
}
