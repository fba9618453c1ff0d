/*
 * The ARP fast path: a per-socket table "target IPv4 -> reply MAC" that packet_socket.c consults
 * for every received frame before handing it to JavaScript, so a request for a claimed VIP is
 * answered from the receive callback without the trip through N-API and the JS responder.
 *
 * The policy stays in TypeScript (src/domain/l2/responder-policy.ts, decideArp): the engine puts in
 * the table exactly the addresses decideArp answers for on this interface, with the MAC it answers
 * with, plus the node's own MACs. This file only executes the table, and answers a frame only when
 * every structural condition decideArp checks holds, so the two can never disagree:
 * - IPv4-over-Ethernet ARP (RFC 826: hrd 1, pro 0x0800, hln 6, pln 4) with op 1 (request);
 * - the sender hardware address is none of the node's own MACs (our own probes and requests,
 *   seen on another of our interfaces, are not questions to answer);
 * - sender IP != target IP: an ARP Announcement (RFC 5227 §3) asks nothing;
 * - the target IP is in the table.
 * A Probe (RFC 5227 §2.1.1, sender IP 0.0.0.0) for a VIP in the table is answered like any request:
 * that reply is what tells the prober the address is taken (§2.1.1, §2.4).
 *
 * The reply is the one src/standalone/frames.ts arpReply builds (the tests compare the bytes):
 * unicast to the asker's ar$sha, from the table's MAC, ar$spa = the requested address, ar$tha/ar$tpa
 * = the asker's (RFC 826 "swap the hardware and protocol fields, put the local addresses in the
 * sender slots, set the opcode to reply").
 */
#include "arp_fast_path.h"

#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define ETHER_HEADER 14
#define ETHERTYPE_ARP 0x0806
#define ARP_ENTRY_SIZE 10 /* IPv4 address (4, network order) + MAC (6) */

static int compare_entries(const void *a, const void *b) { return memcmp(a, b, 4); }

void airlb_arp_fast_path_clear(arp_fast_path *table) {
  free(table->entries);
  free(table->own_macs);
  memset(table, 0, sizeof *table);
}

int airlb_arp_fast_path_set(arp_fast_path *table, const unsigned char *entries, size_t entries_len,
                            const unsigned char *own_macs, size_t own_macs_len) {
  if (entries_len % ARP_ENTRY_SIZE != 0 || own_macs_len % 6 != 0) return EINVAL;
  unsigned char *new_entries = NULL, *new_macs = NULL;
  if (entries_len > 0 && (new_entries = malloc(entries_len)) == NULL) return ENOMEM;
  if (own_macs_len > 0 && (new_macs = malloc(own_macs_len)) == NULL) {
    free(new_entries);
    return ENOMEM;
  }
  if (entries_len > 0) {
    memcpy(new_entries, entries, entries_len);
    /* Sorted by address (network order compares like the number) for the binary search below. */
    qsort(new_entries, entries_len / ARP_ENTRY_SIZE, ARP_ENTRY_SIZE, compare_entries);
  }
  if (own_macs_len > 0) memcpy(new_macs, own_macs, own_macs_len);
  /* Replaced in one step on the loop thread, which is also the only reader: a frame is matched
   * against either the old table or the new one, never a mix, and none after a release returns. */
  airlb_arp_fast_path_clear(table);
  table->entries = new_entries;
  table->count = entries_len / ARP_ENTRY_SIZE;
  table->own_macs = new_macs;
  table->own_mac_count = own_macs_len / 6;
  return 0;
}

static uint16_t read16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static const unsigned char *lookup(const arp_fast_path *table, const unsigned char *ip) {
  size_t lo = 0, hi = table->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const unsigned char *entry = table->entries + mid * ARP_ENTRY_SIZE;
    int c = memcmp(ip, entry, 4);
    if (c == 0) return entry + 4;
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return NULL;
}

bool airlb_arp_fast_path_reply(const arp_fast_path *table, const unsigned char *frame, size_t length,
                               unsigned char reply[AIRLB_ARP_REPLY_SIZE]) {
  if (table->count == 0 || length < AIRLB_ARP_REPLY_SIZE || read16(frame + 12) != ETHERTYPE_ARP) return false;
  const unsigned char *arp = frame + ETHER_HEADER;
  if (read16(arp) != 1 || read16(arp + 2) != 0x0800 || arp[4] != 6 || arp[5] != 4 || read16(arp + 6) != 1) return false;
  const unsigned char *sha = arp + 8, *spa = arp + 14, *tpa = arp + 24;
  if (memcmp(spa, tpa, 4) == 0) return false;
  for (size_t i = 0; i < table->own_mac_count; i++) {
    if (memcmp(sha, table->own_macs + i * 6, 6) == 0) return false;
  }
  const unsigned char *mac = lookup(table, tpa);
  if (mac == NULL) return false;
  /* Ethernet: to the asker, from us, ARP. */
  memcpy(reply, sha, 6);
  memcpy(reply + 6, mac, 6);
  reply[12] = ETHERTYPE_ARP >> 8;
  reply[13] = ETHERTYPE_ARP & 0xff;
  unsigned char *out = reply + ETHER_HEADER;
  memcpy(out, arp, 6); /* hrd, pro, hln, pln as asked (validated above) */
  out[6] = 0;
  out[7] = 2; /* reply */
  memcpy(out + 8, mac, 6);
  memcpy(out + 14, tpa, 4);
  memcpy(out + 18, sha, 6);
  memcpy(out + 24, spa, 4);
  return true;
}
