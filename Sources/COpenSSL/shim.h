#ifndef RENKEI_COPENSSL_SHIM_H
#define RENKEI_COPENSSL_SHIM_H
// OpenSSL 3 from Debian's libssl-dev. Only RenkeiCrypto imports this module.
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pkcs12.h>
#include <openssl/cms.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/core_names.h>

// Small helpers for OpenSSL macros that Swift cannot call (stack macros, BIO_get_mem_data, OPENSSL_free).
static inline long renkei_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
static inline unsigned long renkei_name_print_flags(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }
static inline void renkei_OPENSSL_free(void *pointer) { OPENSSL_free(pointer); }
static inline STACK_OF(X509) *renkei_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int renkei_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) { return sk_X509_push(stack, certificate); }
static inline int renkei_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline X509 *renkei_sk_X509_value(const STACK_OF(X509) *stack, int index) { return sk_X509_value(stack, index); }
static inline void renkei_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
static inline void renkei_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
static inline int renkei_X509_CRL_revoked_count(X509_CRL *crl) {
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    return revoked == NULL ? 0 : sk_X509_REVOKED_num(revoked);
}
static inline const X509_REVOKED *renkei_X509_CRL_revoked(X509_CRL *crl, int index) {
    return sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), index);
}
#endif
