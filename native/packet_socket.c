/*
 * Raw Ethernet frames for the ARP/NDP responder: one AF_PACKET socket per interface and ethertype.
 *
 * Why each step is where it is (DESIGN §4):
 * - socket(..., protocol 0) receives nothing until bind(), and the BPF filter is attached before
 *   bind(), so no unfiltered frame is ever queued.
 * - PACKET_IGNORE_OUTGOING keeps our own replies (and the kernel's) out of the receive queue.
 * - The MAC comes from SIOCGIFHWADDR on the same socket; replies must use it (a WiFi station cannot
 *   send from any other MAC).
 * - PACKET_MR_PROMISC membership turns promiscuous mode on for exactly as long as this socket lives;
 *   the kernel drops it when the socket closes, so a crash cannot leave the interface promiscuous.
 * - Receive is a uv_poll on the fd; every readable event drains the queue with recv(MSG_DONTWAIT)
 *   and hands each frame to JS through napi_make_callback (global object as receiver), which also
 *   runs the microtasks the callback queued.
 * - ARP fast path (arp_fast_path.c): before a frame goes to JS it is matched against the table
 *   packetSetArpReplies installed, and a request for a claimed VIP is answered right here with one
 *   send(); JS still gets the frame, with answered = true, to count its reason and check conflicts
 *   without sending again. Answering from the poll callback saves the N-API call, the Buffer and
 *   the JS responder on the path a client waits on.
 * - Close order: uv_poll_stop + uv_close, then close(fd) in the close callback (libuv must forget
 *   the fd before the number can be reused); the struct is freed once both the close callback and
 *   the wrapper object's finalizer have run, whichever comes last.
 */
#include "common.h"
#include "arp_fast_path.h"

#include <errno.h>
#include <linux/filter.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <uv.h>

#define RECEIVE_BUFFER_SIZE 65536
/* Frames handled per readable event before yielding to the rest of the event loop. */
#define MAX_FRAMES_PER_WAKEUP 256

static const char CAP_HINT[] =
    "raw packet sockets need CAP_NET_RAW: run as root, or in Kubernetes use hostNetwork: true with "
    "securityContext.capabilities.add: [NET_RAW]";

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref callback; /* strong while open: frames keep flowing even if JS dropped its reference */
  napi_ref self;     /* strong while open, so the finalizer can only run after close */
  napi_async_context async;
  bool closing;
  bool close_callback_ran;
  bool finalized;
  arp_fast_path arp_replies;
  unsigned char reply[AIRLB_ARP_REPLY_SIZE];
  unsigned char buffer[RECEIVE_BUFFER_SIZE];
} packet_socket;

static void free_if_done(packet_socket *s) {
  if (!s->close_callback_ran || !s->finalized) return;
  airlb_arp_fast_path_clear(&s->arp_replies);
  free(s);
}

static void on_poll_closed(uv_handle_t *handle) {
  packet_socket *s = handle->data;
  close(s->fd);
  s->fd = -1;
  s->close_callback_ran = true;
  free_if_done(s);
}

static void cleanup_hook(void *arg);

/* Stops receiving and releases everything that pins JS objects; the fd closes in on_poll_closed. */
static void start_close(packet_socket *s) {
  if (s->closing) return;
  s->closing = true;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  napi_delete_reference(s->env, s->callback);
  napi_delete_reference(s->env, s->self);
  napi_async_destroy(s->env, s->async);
  napi_remove_env_cleanup_hook(s->env, cleanup_hook, s);
}

/* Environment teardown (process exit or a worker ending) with the socket still open. */
static void cleanup_hook(void *arg) { start_close(arg); }

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  packet_socket *s = data;
  s->finalized = true;
  free_if_done(s);
}

/* Calls the JS callback as callback(error, frame, packetType, answered); an exception it throws is reported
 * as uncaught, like one thrown from any other I/O callback. */
