/*
 * Forwarding policy: LPM table with a two-slot RCU-style swap.
 *
 * Publication: every update writes the next table completely into the spare
 * slot, then publishes it with a (sequentially consistent, so also release)
 * store; policy_active() loads with acquire semantics, so a reader sees
 * either the old or the new table, never a torn one.  The spare slot is the
 * table that was active before the previous update, so reusing it is only
 * safe once no reader still holds that pointer.  A reader never keeps the pointer
 * across a wake-up.  With one reactor thread (which also runs the control
 * socket, the only writer) that alone is the guarantee; with several
 * (p->readers set) an update first waits for a grace period: every other
 * thread has been quiescent since the previous publication (qsbr.h).
 * Updates are rare and the wait is usually zero; while it lasts, worker 0
 * (the writer) serves no packets, at most POLICY_GRACE_TIMEOUT_NS.  An
 * update that changes nothing (a del that matches nothing) publishes
 * nothing and never waits.
 *
 * Lookup tries the distinct dst prefix lengths longest first; for each it
 * probes the hash for the packet's network at that length and walks the
 * rules with exactly that dst in insertion order.  So the first rule whose
 * dst and src both contain the packet is the longest-prefix match with the
 * documented "earlier rule wins" tie-break, at one probe per length.
 */
#include "core/policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void policy_init(struct policy *p)
{
	memset(p->slots, 0, sizeof(p->slots));
	atomic_init(&p->active, &p->slots[0]);
	p->readers = NULL;
}

/* Sequentially consistent (not just acquire) for the grace period: qsbr.h. */
const struct policy_table *policy_active(const struct policy *p)
{
	return atomic_load_explicit(&p->active, memory_order_seq_cst);
}

static bool rule_equal(const struct policy_rule *a, const struct policy_rule *b)
{
	return cidr_equal(&a->src, &b->src) && cidr_equal(&a->dst, &b->dst) &&
	       a->action == b->action && a->target == b->target;
}

bool policy_contains(const struct policy_table *t, const struct policy_rule *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (rule_equal(&t->rules[i], r))
			return true;
	return false;
}

/* Table contents are trusted (config, root's control socket): a plain mix. */
static size_t slot_of(uint8_t len, uint32_t net)
{
	uint64_t k = ((uint64_t)len << 32 | net) * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(k >> 40) & (POLICY_HASH_SLOTS - 1);
}

/* Rule index + 1 of the first rule whose dst is net/len, or the free slot. */
static size_t find_slot(const struct policy_table *t, uint8_t len, uint32_t net)
{
	size_t i = slot_of(len, net);

	for (;; i = (i + 1) & (POLICY_HASH_SLOTS - 1)) {
		const struct policy_rule *r;

		if (t->head[i] == 0)
			return i;
		r = &t->rules[t->head[i] - 1];
		if (r->dst.prefix == len && cidr_network(&r->dst) == net)
			return i;
	}
}

static void index_rebuild(struct policy_table *t)
{
	bool seen[33] = {false};
	uint32_t tail[MAX_POLICY_ENTRIES];

	memset(t->head, 0, sizeof(t->head));
	t->n_lens = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct cidr *dst = &t->rules[i].dst;
		size_t s = find_slot(t, dst->prefix, cidr_network(dst));

		seen[dst->prefix] = true;
		t->next[i] = 0;
		if (t->head[s] == 0) {
			t->head[s] = (uint32_t)i + 1;
		} else {
			/* tail[] of the chain's first rule: append in insertion order */
			t->next[tail[t->head[s] - 1]] = (uint32_t)i + 1;
		}
		tail[t->head[s] - 1] = (uint32_t)i;
	}
	for (int len = 32; len >= 0; len--)
		if (seen[len])
			t->lens[t->n_lens++] = (uint8_t)len;
}

/* Out-of-range prefixes would fall outside the index and never match. */
static bool rule_valid(const struct policy_rule *r)
{
	return r->src.prefix <= 32 && r->dst.prefix <= 32 &&
	       (r->action == POLICY_DROP || r->action == POLICY_FORWARD);
}

static bool same_match(const struct policy_rule *r, const struct cidr *src,
		       const struct cidr *dst)
{
	return cidr_equal(&r->src, src) && cidr_equal(&r->dst, dst);
}

