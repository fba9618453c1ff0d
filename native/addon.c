/*
 * Entry point of airlb_native.node: argument/error helpers and module registration. Each feature
 * lives in its own file (packet_socket.c, md5_tcp.c, sockopts.c) and exports its own functions.
 */
#include "arp_ebpf.h"
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void airlb_rethrow(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, "EADDON",
                   info != NULL && info->error_message != NULL ? info->error_message
                                                               : "N-API call failed");
}

/* errno names for the codes the addon can plausibly meet; anything else becomes "E<number>". */
static const char *errno_name(int err, char *fallback, size_t size) {
  switch (err) {
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ENODEV: return "ENODEV";
  case ENXIO: return "ENXIO";
  case EINVAL: return "EINVAL";
  case EAGAIN: return "EAGAIN";
  case ENOBUFS: return "ENOBUFS";
  case ENOMEM: return "ENOMEM";
  case ENETDOWN: return "ENETDOWN";
  case EMSGSIZE: return "EMSGSIZE";
  case EADDRINUSE: return "EADDRINUSE";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case ENOPROTOOPT: return "ENOPROTOOPT";
  case EBADF: return "EBADF";
  case ENOTSOCK: return "ENOTSOCK";
  case ENETUNREACH: return "ENETUNREACH";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  default: snprintf(fallback, size, "E%d", err); return fallback;
  }
}

void airlb_throw_errno(napi_env env, int err, const char *what, const char *hint) {
  char message[512];
  char fallback[16];
  snprintf(message, sizeof message, "%s: %s%s%s", what, strerror(err), hint != NULL ? "; " : "",
           hint != NULL ? hint : "");
  napi_value code_value, message_value, error, errno_value;
  const char *code = errno_name(err, fallback, sizeof fallback);
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value) != napi_ok ||
      napi_create_error(env, code_value, message_value, &error) != napi_ok) {
    napi_throw_error(env, code, message);
    return;
  }
  if (napi_create_int32(env, err, &errno_value) == napi_ok) {
    napi_set_named_property(env, error, "errno", errno_value);
  }
  napi_throw(env, error);
}

void airlb_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "EARGS", message);
}

static bool type_is(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

static void throw_arg(napi_env env, const char *name, const char *expected) {
  char message[160];
  snprintf(message, sizeof message, "argument %s must be %s", name, expected);
  airlb_throw_type(env, message);
}

bool airlb_get_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  if (!type_is(env, v, napi_number) || napi_get_value_uint32(env, v, out) != napi_ok) {
    throw_arg(env, name, "a number");
    return false;
  }
  return true;
}

bool airlb_get_i32(napi_env env, napi_value v, const char *name, int32_t *out) {
  if (!type_is(env, v, napi_number) || napi_get_value_int32(env, v, out) != napi_ok) {
    throw_arg(env, name, "a number");
    return false;
  }
  return true;
}

bool airlb_get_bool(napi_env env, napi_value v, const char *name, bool *out) {
  if (!type_is(env, v, napi_boolean) || napi_get_value_bool(env, v, out) != napi_ok) {
    throw_arg(env, name, "a boolean");
    return false;
  }
  return true;
}

bool airlb_get_string(napi_env env, napi_value v, const char *name, char *buf, size_t size) {
  size_t len = 0;
  if (!type_is(env, v, napi_string) || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    throw_arg(env, name, "a string");
    return false;
  }
  if (len + 1 > size) {
    throw_arg(env, name, "a shorter string");
    return false;
  }
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    throw_arg(env, name, "a string");
    return false;
  }
  return true;
}

bool airlb_get_buffer(napi_env env, napi_value v, const char *name, void **data, size_t *len) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, v, data, len) != napi_ok) {
    throw_arg(env, name, "a Buffer");
    return false;
  }
  return true;
}

static napi_value init(napi_env env, napi_value exports) {
  if (airlb_init_packet_socket(env, exports) != napi_ok || airlb_init_md5_tcp(env, exports) != napi_ok ||
      airlb_init_sockopts(env, exports) != napi_ok || airlb_init_arp_ebpf(env, exports) != napi_ok) {
    airlb_rethrow(env);
    return NULL;
  }
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
