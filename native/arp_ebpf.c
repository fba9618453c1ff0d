/*
 * In-kernel ARP responder: a hand-assembled eBPF program for tc ingress (BPF_PROG_TYPE_SCHED_CLS,
 * attached through a TCX link) that answers ARP requests for the addresses in a hash map (IPv4 →
 * MAC) by rewriting the request into the reply (RFC 826, "Packet Reception") and redirecting it
 * out of the interface it came in on. The kernel answers inside the sender's softirq, with no
 * process wake-up — the user-space fast path (arp_fast_path.c) cannot get closer than ~1.65× the
 * kernel's own responder because of that wake-up.
 *
 * Lifetime: the program is attached with bpf(BPF_LINK_CREATE, BPF_TCX_INGRESS) (Linux ≥ 6.6) and
 * never pinned, so the only reference to the attachment is the link fd this process holds. When
 * the process dies — SIGKILL included — the kernel closes that fd and detaches the program: a dead
 * speaker cannot keep answering for VIPs another node has taken over (split brain). Every fd bpf(2)
 * returns is O_CLOEXEC (the kernel creates map, program and link fds with it), so a child process
 * started with exec does not inherit them and cannot keep the program alive either.
 *
 * The bytecode is assembled here so installing airlb needs no clang/LLVM. Policy stays in
 * TypeScript: the program only executes the tables, with the rules of arp_fast_path.c (which are
 * decideArp's, src/domain/l2/responder-policy.ts): a request (not a reply, not an RFC 5227 §3
 * announcement) from a MAC that is none of the node's own, for an address in the table.
 * Frames it answers never reach the packet socket bound to ETH_P_ARP (tc ingress runs before the
 * protocol handlers), so it counts them in a one-slot per-CPU array that JS sums.
 */
/* setns(2) and CLONE_NEWNET. */
#define _GNU_SOURCE
#include "arp_ebpf.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Instruction builders (linux/bpf.h encodings). */
#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX(size, d, s, o) INSN(BPF_LDX | BPF_MEM | (size), d, s, o, 0)
#define STX(size, d, s, o) INSN(BPF_STX | BPF_MEM | (size), d, s, o, 0)
#define ST(size, d, o, i) INSN(BPF_ST | BPF_MEM | (size), d, 0, o, i)
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* A 64-bit immediate load takes two slots; with BPF_PSEUDO_MAP_FD the kernel swaps the fd for the map. */
#define LD_MAP_FD(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

/* Jump targets are patched by name: PASS is the "return TCX_NEXT" tail. */
#define PASS_PLACEHOLDER 0x7fff

/* linux/bpf.h of Linux 6.6 (enum bpf_attach_type, enum tcx_action_base); the headers the addon is
 * built against may predate TCX, and the kernel it runs on decides anyway (EINVAL when older). */
#define AIRLB_BPF_TCX_INGRESS 46
/* "Not mine": the next program of the interface's TCX chain runs, or the stack gets the frame when
 * there is none. TCX_PASS (0, tc's TC_ACT_OK) would end the chain and starve programs behind ours. */
#define TCX_NEXT_VALUE (-1)

/* Packet field offsets from the start of the Ethernet header (14 octets) + ARP (RFC 826). */
enum {
  ETH_DST = 0, ETH_SRC = 6, ETH_TYPE = 12,
  ARP_HTYPE = 14, ARP_PTYPE = 16, ARP_HLEN = 18, ARP_PLEN = 19, ARP_OP = 20,
  ARP_SHA = 22, ARP_SPA = 28, ARP_THA = 32, ARP_TPA = 38, ARP_END = 42,
};

/* Big-endian constants as the little-endian loads of x86/arm64 see them. */
static int be16(uint16_t v) { return (int)(uint16_t)((v >> 8) | (v << 8)); }

