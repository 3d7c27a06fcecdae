#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro; Swift calls this instead. Negative window bits: raw deflate, as in zip entries. */
static inline int czlib_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

/* deflateInit2 likewise; the tests build hostile zip entries with it (raw deflate, a chosen strategy). */
static inline int czlib_deflate_init_raw(z_stream *stream, int level, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, -MAX_WBITS, 8, strategy);
}

#endif