static void deliver(packet_socket *s, int err, const unsigned char *frame, size_t length, int pkttype, bool answered) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, global, argv[4], result;
  bool ok = napi_get_reference_value(env, s->callback, &callback) == napi_ok &&
            napi_get_global(env, &global) == napi_ok;
  if (ok && err != 0) {
    airlb_throw_errno(env, err, "receiving on packet socket", NULL);
    napi_value error;
    ok = napi_get_and_clear_last_exception(env, &error) == napi_ok;
    argv[0] = error;
    ok = ok && napi_get_undefined(env, &argv[1]) == napi_ok && napi_get_undefined(env, &argv[2]) == napi_ok &&
         napi_get_undefined(env, &argv[3]) == napi_ok;
  } else if (ok) {
    void *copy;
    ok = napi_get_null(env, &argv[0]) == napi_ok &&
         napi_create_buffer_copy(env, length, frame, &copy, &argv[1]) == napi_ok &&
         napi_create_int32(env, pkttype, &argv[2]) == napi_ok && napi_get_boolean(env, answered, &argv[3]) == napi_ok;
  }
  if (ok && napi_make_callback(env, s->async, global, callback, 4, argv, &result) == napi_pending_exception) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  packet_socket *s = handle->data;
  if (status < 0) {
    /* libuv turns EPOLLERR into UV_EBADF and stops the handle. For a packet socket EPOLLERR means
     * a pending socket error (ENETDOWN when the link goes down): fetch it, which also clears it,
     * report it and keep polling — the socket works again once the link is back up. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    deliver(s, err != 0 ? err : -status, NULL, 0, 0, false);
    int restart = s->closing ? 0 : uv_poll_start(&s->poll, UV_READABLE, on_readable);
    if (restart != 0) deliver(s, -restart, NULL, 0, 0, false);
    return;
  }
  /* s->closing is re-checked after every delivery: the callback may have closed the socket. */
  for (int i = 0; i < MAX_FRAMES_PER_WAKEUP && !s->closing; i++) {
    struct sockaddr_ll from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(s->fd, s->buffer, sizeof s->buffer, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      /* A socket error can also surface here instead of as EPOLLERR; same treatment. */
      deliver(s, errno, NULL, 0, 0, false);
      return;
    }
    /* A failed send (ENOBUFS, ENETDOWN) is not reported here: answered stays false and the JS
     * responder, which decides the same, sends the reply itself and counts the error if any. */
    bool answered = airlb_arp_fast_path_reply(&s->arp_replies, s->buffer, (size_t)n, s->reply) &&
                    send(s->fd, s->reply, sizeof s->reply, MSG_DONTWAIT) == (ssize_t)sizeof s->reply;
    deliver(s, 0, s->buffer, (size_t)n, from.sll_pkttype, answered);
  }
}

static bool set_number(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, obj, name, v) == napi_ok;
}

/* packetOpen(ifname, ethertype, filter: Buffer | null, promiscuous, callback) -> handle
 * The handle carries `mac` (Buffer of 6) and `ifindex`. */