static size_t assemble(struct bpf_insn *p, int table_fd, int own_fd, int counter_fd) {
  size_t n = 0;
  /* r6 = skb, r7 = data, r8 = data_end (callee-saved, so they survive the helper calls). */
  p[n++] = MOV64_REG(BPF_REG_6, BPF_REG_1);
  p[n++] = LDX(BPF_W, BPF_REG_7, BPF_REG_6, offsetof(struct __sk_buff, data));
  p[n++] = LDX(BPF_W, BPF_REG_8, BPF_REG_6, offsetof(struct __sk_buff, data_end));
  p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_7);
  p[n++] = ADD64_IMM(BPF_REG_2, ARP_END);
  p[n++] = JMP_REG(BPF_JGT, BPF_REG_2, BPF_REG_8, PASS_PLACEHOLDER);
  /* Ethernet type ARP, then IPv4-over-Ethernet request: htype 1, ptype 0x0800, hlen 6, plen 4, op 1. */
  p[n++] = LDX(BPF_H, BPF_REG_2, BPF_REG_7, ETH_TYPE);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, be16(0x0806), PASS_PLACEHOLDER);
  p[n++] = LDX(BPF_H, BPF_REG_2, BPF_REG_7, ARP_HTYPE);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, be16(1), PASS_PLACEHOLDER);
  p[n++] = LDX(BPF_H, BPF_REG_2, BPF_REG_7, ARP_PTYPE);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, be16(0x0800), PASS_PLACEHOLDER);
  p[n++] = LDX(BPF_B, BPF_REG_2, BPF_REG_7, ARP_HLEN);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, 6, PASS_PLACEHOLDER);
  p[n++] = LDX(BPF_B, BPF_REG_2, BPF_REG_7, ARP_PLEN);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, 4, PASS_PLACEHOLDER);
  p[n++] = LDX(BPF_H, BPF_REG_2, BPF_REG_7, ARP_OP);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_2, be16(1), PASS_PLACEHOLDER);
  /* Sender IP = target IP is a gratuitous ARP / conflict probe announcement: never answered. */
  p[n++] = LDX(BPF_W, BPF_REG_9, BPF_REG_7, ARP_TPA);
  p[n++] = LDX(BPF_W, BPF_REG_2, BPF_REG_7, ARP_SPA);
  p[n++] = JMP_REG(BPF_JEQ, BPF_REG_2, BPF_REG_9, PASS_PLACEHOLDER);
  /* The sender MAC is one of the node's own (our probe or request, seen on another of our
   * interfaces): never answered. Key: the 6 octets zero-padded to 8, on the stack at r10-16. */
  p[n++] = LDX(BPF_W, BPF_REG_2, BPF_REG_7, ARP_SHA);
  p[n++] = STX(BPF_W, BPF_REG_10, BPF_REG_2, -16);
  p[n++] = LDX(BPF_H, BPF_REG_2, BPF_REG_7, ARP_SHA + 4);
  p[n++] = STX(BPF_H, BPF_REG_10, BPF_REG_2, -12);
  p[n++] = ST(BPF_H, BPF_REG_10, -10, 0);
  p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_10);
  p[n++] = ADD64_IMM(BPF_REG_2, -16);
  {
    struct bpf_insn ld[2] = {LD_MAP_FD(BPF_REG_1, own_fd)};
    p[n++] = ld[0];
    p[n++] = ld[1];
  }
  p[n++] = CALL(BPF_FUNC_map_lookup_elem);
  p[n++] = JMP_IMM(BPF_JNE, BPF_REG_0, 0, PASS_PLACEHOLDER);
  /* r0 = table[target IP] (key on the stack, network order as in the frame). */
  p[n++] = STX(BPF_W, BPF_REG_10, BPF_REG_9, -4);
  p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_10);
  p[n++] = ADD64_IMM(BPF_REG_2, -4);
  {
    struct bpf_insn ld[2] = {LD_MAP_FD(BPF_REG_1, table_fd)};
    p[n++] = ld[0];
    p[n++] = ld[1];
  }
  p[n++] = CALL(BPF_FUNC_map_lookup_elem);
  p[n++] = JMP_IMM(BPF_JEQ, BPF_REG_0, 0, PASS_PLACEHOLDER);
  /* Rewrite (RFC 826): target hardware/protocol address ← sender's; sender ← ours; op ← reply.
   * Ethernet destination ← requester, source ← ours. Copies go in 16-bit halves (all even offsets). */
  for (int i = 0; i < 6; i += 2) {
    p[n++] = LDX(BPF_H, BPF_REG_2, BPF_REG_7, ARP_SHA + i);
    p[n++] = STX(BPF_H, BPF_REG_7, BPF_REG_2, ETH_DST + i);
    p[n++] = STX(BPF_H, BPF_REG_7, BPF_REG_2, ARP_THA + i);
    p[n++] = LDX(BPF_H, BPF_REG_3, BPF_REG_0, i);
    p[n++] = STX(BPF_H, BPF_REG_7, BPF_REG_3, ARP_SHA + i);
    p[n++] = STX(BPF_H, BPF_REG_7, BPF_REG_3, ETH_SRC + i);
  }
  p[n++] = LDX(BPF_W, BPF_REG_2, BPF_REG_7, ARP_SPA);
  p[n++] = STX(BPF_W, BPF_REG_7, BPF_REG_2, ARP_TPA);
  p[n++] = STX(BPF_W, BPF_REG_7, BPF_REG_9, ARP_SPA);
  p[n++] = ST(BPF_H, BPF_REG_7, ARP_OP, be16(2));
  /* counter[0] += 1 on this CPU (per-CPU slot: no atomics needed). */
  p[n++] = ST(BPF_W, BPF_REG_10, -8, 0);
  p[n++] = MOV64_REG(BPF_REG_2, BPF_REG_10);
  p[n++] = ADD64_IMM(BPF_REG_2, -8);
  {
    struct bpf_insn ld[2] = {LD_MAP_FD(BPF_REG_1, counter_fd)};
    p[n++] = ld[0];
    p[n++] = ld[1];
  }
  p[n++] = CALL(BPF_FUNC_map_lookup_elem);
  p[n++] = JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 3);
  p[n++] = LDX(BPF_DW, BPF_REG_2, BPF_REG_0, 0);
  p[n++] = ADD64_IMM(BPF_REG_2, 1);
  p[n++] = STX(BPF_DW, BPF_REG_0, BPF_REG_2, 0);
  /* Out of the interface it arrived on (flags 0 = egress); returns TC_ACT_REDIRECT. */
  p[n++] = LDX(BPF_W, BPF_REG_1, BPF_REG_6, offsetof(struct __sk_buff, ifindex));
  p[n++] = MOV64_IMM(BPF_REG_2, 0);
  p[n++] = CALL(BPF_FUNC_redirect);
  p[n++] = EXIT();
  size_t pass = n;
  p[n++] = MOV64_IMM(BPF_REG_0, TCX_NEXT_VALUE);
  p[n++] = EXIT();
  for (size_t i = 0; i < pass; i++) {
    if (BPF_CLASS(p[i].code) == BPF_JMP && p[i].off == PASS_PLACEHOLDER) p[i].off = (short)(pass - i - 1);
  }
  return n;
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int create_map(enum bpf_map_type type, uint32_t key_size, uint32_t value_size, uint32_t entries,
                      uint32_t flags) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = type;
  attr.key_size = key_size;
  attr.value_size = value_size;
  attr.max_entries = entries;
  attr.map_flags = flags;
  return sys_bpf(BPF_MAP_CREATE, &attr);
}

