#ifndef RENKEI_CZSTD_SHIM_H
#define RENKEI_CZSTD_SHIM_H
// zstd from Debian's libzstd-dev. Only RenkeiZstd imports this module.
// ZDICT_STATIC_LINKING_ONLY is not defined: only the stable dictionary-training API is used.
#include <zstd.h>
#include <zstd_errors.h>
#include <zdict.h>
#endif
