/*
 * Table-driven anti-replay tests shared by v1's window (test_replay) and
 * the mesh window (test_mesh_replay): a case is a sequence of (seq,
 * accepted?) from a fresh window, and an accepted seq is marked.  Include
 * after <cmocka.h>.
 */
#ifndef SUBNETRA_TESTS_WINDOW_TABLE_H
#define SUBNETRA_TESTS_WINDOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { WINDOW_MAX_OPS = 12 };

struct window_op {
	uint64_t seq;
	bool accept;
};

struct window_case {
	const char *name;
	size_t n;
	struct window_op ops[WINDOW_MAX_OPS];
};

#define A(s)                                                                             \
	{                                                                                \
		(s), true                                                                \
	}
#define D(s)                                                                             \
	{                                                                                \
		(s), false                                                               \
	}

/* The window under test, behind three calls. */
struct window_ops {
	void (*reset)(void *w);
	bool (*check)(const void *w, uint64_t seq);
	bool (*mark)(void *w, uint64_t seq); /* only after check said yes */
};

static inline void window_table_run(const struct window_case *cases, size_t n_cases,
				    void *w, const struct window_ops *ops)
{
	for (size_t i = 0; i < n_cases; i++) {
		const struct window_case *c = &cases[i];

		ops->reset(w);
		for (size_t j = 0; j < c->n; j++) {
			bool got = ops->check(w, c->ops[j].seq);

			if (got != c->ops[j].accept)
				fail_msg("%s: op %zu (seq %ju): expected %s", c->name, j,
					 (uintmax_t)c->ops[j].seq,
					 c->ops[j].accept ? "accept" : "drop");
			if (got && !ops->mark(w, c->ops[j].seq))
				fail_msg("%s: op %zu (seq %ju): mark refused it", c->name,
					 j, (uintmax_t)c->ops[j].seq);
		}
	}
}

#endif
