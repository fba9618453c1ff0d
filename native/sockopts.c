/*
 * TTL / hop-limit socket options Node does not expose, for the BGP and BFD sockets:
 * - setMinTtl: GTSM (RFC 5082) — the kernel drops packets that arrive with a TTL / hop limit below
 *   the minimum, so single-hop BFD (RFC 5881 §5) and eBGP with `ttl-security` only accept packets
 *   from a direct neighbour (sent with 255, nobody else can reach us with 255).
 * - setTtl: the TTL / hop limit of what we send (255 for GTSM and BFD, the eBGP multihop count).
 * Both take any socket fd; the family comes from getsockname. An IPv6 socket gets the IPv4 option
 * too, because a dual-stack socket carries IPv4 traffic as v4-mapped and the kernel applies the
 * IPv4 option to it.
 */
#include "common.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Sets the IPv4 option, and the IPv6 one too on an IPv6 socket; returns 0 or an errno. */
static int set_pair(int fd, int value, int ip_option, int ipv6_option) {
  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &len) < 0) return errno;
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6) return EAFNOSUPPORT;
  if (setsockopt(fd, IPPROTO_IP, ip_option, &value, sizeof value) < 0) return errno;
  if (local.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, ipv6_option, &value, sizeof value) < 0) return errno;
  return 0;
}

int airlb_set_ttl(int fd, int ttl) { return set_pair(fd, ttl, IP_TTL, IPV6_UNICAST_HOPS); }

static napi_value set_from_js(napi_env env, napi_callback_info info, int ip_option, int ipv6_option, const char *what) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  uint32_t value;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2 || !airlb_get_i32(env, argv[0], "fd", &fd) || !airlb_get_u32(env, argv[1], "ttl", &value)) return NULL;
  if (value > 255) {
    airlb_throw_type(env, "ttl must be 0..255");
    return NULL;
  }
  int err = set_pair(fd, (int)value, ip_option, ipv6_option);
  if (err != 0) airlb_throw_errno(env, err, what, err == EAFNOSUPPORT ? "the fd is not an IPv4 or IPv6 socket" : NULL);
  return NULL;
}

/* setMinTtl(fd, ttl): IP_MINTTL, and IPV6_MINHOPCOUNT on IPv6 sockets. 0 turns the check off. */
static napi_value set_min_ttl(napi_env env, napi_callback_info info) {
  return set_from_js(env, info, IP_MINTTL, IPV6_MINHOPCOUNT, "setting IP_MINTTL / IPV6_MINHOPCOUNT");
}

/* setTtl(fd, ttl): IP_TTL, and IPV6_UNICAST_HOPS on IPv6 sockets (1..255). */
static napi_value set_ttl(napi_env env, napi_callback_info info) {
  return set_from_js(env, info, IP_TTL, IPV6_UNICAST_HOPS, "setting IP_TTL / IPV6_UNICAST_HOPS");
}

napi_status airlb_init_sockopts(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"setMinTtl", NULL, set_min_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTtl", NULL, set_ttl, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