/* The table holds at most this many VIPs per interface (the address pools of a home lab are small). */
#define TABLE_CAPACITY 4096
/* Table value: the reply MAC, padded to 8 octets. */
#define TABLE_VALUE_SIZE 8
/* Own-MAC set: key the MAC padded to 8 octets, value one unused octet (a hash map is a set here). */
#define OWN_KEY_SIZE 8
#define OWN_CAPACITY 256
#define MAX_INSNS 128

static void close_all(const int *fds, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (fds[i] >= 0) close(fds[i]);
  }
}

/* arpEbpfLoad() → [progFd, tableFd, ownMacsFd, counterFd]: creates the maps and loads the program
 * (the verifier's log goes into the error message). Nothing is attached or pinned: see
 * arpEbpfAttach. The program only reads the two tables, so they are BPF_F_RDONLY_PROG: only this
 * process, through its fds, changes what is answered. */
static napi_value arp_ebpf_load(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[4] = {-1, -1, -1, -1};
  fds[1] = create_map(BPF_MAP_TYPE_HASH, 4, TABLE_VALUE_SIZE, TABLE_CAPACITY, BPF_F_RDONLY_PROG);
  if (fds[1] < 0) {
    airlb_throw_errno(env, errno, "bpf(BPF_MAP_CREATE, hash)", "needs CAP_BPF (or root) and CONFIG_BPF_SYSCALL");
    return NULL;
  }
  fds[2] = create_map(BPF_MAP_TYPE_HASH, OWN_KEY_SIZE, 1, OWN_CAPACITY, BPF_F_RDONLY_PROG);
  fds[3] = fds[2] < 0 ? -1 : create_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
  if (fds[2] < 0 || fds[3] < 0) {
    int err = errno;
    close_all(fds, 4);
    airlb_throw_errno(env, err, "bpf(BPF_MAP_CREATE)", NULL);
    return NULL;
  }
  struct bpf_insn insns[MAX_INSNS];
  size_t count = assemble(insns, fds[1], fds[2], fds[3]);
  static char log[65536];
  static const char license[] = "GPL";
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)count;
  attr.license = (uint64_t)(uintptr_t)license;
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof(log);
  attr.log_level = 1;
  strncpy(attr.prog_name, "airlb_arp", sizeof(attr.prog_name) - 1);
  log[0] = 0;
  fds[0] = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fds[0] < 0) {
    int err = errno;
    close_all(fds, 4);
    /* The tail of the verifier log says which instruction it refused; EPERM means no CAP_BPF +
     * CAP_NET_ADMIN (a tc program is a networking program). */
    size_t len = strlen(log);
    airlb_throw_errno(env, err, "bpf(BPF_PROG_LOAD)", len == 0 ? NULL : len > 400 ? log + len - 400 : log);
    return NULL;
  }
  napi_value result, v;
  NAPI_OK(napi_create_array_with_length(env, 4, &result));
  for (uint32_t i = 0; i < 4; i++) {
    NAPI_OK(napi_create_int32(env, fds[i], &v));
    NAPI_OK(napi_set_element(env, result, i, v));
  }
  return result;
}

