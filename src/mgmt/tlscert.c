/* The admin listener's self-signed certificate (see tlscert.h), with GnuTLS. */
#include "mgmt/tlscert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

/* One subjectAltName: an IP address in binary, else a DNS name. */
static int add_name(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char ip[16];

	if (inet_pton(AF_INET, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
							    4, GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, name, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
							    16, GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(
	    crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
}

/* The fields of a server certificate for names, before it is signed. */
static int fill(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
		const char *const *names, size_t n)
{
	unsigned char serial[16];
	time_t now = time(NULL);
	int rc;

	randombytes_buf(serial, sizeof serial);
	serial[0] &= 0x7f; /* a positive INTEGER */
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)TLSCERT_DAYS *
								     86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						names[0], (unsigned)strlen(names[0]))) <
		0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
						"subnetra-mgmtd", 14)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 1)) <
		0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = add_name(crt, names[i])) < 0)
			return rc;
	return gnutls_x509_crt_set_subject_key_id(crt, serial, 8);
}

/* datum (PEM text) into out as a C string of at most TLSCERT_PEM_MAX bytes. */
static int copy_pem(const gnutls_datum_t *d, char *out)
{
	if (d->size >= TLSCERT_PEM_MAX)
		return GNUTLS_E_SHORT_MEMORY_BUFFER;
	memcpy(out, d->data, d->size);
	out[d->size] = '\0';
	return 0;
}

int tlscert_make(const char *const *names, size_t n, char *key_pem, char *cert_pem,
		 char fp[TLSCERT_FP_HEX], char *err, size_t errcap)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kd = {NULL, 0}, cd = {NULL, 0};
	unsigned char digest[32];
	size_t dlen = sizeof digest;
	int rc;

	if (n == 0 || n > TLSCERT_NAMES_MAX) {
		snprintf(err, errcap, "a certificate needs 1 to %d names, got %zu",
			 TLSCERT_NAMES_MAX, n);
		return -EINVAL;
	}
	if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(
		 key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
		 0)) < 0 ||
	    (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = fill(crt, key, names, n)) < 0 ||
	    (rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd)) < 0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd)) < 0 ||
	    (rc = copy_pem(&kd, key_pem)) < 0 || (rc = copy_pem(&cd, cert_pem)) < 0 ||
	    (rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest,
						  &dlen)) < 0)
		goto fail;
	sodium_bin2hex(fp, TLSCERT_FP_HEX, digest, dlen);
	rc = 0;
	goto out;
fail:
	snprintf(err, errcap, "certificate for %s: %s", names[0], gnutls_strerror(rc));
	rc = -EINVAL;
out:
	if (kd.data != NULL) {
		sodium_memzero(kd.data, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}
