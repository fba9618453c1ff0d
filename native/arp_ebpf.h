/* The in-kernel ARP responder (arp_ebpf.c): an eBPF tc program, its maps and its TCX link. */
#ifndef AIRLB_ARP_EBPF_H
#define AIRLB_ARP_EBPF_H

#include <node_api.h>

/* Registers arpEbpfLoad, arpEbpfAttach, arpEbpfUpdate, arpEbpfDelete, arpEbpfOwnMac, arpEbpfCount and arpEbpfClose. */
napi_status airlb_init_arp_ebpf(napi_env env, napi_value exports);

#endif