/* Creates the TCX ingress link for prog_fd on ifname in the calling thread's network namespace;
 * returns the link fd or -1 with errno set. */
static int tcx_attach(int prog_fd, const char *ifname) {
  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return -1;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.link_create.prog_fd = (uint32_t)prog_fd;
  attr.link_create.target_ifindex = ifindex;
  attr.link_create.attach_type = AIRLB_BPF_TCX_INGRESS;
  /* flags 0, no relative_fd: appended at the end of the interface's chain, after what is there. */
  return sys_bpf(BPF_LINK_CREATE, &attr);
}

/* arpEbpfAttach(progFd, ifname[, netnsPath]) → linkFd: attaches the program at ifname's ingress
 * through a TCX link. The link, not a pin or a tc filter, holds the attachment: closing linkFd —
 * or the process dying — detaches it. With netnsPath (a /run/netns/NAME file) the interface is
 * looked up and the link created in that namespace: the thread enters it for the two calls and
 * returns to its own (setns(2) with CLONE_NEWNET affects only the calling thread). */
static napi_value arp_ebpf_attach(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t prog_fd;
  char ifname[IF_NAMESIZE];
  char netns[256] = "";
  if (argc < 2 || !airlb_get_u32(env, argv[0], "progFd", &prog_fd) ||
      !airlb_get_string(env, argv[1], "ifname", ifname, sizeof(ifname))) {
    if (argc < 2) airlb_throw_type(env, "arpEbpfAttach(progFd, ifname[, netnsPath])");
    return NULL;
  }
  napi_valuetype t = napi_undefined;
  if (argc >= 3) NAPI_OK(napi_typeof(env, argv[2], &t));
  if (t != napi_undefined && !airlb_get_string(env, argv[2], "netnsPath", netns, sizeof(netns))) return NULL;
  int link_fd, err;
  if (netns[0] == 0) {
    link_fd = tcx_attach((int)prog_fd, ifname);
    err = errno;
  } else {
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = home < 0 ? -1 : open(netns, O_RDONLY | O_CLOEXEC);
    if (target < 0 || setns(target, CLONE_NEWNET) < 0) {
      err = errno;
      if (home >= 0) close(home);
      if (target >= 0) close(target);
      airlb_throw_errno(env, err, "setns(netnsPath)", netns);
      return NULL;
    }
    link_fd = tcx_attach((int)prog_fd, ifname);
    err = errno;
    /* Back home before anything else runs on this thread; staying in the wrong namespace would
     * silently move every later socket of the process, so failing to return is fatal. */
    if (setns(home, CLONE_NEWNET) < 0) abort();
    close(home);
    close(target);
  }
  if (link_fd < 0) {
    airlb_throw_errno(env, err, "bpf(BPF_LINK_CREATE, BPF_TCX_INGRESS)", ifname);
    return NULL;
  }
  napi_value result;
  NAPI_OK(napi_create_int32(env, link_fd, &result));
  return result;
}

