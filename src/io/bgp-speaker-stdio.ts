import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { BFDProfile, BGPPeer } from '../domain/config/types.js';
import type { BgpAnnouncement } from '../domain/bgp/announcements.js';
import { describeError } from '../errors.js';
import { BgpSpeaker } from './bgp-speaker.js';
import { createLogger } from './logger.js';
import { nativeAddon, type NativeAddon } from './native.js';
import { systemClock } from './system-clock.js';

/**
 * A BgpSpeaker driven by JSON lines, so tests and the lab can run one inside a network namespace
 * as a child process (`ip netns exec NS node --import tsx test/bgp/fixtures/speaker.ts`).
 *
 * In:  {"start": StdioStart}, then any of {"routes": BgpAnnouncement[]}, {"peers": BGPPeer[]}, {"status": true},
 *      {"stop": "message"}
 * Out: {"event":"started"}, {"event":"state","peer","from","to","reason"}, {"event":"status","sessions":[...]},
 *      {"event":"peers"} (after a peers change), {"event":"stopped"}, {"event":"error","message"}. Logs go to `log` as JSON lines.
 */
export interface StdioStart {
  readonly node: string;
  readonly peers: readonly BGPPeer[];
  readonly bfdProfiles?: readonly BFDProfile[];
  readonly routerId: string;
  readonly nodeAddresses?: { readonly v4: string | null; readonly v6: string | null };
  readonly listen?: { readonly address: string; readonly port: number } | null;
}

type Command = { start: StdioStart } | { routes: BgpAnnouncement[] } | { peers: BGPPeer[] } | { status: true } | { stop: string };

function loadNative(): NativeAddon | null {
  try {
    return nativeAddon();
  } catch {
    return null;
  }
}

export async function runBgpSpeakerStdio(input: Readable, output: Writable, log: Writable): Promise<void> {
  const emit = (event: Record<string, unknown>) => output.write(`${JSON.stringify(event)}\n`);
  const logger = createLogger({ format: 'json', level: 'info', write: (line) => log.write(line) });
  let speaker: BgpSpeaker | null = null;
  for await (const line of createInterface({ input })) {
    if (line.trim() === '') continue;
    try {
      const command = JSON.parse(line) as Command;
      if ('start' in command) {
        const s = command.start;
        speaker = await BgpSpeaker.start({
          node: s.node,
          peers: s.peers,
          bfdProfiles: s.bfdProfiles ?? [],
          routerId: s.routerId,
          nodeAddresses: s.nodeAddresses ?? { v4: null, v6: null },
          listen: s.listen ?? null,
          clock: systemClock,
          logger,
          native: loadNative(),
          onStateChange: (change) => emit({ event: 'state', ...change }),
        });
        emit({ event: 'started' });
      } else if ('routes' in command) {
        speaker?.setRoutes(command.routes);
      } else if ('peers' in command) {
        await speaker?.setPeers(command.peers);
        emit({ event: 'peers' });
      } else if ('status' in command) {
        emit({ event: 'status', sessions: speaker?.status() ?? [] });
      } else if ('stop' in command) {
        await speaker?.stop(command.stop);
        speaker = null;
        emit({ event: 'stopped' });
        return;
      }
    } catch (err) {
      emit({ event: 'error', message: describeError(err) });
    }
  }
  await speaker?.stop();
}