static bool is_added(const struct policy_table *t, size_t i)
{
	return t->origin[i] == POLICY_ORIGIN_ADDED;
}

static struct policy_table *current(struct policy *p)
{
	return atomic_load_explicit(&p->active, memory_order_relaxed);
}

/*
 * The slot to build the next table in: the one that was active until the
 * previous update, so no reader may still use it once the grace period has
 * passed.  NULL when it did not pass in time.
 */
static struct policy_table *spare(struct policy *p)
{
	struct policy_table *cur = current(p);

	if (p->readers != NULL && !qsbr_synchronize(p->readers, POLICY_GRACE_TIMEOUT_NS))
		return NULL;
	return cur == &p->slots[0] ? &p->slots[1] : &p->slots[0];
}

/* spare(), holding a copy of cur: the next table starts as the current one. */
static struct policy_table *spare_copy(struct policy *p, const struct policy_table *cur)
{
	struct policy_table *next = spare(p);

	if (next == NULL)
		return NULL;
	memcpy(next->rules, cur->rules, cur->n * sizeof(cur->rules[0]));
	memcpy(next->origin, cur->origin, cur->n * sizeof(cur->origin[0]));
	next->n = cur->n;
	return next;
}

/* Append to a table being built; the caller checked the capacity. */
static void put(struct policy_table *t, const struct policy_rule *r, enum policy_origin o)
{
	t->rules[t->n] = *r;
	/* A drop rule has no target; keep it 0 so the dump round-trips exactly. */
	if (r->action == POLICY_DROP)
		t->rules[t->n].target = 0;
	t->origin[t->n] = (uint8_t)o;
	t->n++;
}

static void publish(struct policy *p, struct policy_table *next)
{
	index_rebuild(next);
	atomic_store_explicit(&p->active, next, memory_order_seq_cst);
}

int policy_add(struct policy *p, const struct policy_rule *r)
{
	struct policy_table *cur = current(p), *next;

	if (!rule_valid(r))
		return -EINVAL;
	if (cur->n >= MAX_POLICY_ENTRIES)
		return -ENOSPC;
	next = spare_copy(p, cur);
	if (next == NULL)
		return -EBUSY;
	put(next, r, POLICY_ORIGIN_ADDED);
	publish(p, next);
	return 0;
}

/* Is rules[i] an added rule that sel picks (every added rule when sel is NULL)? */
static bool selected(const struct policy_table *t, size_t i, const struct policy_rule *sel)
{
	return is_added(t, i) && (sel == NULL || same_match(&t->rules[i], &sel->src, &sel->dst));
}

/*
 * The one edit behind del, replace and flush: every added rule that sel
 * picks is removed, except that with a replacement the first of them
 * becomes it, in its place (the later ones could never match: the first
 * shadows them).  Returns how many sel picked; none publishes nothing.
 */
static int edit_added(struct policy *p, const struct policy_rule *sel,
		      const struct policy_rule *with)
{
	struct policy_table *cur = current(p), *next;
	bool replaced = false;
	int picked = 0;

	for (size_t i = 0; i < cur->n; i++)
		picked += selected(cur, i, sel);
	if (picked == 0)
		return 0;
	next = spare(p);
	if (next == NULL)
		return -EBUSY;
	next->n = 0;
	for (size_t i = 0; i < cur->n; i++) {
		if (!selected(cur, i, sel)) {
			put(next, &cur->rules[i], cur->origin[i]);
		} else if (with != NULL && !replaced) {
			put(next, with, POLICY_ORIGIN_ADDED);
			replaced = true;
		}
	}
	publish(p, next);
	return picked;
}

int policy_del(struct policy *p, const struct cidr *src, const struct cidr *dst)
{
	struct policy_rule sel = {.src = *src, .dst = *dst};

	return edit_added(p, &sel, NULL);
}

int policy_replace(struct policy *p, const struct policy_rule *r)
{
	int picked;

	if (!rule_valid(r))
		return -EINVAL;
	picked = edit_added(p, r, r);
	return picked > 0 ? 1 : picked;
}

int policy_flush_added(struct policy *p)
{
	return edit_added(p, NULL, NULL);
}

/*
 * Is r identical to one of rules[0..n), as stored (a drop rule's target is
 * stored as 0, whatever the caller's array says)?
 */