/* One element of a map written from user space; 0 or the errno. */
static int map_update(uint32_t fd, const void *key, const void *value) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  attr.value = (uint64_t)(uintptr_t)value;
  attr.flags = BPF_ANY;
  return sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) < 0 ? errno : 0;
}

/* Deleting an absent key is not an error: the tables converge on the wanted set. 0 or the errno. */
static int map_delete(uint32_t fd, const void *key) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)key;
  return sys_bpf(BPF_MAP_DELETE_ELEM, &attr) < 0 && errno != ENOENT ? errno : 0;
}

/* Reads (fd, 4-octet IPv4 key[, 6-octet MAC]) arguments shared by update and delete. */
static bool table_args(napi_env env, napi_callback_info info, bool with_mac, uint32_t *fd,
                       uint8_t key[4], uint8_t value[TABLE_VALUE_SIZE]) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    airlb_rethrow(env);
    return false;
  }
  void *data;
  size_t len;
  if (argc < (with_mac ? 3u : 2u)) {
    airlb_throw_type(env, "arpEbpf table call: missing arguments");
    return false;
  }
  if (!airlb_get_u32(env, argv[0], "tableFd", fd) || !airlb_get_buffer(env, argv[1], "address", &data, &len)) return false;
  if (len != 4) {
    airlb_throw_type(env, "address must be 4 octets");
    return false;
  }
  memcpy(key, data, 4);
  if (!with_mac) return true;
  if (!airlb_get_buffer(env, argv[2], "mac", &data, &len)) return false;
  if (len != 6) {
    airlb_throw_type(env, "mac must be 6 octets");
    return false;
  }
  memset(value, 0, TABLE_VALUE_SIZE);
  memcpy(value, data, 6);
  return true;
}

static napi_value arp_ebpf_update(napi_env env, napi_callback_info info) {
  uint32_t fd;
  uint8_t key[4], value[TABLE_VALUE_SIZE];
  if (!table_args(env, info, true, &fd, key, value)) return NULL;
  int err = map_update(fd, key, value);
  if (err != 0) airlb_throw_errno(env, err, "bpf(BPF_MAP_UPDATE_ELEM)", NULL);
  return NULL;
}

