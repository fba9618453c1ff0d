/* The ARP fast path's table and matcher (arp_fast_path.c); used by packet_socket.c. */
#ifndef AIRLB_ARP_FAST_PATH_H
#define AIRLB_ARP_FAST_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* An ARP reply for IPv4 over Ethernet: 14-octet header + 28-octet packet (RFC 826). */
#define AIRLB_ARP_REPLY_SIZE 42

typedef struct {
  unsigned char *entries; /* count × (IPv4 address, MAC), sorted by address */
  size_t count;
  unsigned char *own_macs; /* own_mac_count × MAC: requests from these are never answered */
  size_t own_mac_count;
} arp_fast_path;

/* Replaces the table: `entries` is n × 10 octets (address in network order, then the reply MAC),
 * `own_macs` m × 6 octets. Returns 0 or an errno (EINVAL for bad lengths, ENOMEM); on failure the
 * old table stays. */
int airlb_arp_fast_path_set(arp_fast_path *table, const unsigned char *entries, size_t entries_len,
                            const unsigned char *own_macs, size_t own_macs_len);

/* Empties the table and frees its memory. */
void airlb_arp_fast_path_clear(arp_fast_path *table);

/* Builds into `reply` the answer to `frame` when the table answers it; false otherwise. */
bool airlb_arp_fast_path_reply(const arp_fast_path *table, const unsigned char *frame, size_t length,
                               unsigned char reply[AIRLB_ARP_REPLY_SIZE]);

#endif
