import { parseIp } from '../net/ip.js';
import { checkNoRepeats, issueAt } from './issue-builder.js';
import type { ConfigIssue, ConfigSet } from './types.js';

/** Addresses in Service, Node and EndpointSlice objects that airlb announces or answers for. */
export function validateKubernetesObjects(config: ConfigSet, issues: ConfigIssue[]): void {
  for (const svc of config.services) {
    const lbIP = svc.spec.loadBalancerIP;
    if (lbIP !== null && lbIP !== '' && parseIp(lbIP) === null) {
      issues.push(issueAt(svc, 'spec.loadBalancerIP', `"${lbIP}" is not an IP address; write one IPv4 or IPv6 address, or remove the field to get one from a pool`));
    }
    svc.spec.clusterIPs.forEach((ip, i) => {
      // "None" marks a headless Service.
      if (ip !== 'None' && ip !== '' && parseIp(ip) === null) issues.push(issueAt(svc, `spec.clusterIPs[${i}]`, `"${ip}" is not an IP address (or "None")`));
    });
    checkNoRepeats(svc, 'spec.ipFamilies', svc.spec.ipFamilies, issues);
    svc.spec.ports.forEach((port, i) => {
      if (port.port < 1 || port.port > 65535) issues.push(issueAt(svc, `spec.ports[${i}].port`, `port ${port.port} is out of range 1-65535`));
    });
    // The model keeps only entries with an ip (not hostname ones), so the index is not the
    // written one: point at the list and name the value.
    for (const ip of svc.status.loadBalancerIngress) {
      if (parseIp(ip) === null) issues.push(issueAt(svc, 'status.loadBalancer.ingress', `ingress ip "${ip}" is not an IP address`));
    }
  }
  for (const node of config.nodes) {
    node.status.addresses.forEach((a, i) => {
      if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && a.address !== '' && parseIp(a.address) === null) {
        issues.push(issueAt(node, `status.addresses[${i}].address`, `${a.type} "${a.address}" is not an IP address`));
      }
    });
  }
  for (const slice of config.endpointSlices) {
    if (slice.addressType === 'FQDN') continue;
    const family = slice.addressType === 'IPv4' ? 4 : 6;
    slice.endpoints.forEach((e, i) => {
      e.addresses.forEach((address, j) => {
        if (parseIp(address)?.family !== family) {
          issues.push(issueAt(slice, `endpoints[${i}].addresses[${j}]`, `"${address}" is not an ${slice.addressType} address, as addressType says`));
        }
      });
    });
  }
}
