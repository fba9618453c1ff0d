import type { RouterModel } from './model.js';
import { renderBird } from './bird.js';

/**
 * OpenWrt has no BGP daemon of its own; its package feed has BIRD 2 (bird2, bird2c). The output is
 * a shell script to run on the router: install BIRD, write /etc/bird.conf (the BIRD renderer's
 * output), open TCP 179 from the LAN in the firewall, and enable the service.
 */
export function renderOpenwrt(model: RouterModel, header: string): string {
  const bird = renderBird(model, header).trimEnd();
  const port = model.sessions[0]?.listenPort ?? 179;
  return [
    '#!/bin/sh',
    ...header.split('\n').map((l) => `# ${l}`.trimEnd()),
    '# Run on the OpenWrt router as root (ssh root@router sh < this-file).',
    'set -e',
    'opkg update',
    'opkg install bird2 bird2c',
    "cat > /etc/bird.conf <<'AIRLB_BIRD_CONF'",
    bird,
    'AIRLB_BIRD_CONF',
    '# Let the nodes on the LAN reach BIRD.',
    "uci -q delete firewall.airlb_bgp || true",
    'uci set firewall.airlb_bgp=rule',
    "uci set firewall.airlb_bgp.name='Allow-airlb-BGP'",
    "uci set firewall.airlb_bgp.src='lan'",
    "uci set firewall.airlb_bgp.proto='tcp'",
    `uci set firewall.airlb_bgp.dest_port='${port}'`,
    "uci set firewall.airlb_bgp.target='ACCEPT'",
    'uci commit firewall',
    '/etc/init.d/firewall reload',
    '/etc/init.d/bird enable',
    '/etc/init.d/bird restart',
    'birdc show protocols',
    '',
  ].join('\n');
}
