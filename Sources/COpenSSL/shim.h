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
#endif
