/*
 * The dashboard: GET / (its page) and GET /ui/{file} (its script, style
 * and images) on the admin listener, from the bytes of src/mgmt/ui/ that
 * the build embedded (scripts/embed-ui.sh).  Every page is the same
 * index.html; the script signs in and reads and changes everything
 * through /api/v1 with the session cookie and the CSRF header, so the
 * dashboard can do nothing the API does not.
 */
#ifndef SUBNETRA_MGMT_UI_H
#define SUBNETRA_MGMT_UI_H

#include "mgmt/http.h"

void ui_get_index(struct http_req *r);
void ui_get_asset(struct http_req *r);

#endif
