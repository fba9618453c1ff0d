/*
 * TCP sockets protected by the TCP MD5 Signature Option (RFC 2385), which BGP peers commonly
 * require and Node's net module cannot set up. The kernel signs and checks segments once a key is
 * installed for the peer address with setsockopt(TCP_MD5SIG); the key must be in place before the
 * SYN is sent (connect) or arrives (listen), which is why the sockets are created here and only
 * then handed to Node: `new net.Socket({ fd })` adopts a connecting socket (it emits no 'connect'
 * event, so the caller keeps its own connect timeout) and `server.listen({ fd })` a listening one.
 * Every function returns a plain fd number that the caller owns (fs.closeSync(fd) if not adopted).
 */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ADDRESS_TEXT 64

/* Parses an IPv4 or IPv6 literal into a sockaddr; false when it is neither. */
static bool parse_address(const char *text, uint16_t port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof *v6;
    return true;
  }
  return false;
}

static bool get_address(napi_env env, napi_value v, const char *name, uint16_t port, struct sockaddr_storage *out,
                        socklen_t *len) {
  char text[MAX_ADDRESS_TEXT];
  if (!airlb_get_string(env, v, name, text, sizeof text)) return false;
  if (!parse_address(text, port, out, len)) {
    char message[128];
    snprintf(message, sizeof message, "%s '%s' is not an IPv4 or IPv6 address", name, text);
    airlb_throw_type(env, message);
    return false;
  }
  return true;
}

/*
 * Installs (key non-empty) or removes (key empty) the MD5 key for `peer` on `fd`. On an IPv6
 * socket an IPv4 peer is written as a v4-mapped address, which the kernel files as an IPv4 key
 * (that is how a dual-stack listener accepts signed IPv4 connections).
 */
static int set_md5_key(int fd, const struct sockaddr_storage *peer, const void *key, size_t key_len) {
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) < 0) return errno;
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  if (local.ss_family == AF_INET6 && peer->ss_family == AF_INET) {
    struct sockaddr_in6 *mapped = (struct sockaddr_in6 *)&sig.tcpm_addr;
    mapped->sin6_family = AF_INET6;
    mapped->sin6_addr.s6_addr[10] = 0xff;
    mapped->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&mapped->sin6_addr.s6_addr[12], &((const struct sockaddr_in *)peer)->sin_addr, 4);
  } else if (local.ss_family != peer->ss_family) {
    return EAFNOSUPPORT;
  } else {
    memcpy(&sig.tcpm_addr, peer, sizeof *peer);
  }
  sig.tcpm_keylen = (uint16_t)key_len;
  memcpy(sig.tcpm_key, key, key_len);
  return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) < 0 ? errno : 0;
}

static bool get_key(napi_env env, napi_value v, void **key, size_t *len) {
  if (!airlb_get_buffer(env, v, "key", key, len)) return false;
  if (*len > TCP_MD5SIG_MAXKEYLEN) {
    airlb_throw_type(env, "an MD5 key is at most 80 bytes (TCP_MD5SIG_MAXKEYLEN)");
    return false;
  }
  return true;
}

static napi_value fd_value(napi_env env, int fd) {
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    airlb_rethrow(env);
    return NULL;
  }
  return result;
}

/* tcpMd5Connect(remoteAddress, remotePort, key: Buffer, localAddress: string | null, ttl) -> fd
 * The connect is started and left in progress (EINPROGRESS). An empty key sends unsigned (for a
 * peer with GTSM but no password); ttl 0 keeps the kernel default, otherwise it is set before the
 * SYN leaves (RFC 5082 peers drop a SYN that arrives below 255). */
static napi_value tcp_md5_connect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) {
    airlb_throw_type(env, "tcpMd5Connect(remoteAddress, remotePort, key, localAddress, ttl)");
    return NULL;
  }
  uint32_t port, ttl;
  struct sockaddr_storage remote, local;
  socklen_t remote_len, local_len = 0;
  void *key;
  size_t key_len;
  napi_valuetype local_type;
  if (!airlb_get_u32(env, argv[1], "remotePort", &port) || !airlb_get_u32(env, argv[4], "ttl", &ttl)) return NULL;
  if (ttl > 255) {
    airlb_throw_type(env, "ttl must be 0..255");
    return NULL;
  }
  if (port == 0 || port > 65535) {
    airlb_throw_type(env, "remotePort must be 1..65535");
    return NULL;
  }
  if (!get_address(env, argv[0], "remoteAddress", (uint16_t)port, &remote, &remote_len) ||
      !get_key(env, argv[2], &key, &key_len)) {
    return NULL;
  }
  NAPI_OK(napi_typeof(env, argv[3], &local_type));
  if (local_type != napi_null && !get_address(env, argv[3], "localAddress", 0, &local, &local_len)) return NULL;
  if (local_len != 0 && local.ss_family != remote.ss_family) {
    airlb_throw_type(env, "localAddress and remoteAddress must be of the same family");
    return NULL;
  }
  int fd = socket(remote.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    airlb_throw_errno(env, errno, "creating a TCP socket", NULL);
    return NULL;
  }
  int err = key_len == 0 ? 0 : set_md5_key(fd, &remote, key, key_len);
  const char *step = "setting TCP_MD5SIG";
  if (err == 0 && ttl != 0 && (err = airlb_set_ttl(fd, (int)ttl)) != 0) step = "setting the TTL";
  if (err == 0 && local_len != 0 && bind(fd, (struct sockaddr *)&local, local_len) < 0) {
    err = errno;
    step = "binding the local address";
  }
  if (err == 0 && connect(fd, (struct sockaddr *)&remote, remote_len) < 0 && errno != EINPROGRESS) {
    err = errno;
    step = "connecting";
  }
  if (err != 0) {
    close(fd);
    airlb_throw_errno(env, err, step,
                      err == ENOPROTOOPT || err == ENOENT ? "the kernel needs CONFIG_TCP_MD5SIG" : NULL);
    return NULL;
  }
  return fd_value(env, fd);
}