static napi_value arp_ebpf_delete(napi_env env, napi_callback_info info) {
  uint32_t fd;
  uint8_t key[4];
  if (!table_args(env, info, false, &fd, key, NULL)) return NULL;
  int err = map_delete(fd, key);
  if (err != 0) airlb_throw_errno(env, err, "bpf(BPF_MAP_DELETE_ELEM)", NULL);
  return NULL;
}

/* arpEbpfOwnMac(ownMacsFd, mac, present): adds or removes one of the node's own MACs, whose
 * requests the program never answers. Removing an absent one is not an error. */
static napi_value arp_ebpf_own_mac(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t fd;
  void *data;
  size_t len;
  bool present;
  if (argc < 3) {
    airlb_throw_type(env, "arpEbpfOwnMac(ownMacsFd, mac, present)");
    return NULL;
  }
  if (!airlb_get_u32(env, argv[0], "ownMacsFd", &fd) || !airlb_get_buffer(env, argv[1], "mac", &data, &len) ||
      !airlb_get_bool(env, argv[2], "present", &present)) {
    return NULL;
  }
  if (len != 6) {
    airlb_throw_type(env, "mac must be 6 octets");
    return NULL;
  }
  uint8_t key[OWN_KEY_SIZE] = {0};
  uint8_t value = 1;
  memcpy(key, data, 6);
  int err = present ? map_update(fd, key, &value) : map_delete(fd, key);
  if (err != 0) airlb_throw_errno(env, err, present ? "bpf(BPF_MAP_UPDATE_ELEM, own MAC)" : "bpf(BPF_MAP_DELETE_ELEM, own MAC)", NULL);
  return NULL;
}

/* arpEbpfCount(counterFd) → replies sent, summed over the per-CPU slots. */
static napi_value arp_ebpf_count(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t fd;
  if (argc < 1 || !airlb_get_u32(env, argv[0], "counterFd", &fd)) return NULL;
  long cpus = sysconf(_SC_NPROCESSORS_CONF);
  /* Per-CPU values come back one 8-octet slot per possible CPU; over-allocate for offline ones. */
  size_t slots = (size_t)(cpus > 0 ? cpus : 1) + 64;
  uint64_t *values = calloc(slots, sizeof(uint64_t));
  if (values == NULL) {
    airlb_throw_errno(env, ENOMEM, "arpEbpfCount", NULL);
    return NULL;
  }
  uint32_t key = 0;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_fd = fd;
  attr.key = (uint64_t)(uintptr_t)&key;
  attr.value = (uint64_t)(uintptr_t)values;
  if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) < 0) {
    int err = errno;
    free(values);
    airlb_throw_errno(env, err, "bpf(BPF_MAP_LOOKUP_ELEM)", NULL);
    return NULL;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < slots; i++) total += values[i];
  free(values);
  napi_value result;
  NAPI_OK(napi_create_double(env, (double)total, &result));
  return result;
}

static napi_value arp_ebpf_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t fd;
  if (argc < 1 || !airlb_get_u32(env, argv[0], "fd", &fd)) return NULL;
  if (close((int)fd) < 0) airlb_throw_errno(env, errno, "close", NULL);
  return NULL;
}

napi_status airlb_init_arp_ebpf(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"arpEbpfLoad", NULL, arp_ebpf_load, NULL, NULL, NULL, napi_default, NULL},
      {"arpEbpfAttach", NULL, arp_ebpf_attach, NULL, NULL, NULL, napi_default, NULL},
      {"arpEbpfOwnMac", NULL, arp_ebpf_own_mac, NULL, NULL, NULL, napi_default, NULL},
      {"arpEbpfUpdate", NULL, arp_ebpf_update, NULL, NULL, NULL, napi_default, NULL},
      {"arpEbpfDelete", NULL, arp_ebpf_delete, NULL, NULL, NULL, napi_default, NULL},
      {"arpEbpfCount", NULL, arp_ebpf_count, NULL, NULL, NULL, napi_default, NULL},
      {"arpEbpfClose", NULL, arp_ebpf_close, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
