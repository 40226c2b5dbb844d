/*
 * Mesh mode's whitelist: the overlay addresses that may complete a
 * handshake with this node, and whether the list is enforced at all (on by
 * default).  A sorted array, so a lookup is a binary search and the saved
 * file is the same for the same set.  Pure: the daemon persists the text
 * that whitelist_format gives (atomically) and reads it back here.
 *
 * The file (docs/mesh.md):
 *   subnetra-whitelist 1
 *   enabled yes|no
 *   <one fc94::/16 address per line, RFC 5952 text, ascending>
 */
#ifndef SUBNETRA_MESH_WHITELIST_H
#define SUBNETRA_MESH_WHITELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WHITELIST_MAX = 4096,
	/* The longest file: header, enabled line, every address and newline. */
	WHITELIST_FILE_MAX = 40 + WHITELIST_MAX * 40,
};

struct whitelist {
	bool enabled;
	size_t n;
	uint8_t addr[WHITELIST_MAX][16]; /* ascending (memcmp order) */
};

struct whitelist_error {
	unsigned line;
	const char *msg; /* static text */
};

/*
 * In n sorted records of stride bytes, each starting with a 16-byte
 * address, the index of addr, or where it would go (*found false).  The
 * search the whitelist and the managed set (managed.h) share.
 */
size_t whitelist_search(const void *base, size_t n, size_t stride, const uint8_t addr[16],
			bool *found);
/* Empty and enabled: nobody may connect until someone is added. */
void whitelist_init(struct whitelist *w);
/* Whether addr may complete a handshake: listed, or the list is off. */
bool whitelist_allows(const struct whitelist *w, const uint8_t addr[16]);
bool whitelist_contains(const struct whitelist *w, const uint8_t addr[16]);
/* 0, -EINVAL (not in fc94::/16), -EEXIST, or -ENOSPC. */
int whitelist_add(struct whitelist *w, const uint8_t addr[16]);
/* 0 or -ENOENT. */
int whitelist_remove(struct whitelist *w, const uint8_t addr[16]);

/* The file's text into out (cap bytes, NUL added); its length, or 0 if cap is too small. */
size_t whitelist_format(const struct whitelist *w, char *out, size_t cap);
/*
 * text[0..len) into w: false with err (line, what) on anything else than
 * the format above, a repeated address or more than WHITELIST_MAX; w is
 * then left empty and enabled (fail closed).
 */
bool whitelist_parse(struct whitelist *w, const char *text, size_t len,
		     struct whitelist_error *err);

#endif
