/*
 * The forwarding policy: an ordered table of rules matched on the inner
 * destination by longest prefix (the inner source must also fall in the
 * rule's src); on equal prefix lengths the earlier rule wins.
 *
 * Every rule has an origin: derived from the config (roles.c, and again on a
 * reload: policy_rederive) or added (at run time, or replayed from a
 * snapshot).  Only added rules can be deleted, replaced or flushed: the
 * derived ones are the config's and change only with it.  Derived rules
 * always come first (policy_rederive puts them there, and every other update
 * appends or removes added rules), so an added rule never wins an
 * equal-prefix tie against the config.
 *
 * Two tables are preallocated.  Every update builds the next table in the
 * spare slot and publishes it with one atomic pointer store, so a reader (the
 * data plane) always sees a complete table and an update never stalls or
 * drops a packet.  No allocation after policy_init().  With several reader
 * threads the spare slot is reused only after a grace period (qsbr.h).
 */
#ifndef SUBNETRA_POLICY_H
#define SUBNETRA_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/bounds.h"
#include "core/cidr.h"
#include "core/qsbr.h"

enum policy_action {
	POLICY_DROP,
	POLICY_FORWARD,
};

enum { POLICY_TARGET_LOCAL = 0 };

enum policy_origin {
	POLICY_ORIGIN_ADDED,   /* policy add at run time, or a snapshot line */
	POLICY_ORIGIN_DERIVED, /* the config's role (roles.c) */
};

struct policy_rule {
	struct cidr src;
	struct cidr dst;
	enum policy_action action;
	uint32_t target; /* forward: peer id, or 0 = local TUN */
};

/* Smallest power of two holding twice the rules (a load factor <= 1/2). */
#define POLICY_POW2_AT_LEAST(x)                                                            \
	((x) <= 512 ? 512 : (x) <= 1024 ? 1024 : (x) <= 2048 ? 2048 : (x) <= 4096 ? 4096    \
	 : (x) <= 8192 ? 8192 : (x) <= 16384 ? 16384 : (x) <= 32768 ? 32768                 \
	 : (x) <= 65536 ? 65536 : (x) <= 131072 ? 131072 : 262144)
enum { POLICY_HASH_SLOTS = POLICY_POW2_AT_LEAST(2 * MAX_POLICY_ENTRIES) };

/*
 * The lookup index, rebuilt with every table: the distinct dst prefix
 * lengths, longest first, and a hash of (length, dst network) -> the rules
 * with that dst in insertion order.  A lookup costs one probe per distinct
 * length, whatever the number of rules.
 */
struct policy_table {
	size_t n;
	struct policy_rule rules[MAX_POLICY_ENTRIES]; /* insertion order */
	uint8_t origin[MAX_POLICY_ENTRIES];  /* enum policy_origin of rules[i] */
	uint8_t lens[33];                    /* distinct dst prefix lengths, longest first */
	uint8_t n_lens;
	uint32_t head[POLICY_HASH_SLOTS];    /* 0 = empty, else first rule index + 1 */
	uint32_t next[MAX_POLICY_ENTRIES];   /* next rule with the same dst, index + 1 */
};

struct policy {
	struct policy_table slots[2];
	_Atomic(struct policy_table *) active;
	/* Reader threads to wait for before reusing a slot; NULL = one thread. */
	struct qsbr *readers;
};

/* How long an update waits for the readers to leave the spare table. */
#define POLICY_GRACE_TIMEOUT_NS UINT64_C(2000000000)

/*
 * Updates: one writer thread only.  Each returns -EBUSY when a reader thread
 * did not pass a quiescent state within POLICY_GRACE_TIMEOUT_NS, and -EINVAL
 * for a rule with a prefix above 32 or an unknown action; then, as with
 * -ENOSPC, nothing changed.  A drop rule is stored with target 0.
 */
void policy_init(struct policy *p);
/* Append one added rule and publish the new table.  0, -ENOSPC when full. */
int policy_add(struct policy *p, const struct policy_rule *r);
/*
 * Remove every added rule whose src and dst are exactly these (host bits
 * included).  Returns how many were removed; 0 (nothing published) when no
 * added rule matches, even if a derived one does.
 */
int policy_del(struct policy *p, const struct cidr *src, const struct cidr *dst);
/*
 * The first added rule with r's src and dst takes r's action and target, in
 * its place; any later added rule with the same src and dst (it could never
 * match: the first one shadows it) is removed.  1 when replaced, 0 (nothing
 * published) when no added rule has that src and dst.
 */
int policy_replace(struct policy *p, const struct policy_rule *r);
/* Remove every added rule.  Returns how many (0: nothing published). */
int policy_flush_added(struct policy *p);
/*
 * Publish a table made of derived[0..n) (origin derived, in this order)
 * followed by the current table's added rules in their order, minus any
 * that is identical to one of derived[]; the current derived rules are
 * dropped.  This is the table a reload needs.  0, -ENOSPC when the result
 * would not fit (nothing changed), -EBUSY, -EINVAL.
 */
int policy_rederive(struct policy *p, const struct policy_rule *derived, size_t n);
/* Is an identical rule (src, dst, action, target) already present? */
bool policy_contains(const struct policy_table *t, const struct policy_rule *r);
/*
 * The first rule with exactly this src and dst (host bits included) and,
 * when origin is non-NULL, that rule's origin; NULL if there is none.
 */
const struct policy_rule *policy_find(const struct policy_table *t, const struct cidr *src,
				      const struct cidr *dst, enum policy_origin *origin);
const struct policy_table *policy_active(const struct policy *p);
/* Best rule for (src, dst) or NULL (no_route). */
const struct policy_rule *policy_lookup(const struct policy_table *t, uint32_t src,
					uint32_t dst);

/*
 * Append rules[0..n) as added rules in one publication, skipping any already
 * in the table or earlier in rules[] (rules[] is compacted in place).  All
 * or nothing: the number added, or -ENOSPC (they do not all fit), -EBUSY,
 * -EINVAL (a prefix above 32 or an unknown action).  For the snapshot.
 */
int policy_add_many(struct policy *p, struct policy_rule *rules, size_t n);

/* One replayable "policy add ..." line (with '\n'); returns its length. */
size_t policy_rule_format(const struct policy_rule *r, char *buf, size_t cap);
/*
 * All rules in insertion order, or "# no policy rules\n" when empty.  A
 * buffer of MAX_POLICY_DUMP + 1 bytes always suffices.  Returns the length.
 */
size_t policy_dump(const struct policy_table *t, char *buf, size_t cap);

#endif
