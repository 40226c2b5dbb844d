/*
 * Mesh mode's names in the hosts file: one block between two marker lines
 * that subnetra owns, every other byte of the file left as it was.  Pure:
 * the caller reads the file, hands its text here, and writes the result
 * atomically (the privileged helper, docs/mesh.md).
 *
 *   # BEGIN subnetra mesh hosts (managed by subnetra; edits are lost)
 *   fc94:4c2a:...:1 robot-1
 *   # END subnetra mesh hosts
 *
 * A file without the block gets it appended (after a newline if its last
 * line has none); a file whose markers are out of order, repeated or
 * unpaired is refused rather than guessed at, since rewriting it could
 * lose a line that is not ours.
 */
#ifndef SUBNETRA_MESH_HOSTSBLOCK_H
#define SUBNETRA_MESH_HOSTSBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mesh/name.h"

enum {
	HOSTS_NAME_MAX = MESH_NAME_MAX, /* a mesh name (core/mesh/name.h) */
	HOSTS_BLOCK_MAX = 1024,    /* entries in the block */
	HOSTS_FILE_MAX = 1 << 20,  /* a hosts file larger than this is refused */
};

#define HOSTS_BEGIN "# BEGIN subnetra mesh hosts (managed by subnetra; edits are lost)"
#define HOSTS_END "# END subnetra mesh hosts"

struct hosts_entry {
	uint8_t addr[16];
	char name[HOSTS_NAME_MAX + 1];
};

/* Where the block is in text[0..len): byte offsets of its first and one past its last line. */
struct hosts_span {
	bool found;
	size_t begin, end;
};

/*
 * Find the block.  false with *why (a static string) when the markers are
 * not exactly one BEGIN line followed later by one END line, or the text
 * holds a NUL byte.
 */
bool hosts_find(const char *text, size_t len, struct hosts_span *span, const char **why);

/*
 * The entries of the block in text (n at most cap; *n set).  Lines in the
 * block that are not "ADDRESS NAME" with an fc94::/16 address and a valid
 * name are refused (false, *why says which line).
 */
bool hosts_read(const char *text, size_t len, struct hosts_entry *out, size_t cap, size_t *n,
		const char **why, size_t *line);

/*
 * text with its block replaced by entries (n of them, written in order; n
 * == 0 removes the block and its markers), into out (cap bytes).  Returns
 * the new length, or 0 with *why when the markers are malformed or out is
 * too small.  Every byte outside the block is copied unchanged.
 */
size_t hosts_rewrite(const char *text, size_t len, const struct hosts_entry *entries, size_t n,
		     char *out, size_t cap, const char **why);

/*
 * The block's entries from the operator's (manual, in order) and the
 * peers' names: manual ones first, then each peer whose name is not in the
 * list yet, so that a name always resolves to one address and the
 * operator's word wins over a name a peer announces.  At most cap written;
 * the count returned.  from_peer[i] (may be NULL) says which list out[i]
 * came from.
 */
size_t hosts_merge(const struct hosts_entry *manual, size_t n_manual,
		   const struct hosts_entry *peers, size_t n_peers, struct hosts_entry *out,
		   bool *from_peer, size_t cap);

#endif
