/*
 * Helpers shared by the airlb addon's C files: N-API status checks, argument readers and errors
 * that carry errno's name as `code` (so the TypeScript side can map EPERM to "needs CAP_NET_RAW").
 */
#ifndef AIRLB_COMMON_H
#define AIRLB_COMMON_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns NULL from the calling N-API function when a call failed (an exception is then pending). */
#define NAPI_OK(call)                                                                              \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      airlb_rethrow(env);                                                                          \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

/* Makes sure an exception is pending after a failed N-API call, so JS never sees a silent undefined. */
void airlb_rethrow(napi_env env);

/* Throws an Error whose message is `what: strerror(err)` plus `hint` and whose code is errno's name. */
void airlb_throw_errno(napi_env env, int err, const char *what, const char *hint);

/* Throws a TypeError for bad arguments (a bug in the TypeScript wrapper, not a runtime condition). */
void airlb_throw_type(napi_env env, const char *message);

/* Argument readers; on failure they throw and return false. */
bool airlb_get_u32(napi_env env, napi_value v, const char *name, uint32_t *out);
bool airlb_get_i32(napi_env env, napi_value v, const char *name, int32_t *out);
bool airlb_get_bool(napi_env env, napi_value v, const char *name, bool *out);
/* Copies a string into buf (NUL-terminated); fails when it does not fit. */
bool airlb_get_string(napi_env env, napi_value v, const char *name, char *buf, size_t size);
/* Borrows a Buffer's bytes; they stay valid while the Buffer is reachable from the current call. */
bool airlb_get_buffer(napi_env env, napi_value v, const char *name, void **data, size_t *len);

/* Sets IP_TTL (and IPV6_UNICAST_HOPS on IPv6 sockets); returns 0 or an errno. From sockopts.c. */
int airlb_set_ttl(int fd, int ttl);

/* Exported function groups, one per C file, registered by addon.c. */
napi_status airlb_init_packet_socket(napi_env env, napi_value exports);
napi_status airlb_init_md5_tcp(napi_env env, napi_value exports);
napi_status airlb_init_sockopts(napi_env env, napi_value exports);

#endif