static bool among(const struct policy_rule *r, const struct policy_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct policy_rule stored = rules[i];

		if (stored.action == POLICY_DROP)
			stored.target = 0;
		if (rule_equal(r, &stored))
			return true;
	}
	return false;
}

int policy_rederive(struct policy *p, const struct policy_rule *derived, size_t n)
{
	struct policy_table *cur = current(p), *next;
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!rule_valid(&derived[i]))
			return -EINVAL;
	/* Counted before the grace period: a refusal never waits. */
	for (size_t i = 0; i < cur->n; i++)
		kept += is_added(cur, i) && !among(&cur->rules[i], derived, n);
	if (n > MAX_POLICY_ENTRIES || kept > MAX_POLICY_ENTRIES - n)
		return -ENOSPC;
	next = spare(p);
	if (next == NULL)
		return -EBUSY;
	next->n = 0;
	for (size_t i = 0; i < n; i++)
		put(next, &derived[i], POLICY_ORIGIN_DERIVED);
	for (size_t i = 0; i < cur->n; i++)
		if (is_added(cur, i) && !among(&cur->rules[i], derived, n))
			put(next, &cur->rules[i], POLICY_ORIGIN_ADDED);
	publish(p, next);
	return 0;
}

const struct policy_rule *policy_find(const struct policy_table *t, const struct cidr *src,
				      const struct cidr *dst, enum policy_origin *origin)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!same_match(&t->rules[i], src, dst))
			continue;
		if (origin != NULL)
			*origin = (enum policy_origin)t->origin[i];
		return &t->rules[i];
	}
	return NULL;
}

const struct policy_rule *policy_lookup(const struct policy_table *t, uint32_t src,
					uint32_t dst)
{
	for (size_t l = 0; l < t->n_lens; l++) {
		uint8_t len = t->lens[l];
		size_t s = find_slot(t, len, dst & cidr_mask(len));

		for (uint32_t i = t->head[s]; i != 0; i = t->next[i - 1]) {
			const struct policy_rule *r = &t->rules[i - 1];

			if (cidr_contains(&r->src, src))
				return r;
		}
	}
	return NULL;
}

size_t policy_rule_format(const struct policy_rule *r, char *buf, size_t cap)
{
	char src[CIDR_STR_MAX], dst[CIDR_STR_MAX];
	int n;

	cidr_format(&r->src, src);
	cidr_format(&r->dst, dst);
	if (r->action == POLICY_FORWARD)
		n = snprintf(
		    buf, cap,
		    "policy add --src %s --dst %s --action forward --target %u\n", src,
		    dst, (unsigned)r->target);
	else
		n = snprintf(buf, cap, "policy add --src %s --dst %s --action drop\n",
			     src, dst);
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t policy_dump(const struct policy_table *t, char *buf, size_t cap)
{
	static const char empty[] = "# no policy rules\n";
	size_t len = 0;

	if (t->n == 0) {
		if (cap < sizeof(empty))
			goto too_small;
		memcpy(buf, empty, sizeof(empty));
		return sizeof(empty) - 1;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t n = policy_rule_format(&t->rules[i], buf + len, cap - len);

		if (n == 0)
			goto too_small;
		len += n;
	}
	return len;

too_small:
	if (cap > 0)
		buf[0] = '\0';
	return 0;
}

int policy_add_many(struct policy *p, struct policy_rule *rules, size_t n)
{
	const struct policy_table *t = policy_active(p);
	struct policy_table *next;
	size_t fresh = 0;

	for (size_t i = 0; i < n; i++) {
		bool dup = policy_contains(t, &rules[i]);

		if (!rule_valid(&rules[i]))
			return -EINVAL;
		for (size_t j = 0; j < fresh && !dup; j++)
			dup = rule_equal(&rules[j], &rules[i]);
		if (!dup)
			rules[fresh++] = rules[i];
	}
	if (fresh == 0)
		return 0;
	if (t->n + fresh > MAX_POLICY_ENTRIES)
		return -ENOSPC;
	/* One publication, so readers never see half a snapshot. */
	next = spare_copy(p, t);
	if (next == NULL)
		return -EBUSY;
	for (size_t i = 0; i < fresh; i++)
		put(next, &rules[i], POLICY_ORIGIN_ADDED);
	publish(p, next);
	return (int)fresh;
}
