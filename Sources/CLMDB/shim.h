#ifndef RENKEI_CLMDB_SHIM_H
#define RENKEI_CLMDB_SHIM_H
// LMDB from Debian's liblmdb-dev. Only RenkeiLMDB imports this module.
#include <lmdb.h>
#endif