/* tcpMd5Listen(address, port, backlog, peers: Array<[address, key: Buffer]>) -> fd
 * Connections from a listed peer must be signed with its key; the kernel drops unsigned or
 * wrongly signed SYNs from it (RFC 2385 §2). Peers without a key connect unsigned. */
static napi_value tcp_md5_listen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) {
    airlb_throw_type(env, "tcpMd5Listen(address, port, backlog, peers)");
    return NULL;
  }
  uint32_t port, backlog, peer_count;
  struct sockaddr_storage local;
  socklen_t local_len;
  bool is_array = false;
  if (!airlb_get_u32(env, argv[1], "port", &port) || !airlb_get_u32(env, argv[2], "backlog", &backlog)) return NULL;
  if (port > 65535) {
    airlb_throw_type(env, "port must be 0..65535");
    return NULL;
  }
  if (!get_address(env, argv[0], "address", (uint16_t)port, &local, &local_len)) return NULL;
  if (napi_is_array(env, argv[3], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[3], &peer_count) != napi_ok) {
    airlb_throw_type(env, "peers must be an array of [address, key] pairs");
    return NULL;
  }
  int fd = socket(local.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    airlb_throw_errno(env, errno, "creating a TCP socket", NULL);
    return NULL;
  }
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    airlb_throw_errno(env, err, "setting SO_REUSEADDR", NULL);
    return NULL;
  }
  if (bind(fd, (struct sockaddr *)&local, local_len) < 0) {
    int err = errno;
    close(fd);
    airlb_throw_errno(env, err, "binding the listening address", err == EACCES ? "ports below 1024 need CAP_NET_BIND_SERVICE" : NULL);
    return NULL;
  }
  for (uint32_t i = 0; i < peer_count; i++) {
    napi_value pair, address_value, key_value;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    void *key;
    size_t key_len;
    if (napi_get_element(env, argv[3], i, &pair) != napi_ok || napi_get_element(env, pair, 0, &address_value) != napi_ok ||
        napi_get_element(env, pair, 1, &key_value) != napi_ok ||
        !get_address(env, address_value, "peer address", 0, &peer, &peer_len) || !get_key(env, key_value, &key, &key_len)) {
      close(fd);
      airlb_rethrow(env);
      return NULL;
    }
    int err = set_md5_key(fd, &peer, key, key_len);
    if (err != 0) {
      close(fd);
      airlb_throw_errno(env, err, "setting TCP_MD5SIG for a peer", NULL);
      return NULL;
    }
  }
  if (listen(fd, (int)backlog) < 0) {
    int err = errno;
    close(fd);
    airlb_throw_errno(env, err, "listening", NULL);
    return NULL;
  }
  return fd_value(env, fd);
}

/* tcpMd5SetKey(fd, peerAddress, key: Buffer): installs the key, or removes it when key is empty, on
 * an existing socket (a listener whose peer list changed). */
static napi_value tcp_md5_set_key(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  void *key;
  size_t key_len;
  if (argc != 3 || !airlb_get_i32(env, argv[0], "fd", &fd) ||
      !get_address(env, argv[1], "peerAddress", 0, &peer, &peer_len) || !get_key(env, argv[2], &key, &key_len)) {
    return NULL;
  }
  int err = set_md5_key(fd, &peer, key, key_len);
  if (err != 0) airlb_throw_errno(env, err, key_len == 0 ? "removing a TCP_MD5SIG key" : "setting TCP_MD5SIG", NULL);
  return NULL;
}

napi_status airlb_init_md5_tcp(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"tcpMd5Connect", NULL, tcp_md5_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpMd5Listen", NULL, tcp_md5_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpMd5SetKey", NULL, tcp_md5_set_key, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