static napi_value packet_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) {
    airlb_throw_type(env, "packetOpen(ifname, ethertype, filter, promiscuous, callback)");
    return NULL;
  }
  char ifname[IF_NAMESIZE];
  uint32_t ethertype;
  bool promiscuous;
  napi_valuetype filter_type, callback_type;
  void *filter = NULL;
  size_t filter_len = 0;
  if (!airlb_get_string(env, argv[0], "ifname", ifname, sizeof ifname)) return NULL;
  if (!airlb_get_u32(env, argv[1], "ethertype", &ethertype)) return NULL;
  NAPI_OK(napi_typeof(env, argv[2], &filter_type));
  if (filter_type != napi_null && !airlb_get_buffer(env, argv[2], "filter", &filter, &filter_len)) return NULL;
  if (!airlb_get_bool(env, argv[3], "promiscuous", &promiscuous)) return NULL;
  NAPI_OK(napi_typeof(env, argv[4], &callback_type));
  if (ethertype > 0xffff || callback_type != napi_function ||
      (filter != NULL && (filter_len == 0 || filter_len % sizeof(struct sock_filter) != 0 ||
                          filter_len / sizeof(struct sock_filter) > BPF_MAXINSNS))) {
    airlb_throw_type(env, "packetOpen: ethertype must fit 16 bits, filter must hold 1..4096 sock_filter "
                          "instructions, callback must be a function");
    return NULL;
  }

  char what[96];
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    airlb_throw_errno(env, err, "opening a packet socket", err == EPERM || err == EACCES ? CAP_HINT : NULL);
    return NULL;
  }
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    int err = errno;
    close(fd);
    snprintf(what, sizeof what, "interface %s", ifname);
    airlb_throw_errno(env, err, what, "check the name with `ip link`");
    return NULL;
  }
  int one = 1;
  struct sock_fprog program = {.len = (unsigned short)(filter_len / sizeof(struct sock_filter)), .filter = filter};
  struct sockaddr_ll bind_address = {
      .sll_family = AF_PACKET, .sll_protocol = htons((uint16_t)ethertype), .sll_ifindex = (int)ifindex};
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, strlen(ifname));
  const char *step = NULL;
  if (filter != NULL && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0) {
    step = "attaching the BPF filter";
  } else if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
    step = "setting PACKET_IGNORE_OUTGOING";
  } else if (bind(fd, (struct sockaddr *)&bind_address, sizeof bind_address) < 0) {
    step = "binding the packet socket";
  } else if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    step = "reading the MAC address (SIOCGIFHWADDR)";
  } else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    close(fd);
    snprintf(what, sizeof what, "interface %s is not an Ethernet-like interface (ARPHRD %u)", ifname,
             ifr.ifr_hwaddr.sa_family);
    napi_throw_error(env, "ENOTETHER", what);
    return NULL;
  } else if (promiscuous) {
    struct packet_mreq mreq = {.mr_ifindex = (int)ifindex, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) step = "enabling promiscuous mode";
  }
  if (step != NULL) {
    int err = errno;
    close(fd);
    snprintf(what, sizeof what, "%s on %s", step, ifname);
    airlb_throw_errno(env, err, what, err == EPERM ? CAP_HINT : NULL);
    return NULL;
  }

  packet_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    airlb_throw_errno(env, ENOMEM, "allocating a packet socket", NULL);
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  uv_loop_t *loop;
  napi_value handle, mac, resource_name;
  void *mac_data;
  int uv_err = 0;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || napi_create_object(env, &handle) != napi_ok ||
      napi_create_buffer_copy(env, 6, ifr.ifr_hwaddr.sa_data, &mac_data, &mac) != napi_ok ||
      napi_set_named_property(env, handle, "mac", mac) != napi_ok || !set_number(env, handle, "ifindex", ifindex) ||
      napi_create_string_utf8(env, "airlb:PacketSocket", NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      (uv_err = uv_poll_init(loop, &s->poll, fd)) != 0) {
    close(fd);
    free(s);
    if (uv_err != 0) airlb_throw_errno(env, -uv_err, "watching the packet socket", NULL);
    else airlb_rethrow(env);
    return NULL;
  }
  /* From here on the poll handle exists, so every failure path must go through uv_close. */
  s->poll.data = s;
  bool ok = napi_create_reference(env, argv[4], 1, &s->callback) == napi_ok;
  ok = ok && napi_create_reference(env, handle, 1, &s->self) == napi_ok;
  ok = ok && napi_async_init(env, handle, resource_name, &s->async) == napi_ok;
  ok = ok && napi_wrap(env, handle, s, finalize, NULL, NULL) == napi_ok;
  if (!ok) {
    /* Not wrapped: nothing will finalize it, so the close callback alone frees it. */
    s->finalized = true;
    s->closing = true;
    if (s->callback != NULL) napi_delete_reference(env, s->callback);
    if (s->self != NULL) napi_delete_reference(env, s->self);
    if (s->async != NULL) napi_async_destroy(env, s->async);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
    airlb_rethrow(env);
    return NULL;
  }
  if ((uv_err = uv_poll_start(&s->poll, UV_READABLE, on_readable)) != 0 ||
      napi_add_env_cleanup_hook(env, cleanup_hook, s) != napi_ok) {
    start_close(s);
    airlb_throw_errno(env, uv_err != 0 ? -uv_err : ENOMEM, "watching the packet socket", NULL);
    return NULL;
  }
  return handle;
}

