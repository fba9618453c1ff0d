import type { InterfaceFacts } from '../../src/domain/l2/interfaces.js';

/**
 * What the /sys/class/net scan reports for a plain wired Ethernet port that is up (IFF_UP |
 * IFF_BROADCAST | IFF_MULTICAST), with one IPv4 address: the interface most unit tests announce on.
 */
export function wiredEth0(mac: string, address: string, prefixLength = 24): InterfaceFacts {
  return {
    name: 'eth0',
    ifindex: 2,
    type: 1,
    mac,
    operstate: 'up',
    flags: 0x1003,
    devtype: null,
    hasWirelessDir: false,
    hasPhy80211: false,
    master: null,
    softwareDevice: false,
    addresses: [{ address, prefixLength }],
  };
}
