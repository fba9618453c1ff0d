import type { Command } from './command.js';

/** A subcommand as `airlb --help` lists it; its module is loaded only when it runs. */
export interface CommandEntry {
  readonly name: string;
  /** One line for `airlb --help`. */
  readonly summary: string;
  load(): Promise<Command>;
}

/**
 * Every subcommand, in the order `airlb --help` lists them. Modules load lazily so a command pays
 * only for what it uses: the standalone speaker must not carry the Kubernetes client in memory.
 */
export const commands: readonly CommandEntry[] = [
  { name: 'validate', summary: 'check MetalLB config and Kubernetes objects, reporting FILE:LINE for every problem', load: async () => (await import('./validate/index.js')).validateCommand },
  { name: 'plan', summary: 'allocate addresses and elect announcing nodes for a set of manifests (offline)', load: async () => (await import('./plan/index.js')).planCommand },
  { name: 'standalone', summary: 'announce VIPs over ARP/NDP or BGP from a folder of YAML (no Kubernetes)', load: async () => (await import('./standalone/index.js')).standaloneCommand },
  { name: 'controller', summary: 'allocate Service addresses in a Kubernetes cluster (MetalLB controller)', load: async () => (await import('./controller/index.js')).controllerCommand },
  { name: 'speaker', summary: 'announce Service addresses over ARP/NDP in a Kubernetes cluster (MetalLB speaker)', load: async () => (await import('./speaker/index.js')).speakerCommand },
  { name: 'doctor', summary: 'diagnose why a VIP does not answer on a WiFi LAN, name the cause and the fix', load: async () => (await import('./doctor/index.js')).doctorCommand },
  { name: 'verify', summary: 'check a VIP from the LAN: one MAC answers ARP, the right node, TCP connects', load: async () => (await import('./verify/index.js')).verifyCommand },
  { name: 'arp-pin', summary: "pin VIPs in this machine's ARP table to their current owner, following failover", load: async () => (await import('./arp-pin/index.js')).arpPinCommand },
  { name: 'router-config', summary: 'print the BIRD, FRR, GoBGP or OpenWrt side of the BGP sessions', load: async () => (await import('./router-config/index.js')).routerConfigCommand },
  { name: 'lab', summary: 'the home-lab emulator: router, WiFi AP, Pi nodes and clients in network namespaces', load: async () => (await import('./lab/index.js')).labCommand },
];
