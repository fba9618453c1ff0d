/* The in-kernel ARP responder (arp_ebpf.c): an eBPF tc classifier plus its maps. */
#ifndef AIRLB_ARP_EBPF_H
#define AIRLB_ARP_EBPF_H

#include <node_api.h>

/* Registers arpEbpfLoad, arpEbpfUpdate, arpEbpfDelete, arpEbpfCount and arpEbpfClose. */
napi_status airlb_init_arp_ebpf(napi_env env, napi_value exports);

#endif