/* Finds the open socket behind a handle, or throws. */
static packet_socket *open_socket(napi_env env, napi_value handle) {
  void *data = NULL;
  if (napi_unwrap(env, handle, &data) != napi_ok || data == NULL) {
    airlb_throw_type(env, "not a packet socket handle");
    return NULL;
  }
  packet_socket *s = data;
  if (s->closing) {
    airlb_throw_errno(env, EBADF, "packet socket", "it is closed");
    return NULL;
  }
  return s;
}

/* packetSend(handle, frame) -> bytes sent. The frame is a whole Ethernet frame; the kernel sends it
 * out of the bound interface as is. */
static napi_value packet_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *frame;
  size_t length;
  packet_socket *s = argc == 2 ? open_socket(env, argv[0]) : NULL;
  if (s == NULL || !airlb_get_buffer(env, argv[1], "frame", &frame, &length)) return NULL;
  ssize_t n;
  do {
    n = send(s->fd, frame, length, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    airlb_throw_errno(env, errno, "sending on packet socket", NULL);
    return NULL;
  }
  NAPI_OK(napi_create_uint32(env, (uint32_t)n, &result));
  return result;
}

/* packetMembership(handle, mac: Buffer(6), add: boolean): joins or leaves a link-layer multicast
 * group, e.g. the 33:33:ff:xx:xx:xx group of a solicited-node address (RFC 2464 §7). */
static napi_value packet_membership(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *mac;
  size_t mac_len;
  bool add;
  packet_socket *s = argc == 3 ? open_socket(env, argv[0]) : NULL;
  if (s == NULL || !airlb_get_buffer(env, argv[1], "mac", &mac, &mac_len) || !airlb_get_bool(env, argv[2], "add", &add)) {
    return NULL;
  }
  if (mac_len != 6) {
    airlb_throw_type(env, "mac must be 6 bytes");
    return NULL;
  }
  struct sockaddr_ll bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(s->fd, (struct sockaddr *)&bound, &bound_len) < 0) {
    airlb_throw_errno(env, errno, "reading the bound interface", NULL);
    return NULL;
  }
  struct packet_mreq mreq = {.mr_ifindex = bound.sll_ifindex, .mr_type = PACKET_MR_MULTICAST, .mr_alen = 6};
  memcpy(mreq.mr_address, mac, 6);
  if (setsockopt(s->fd, SOL_PACKET, add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mreq, sizeof mreq) < 0) {
    airlb_throw_errno(env, errno, add ? "joining a multicast group" : "leaving a multicast group", NULL);
    return NULL;
  }
  return NULL;
}

/* packetSetArpReplies(handle, entries: Buffer, ownMacs: Buffer): replaces the ARP fast path's
 * table (arp_fast_path.h has the layout); two empty Buffers turn it off. Takes effect for the next
 * frame received: after it returns, no address missing from `entries` is answered natively. */
static napi_value packet_set_arp_replies(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *entries, *own_macs;
  size_t entries_len, own_macs_len;
  packet_socket *s = argc == 3 ? open_socket(env, argv[0]) : NULL;
  if (s == NULL || !airlb_get_buffer(env, argv[1], "entries", &entries, &entries_len) ||
      !airlb_get_buffer(env, argv[2], "ownMacs", &own_macs, &own_macs_len)) {
    return NULL;
  }
  int err = airlb_arp_fast_path_set(&s->arp_replies, entries, entries_len, own_macs, own_macs_len);
  if (err == EINVAL) airlb_throw_type(env, "entries must be n x 10 octets (IPv4, MAC), ownMacs m x 6 octets");
  else if (err != 0) airlb_throw_errno(env, err, "installing the ARP reply table", NULL);
  return NULL;
}

/* packetClose(handle): idempotent. Frames still queued are dropped, and no callback runs after it. */
static napi_value packet_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *data = NULL;
  if (argc != 1 || napi_unwrap(env, argv[0], &data) != napi_ok || data == NULL) {
    airlb_throw_type(env, "not a packet socket handle");
    return NULL;
  }
  start_close(data);
  return NULL;
}

napi_status airlb_init_packet_socket(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"packetOpen", NULL, packet_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSend", NULL, packet_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetMembership", NULL, packet_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSetArpReplies", NULL, packet_set_arp_replies, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetClose", NULL, packet_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
