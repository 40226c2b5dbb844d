/*
 * The change feed's messages (feed.h), NOTIFYed on channel FEED_CHANNEL
 * inside the transaction of the change they tell of, so that a message
 * exists only if its change committed:
 *
 *   "v<epoch>.<serial> <id>,<+d>,<+d>..."  a version bump (model_version.c)
 *       and the devices it affects, ascending, each after the first as the
 *       difference to the one before (short: neighbours differ by little);
 *   "v<epoch>.<serial> *"  the same when the set would not fit in
 *       FEED_PAYLOAD_MAX bytes (NOTIFY's limit is 8000), or when the change
 *       is every device's: everyone re-checks;
 *   "a"  an audit row was written (model_audit.c): the events cursor moved.
 *
 * Pure text: the model writes them and feed.c reads them, so this module
 * depends on neither (the model does not reach the server's reactor).
 */
#ifndef SUBNETRA_MGMT_FEEDMSG_H
#define SUBNETRA_MGMT_FEEDMSG_H

#include <stdbool.h>

#include "mgmt/model.h"

#define FEED_CHANNEL "subnetra_change"

enum { FEED_PAYLOAD_MAX = 7999 }; /* bytes; NOTIFY refuses 8000 and more */

/*
 * The notifications ride on the statements that make the change, so they
 * cost no round trip of their own: model_version_bump's UPDATE and
 * model_audit's INSERT, on PostgreSQL, select pg_notify(FEED_CHANNEL, ...)
 * from their RETURNING rows.
 */
enum { FEED_IDS_MAX = FEED_PAYLOAD_MAX - 44 }; /* "v<epoch>.<serial> ": 2 + 2 * 20 + 2 */
/* ch's affected set as a "v" payload's tail ("*" when it does not fit) into
 * out[FEED_IDS_MAX]. */
void feed_format_ids(const struct model_change *ch, char out[FEED_IDS_MAX]);
/*
 * A "v..." payload into ch (affected allocated; free with
 * model_change_free): true, *all false; or true with *all set ("*": the
 * set is not given); false when p is not one.
 */
bool feed_parse_change(const char *p, struct model_change *ch, bool *all);

#endif
