import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VipAnnouncer, type ConflictReport } from '../../src/domain/l2/announcer.js';
import type { Conflict } from '../../src/domain/l2/conflict.js';
import { FAST_TIMINGS, RFC5227_TIMINGS, TAKEOVER_CLAIM, announceTimings, type AnnounceTimings } from '../../src/domain/l2/timings.js';
import { AirlbError } from '../../src/errors.js';
import { ManualClock } from '../support/manual-clock.js';

const VIP = '192.168.1.240';
const OTHER = 'aa:bb:cc:00:00:66';

/** An announcer whose every action is logged as "t=<ms> <what>", with `random` cycling `draws`. */
function rig(options: { timings?: AnnounceTimings; draws?: number[]; ifnames?: string[] } = {}) {
  const clock = new ManualClock();
  const log: string[] = [];
  const reports: ConflictReport[] = [];
  const draws = options.draws ?? [0];
  let i = 0;
  const at = (): string => `t=${clock.now()}`;
  const announcer = new VipAnnouncer({
    vip: VIP,
    ifnames: options.ifnames ?? ['eth0'],
    clock,
    random: () => draws[i++ % draws.length]!,
    timings: options.timings ?? FAST_TIMINGS,
    actions: {
      sendProbe: (vip, ifname) => log.push(`${at()} probe ${vip} ${ifname}`),
      sendGratuitous: (vip, ifname, why) => log.push(`${at()} announce ${vip} ${ifname} ${why}`),
      onAnswering: (vip, ifnames, why) => log.push(`${at()} answering ${vip} [${ifnames.join(',')}] ${why}`),
      onConflict: (report) => {
        reports.push(report);
        log.push(`${at()} conflict ${report.phase} ${report.action} retry=${report.retryInMs}`);
      },
    },
  });
  const take = (): string[] => log.splice(0);
  return { clock, announcer, take, reports };
}

const conflict = (ifname = 'eth0'): Conflict => ({ vip: VIP, ifname, mac: OTHER, evidence: 'arp-sender-is-vip' });

test('the fast profile claims within 300 ms: 3 probes, then the claim, a 5 s burst and a 30 s refresh', () => {
  // random 0.5: first probe after floor(0.5*21)=10 ms; gaps 50+floor(0.5*41)=70 ms.
  const { clock, announcer, take } = rig({ draws: [0.5] });
  announcer.start();
  assert.equal(announcer.state, 'probing');
  clock.advance(36_000);
  assert.deepEqual(take(), [
    't=10 probe 192.168.1.240 eth0',
    't=80 probe 192.168.1.240 eth0',
    't=150 probe 192.168.1.240 eth0',
    't=250 answering 192.168.1.240 [eth0] claimed',
    't=250 announce 192.168.1.240 eth0 claim',
    't=1250 announce 192.168.1.240 eth0 burst',
    't=2250 announce 192.168.1.240 eth0 burst',
    't=3250 announce 192.168.1.240 eth0 burst',
    't=4250 announce 192.168.1.240 eth0 burst',
    't=5250 announce 192.168.1.240 eth0 burst',
    't=35250 announce 192.168.1.240 eth0 refresh',
  ]);
  assert.equal(announcer.state, 'claimed');
  assert.deepEqual(announcer.answeringOn, ['eth0']);
});

test('the slowest fast-profile draw still claims at exactly 300 ms', () => {
  const { clock, announcer, take } = rig({ draws: [0.999999] });
  announcer.start();
  clock.advance(300);
  assert.deepEqual(take().slice(-2), ['t=300 answering 192.168.1.240 [eth0] claimed', 't=300 announce 192.168.1.240 eth0 claim']);
});

test('the takeover claim probes once after at most 10 ms and claims 30 ms later: 30–40 ms after start', () => {
  for (const [draw, probeAt] of [
    [0, 0],
    [0.5, 5],
    [0.999999, 10],
  ] as const) {
    const { clock, announcer, take } = rig({ draws: [draw] });
    announcer.start('takeover');
    assert.equal(announcer.profile, 'takeover');
    clock.advance(probeAt + 30);
    assert.deepEqual(take(), [
      `t=${probeAt} probe 192.168.1.240 eth0`,
      `t=${probeAt + 30} answering 192.168.1.240 [eth0] claimed`,
      `t=${probeAt + 30} announce 192.168.1.240 eth0 claim`,
    ], `random ${draw}`);
    // The burst and refresh after a takeover claim are the same as after a normal one.
    clock.advance(5000);
    assert.equal(take().filter((line) => line.endsWith(' burst')).length, FAST_TIMINGS.burstCount);
  }
  assert.deepEqual(FAST_TIMINGS.takeover, TAKEOVER_CLAIM);
});

test('start() without a profile is the normal claim, also on a restart after a takeover claim was released', () => {
  const { clock, announcer, take } = rig({ draws: [0] });
  announcer.start('takeover');
  clock.advance(100);
  announcer.release();
  take();
  announcer.start();
  assert.equal(announcer.profile, 'normal');
  clock.advance(199);
  assert.deepEqual(take(), ['t=100 probe 192.168.1.240 eth0', 't=150 probe 192.168.1.240 eth0', 't=200 probe 192.168.1.240 eth0']);
  clock.advance(1);
  assert.deepEqual(take().slice(0, 1), ['t=300 answering 192.168.1.240 [eth0] claimed']);
});

test('a reply to the takeover probe means a live holder: back off, and the retry probes with the normal claim', () => {
  const { clock, announcer, take, reports } = rig({ draws: [0] });
  announcer.start('takeover');
  clock.advance(5); // probe at 0, the holder answers at 5 ms, before the 30 ms wait ends
  assert.equal(announcer.observeConflict(conflict())?.action, 'backoff');
  assert.equal(announcer.state, 'backoff');
  assert.equal(announcer.profile, 'normal');
  clock.advance(1000);
  assert.deepEqual(take(), [
    't=0 probe 192.168.1.240 eth0',
    't=5 conflict probing backoff retry=500',
    't=505 probe 192.168.1.240 eth0',
    't=555 probe 192.168.1.240 eth0',
    't=605 probe 192.168.1.240 eth0',
    't=705 answering 192.168.1.240 [eth0] claimed',
    't=705 announce 192.168.1.240 eth0 claim',
  ]);
  assert.deepEqual(reports.map((r) => [r.phase, r.action, r.consecutive]), [['probing', 'backoff', 1]]);
});

test('a live owner heard after a takeover claim is defended once, then yielded to; the retry is a normal claim', () => {
  const { clock, announcer, take } = rig({ draws: [0], timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }) });
  announcer.start('takeover');
  clock.advance(30);
  assert.equal(announcer.state, 'claimed');
  take();
  clock.advance(20); // the old owner, wrongly declared dead, announces again
  assert.equal(announcer.observeConflict(conflict())?.action, 'defend');
  clock.advance(1000);
  assert.equal(announcer.observeConflict(conflict())?.action, 'yield');
  assert.deepEqual(announcer.answeringOn, []);
  clock.advance(699); // backoff 500 ms, then 3 probes and 100 ms of silence: not claimed before 1750
  assert.deepEqual(take(), [
    't=50 conflict claimed defend retry=null',
    't=50 announce 192.168.1.240 eth0 defend',
    't=1050 answering 192.168.1.240 [] yielded',
    't=1050 conflict claimed yield retry=500',
    't=1550 probe 192.168.1.240 eth0',
    't=1600 probe 192.168.1.240 eth0',
    't=1650 probe 192.168.1.240 eth0',
  ]);
});

test('backing off when the holder is reported dead: takeOver() probes at once with the takeover claim; elsewhere it does nothing', () => {
  const { clock, announcer, take, reports } = rig();
  assert.equal(announcer.takeOver(), false, 'idle: nothing to cut short');
  announcer.start();
  clock.advance(0); // probe at t=0 (random 0)
  announcer.observeConflict(conflict());
  clock.advance(200); // 200 ms into a 500 ms backoff, membership says the holder died
  take();
  assert.equal(announcer.takeOver(), true);
  assert.equal(announcer.profile, 'takeover');
  clock.advance(100);
  assert.deepEqual(take(), [
    't=200 probe 192.168.1.240 eth0',
    't=230 answering 192.168.1.240 [eth0] claimed',
    't=230 announce 192.168.1.240 eth0 claim',
  ]);
  clock.advance(1000); // the cancelled backoff timer does not probe again at t=500
  assert.deepEqual(take(), ['t=1230 announce 192.168.1.240 eth0 burst']);
  assert.equal(announcer.takeOver(), false, 'claimed: keeps going');
  assert.equal(reports.length, 1);
});

test('the RFC 5227 profile takes 4–7 s to claim (4 s with the shortest draws) and announces twice, 2 s apart', () => {
  const { clock, announcer, take } = rig({ timings: RFC5227_TIMINGS, draws: [0] });
  announcer.start();
  clock.advance(6000);
  assert.deepEqual(take(), [
    't=0 probe 192.168.1.240 eth0',
    't=1000 probe 192.168.1.240 eth0',
    't=2000 probe 192.168.1.240 eth0',
    't=4000 answering 192.168.1.240 [eth0] claimed',
    't=4000 announce 192.168.1.240 eth0 claim',
    't=6000 announce 192.168.1.240 eth0 burst',
  ]);
});

test('probing on two interfaces probes and announces on both, and a probe count of 0 claims at once', () => {
  const two = rig({ ifnames: ['eth0', 'wlan0'], timings: announceTimings({ probeCount: 1, burstCount: 0, refreshIntervalMs: 0 }) });
  two.announcer.start();
  two.clock.advance(1000);
  assert.deepEqual(two.take(), [
    't=0 probe 192.168.1.240 eth0',
    't=0 probe 192.168.1.240 wlan0',
    't=100 answering 192.168.1.240 [eth0,wlan0] claimed',
    't=100 announce 192.168.1.240 eth0 claim',
    't=100 announce 192.168.1.240 wlan0 claim',
  ]);
  assert.equal(two.clock.pendingCount, 0, 'no refresh timer when refreshIntervalMs is 0');
  const none = rig({ timings: announceTimings({ probeCount: 0 }) });
  none.announcer.start();
  assert.deepEqual(none.take(), ['t=0 answering 192.168.1.240 [eth0] claimed', 't=0 announce 192.168.1.240 eth0 claim']);
});

test('a reply during probing means no announcement: back off 0.5, 1, 2 s ... capped, then claim once the owner is gone', () => {
  const { clock, announcer, take, reports } = rig({ timings: announceTimings({ backoffMaxMs: 1500 }) });
  announcer.start();
  clock.advance(0); // first probe at t=0 with random 0
  announcer.observeConflict(conflict());
  assert.equal(announcer.state, 'backoff');
  clock.advance(500); // retry: probe at 500
  announcer.observeConflict(conflict());
  clock.advance(1000); // retry: probe at 1500
  announcer.observeConflict(conflict());
  clock.advance(1500); // capped: probe at 3000, then 3050, 3100, claim at 3200
  clock.advance(200);
  assert.deepEqual(take(), [
    't=0 probe 192.168.1.240 eth0',
    't=0 conflict probing backoff retry=500',
    't=500 probe 192.168.1.240 eth0',
    't=500 conflict probing backoff retry=1000',
    't=1500 probe 192.168.1.240 eth0',
    't=1500 conflict probing backoff retry=1500',
    't=3000 probe 192.168.1.240 eth0',
    't=3050 probe 192.168.1.240 eth0',
    't=3100 probe 192.168.1.240 eth0',
    't=3200 answering 192.168.1.240 [eth0] claimed',
    't=3200 announce 192.168.1.240 eth0 claim',
  ]);
  assert.deepEqual(reports.map((r) => r.consecutive), [1, 2, 3]);
  assert.deepEqual(reports[0], {
    vip: VIP,
    ifname: 'eth0',
    mac: OTHER,
    evidence: 'arp-sender-is-vip',
    phase: 'probing',
    action: 'backoff',
    retryInMs: 500,
    consecutive: 1,
    peer: null,
  });
});

test('a conflict while claimed is defended once; a second within 10 s makes us yield and probe again later', () => {
  const { clock, announcer, take } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }) });
  announcer.start();
  clock.advance(200); // claimed at t=200 (random 0: probes at 0, 50, 100)
  take();
  clock.advance(800);
  assert.equal(announcer.observeConflict(conflict())?.action, 'defend');
  clock.advance(9_999);
  assert.equal(announcer.observeConflict(conflict())?.action, 'yield');
  assert.equal(announcer.state, 'backoff');
  assert.deepEqual(announcer.answeringOn, []);
  assert.deepEqual(take(), [
    't=1000 conflict claimed defend retry=null',
    't=1000 announce 192.168.1.240 eth0 defend',
    't=10999 answering 192.168.1.240 [] yielded',
    't=10999 conflict claimed yield retry=500',
  ]);
  clock.advance(500);
  assert.deepEqual(take(), ['t=11499 probe 192.168.1.240 eth0']);
});

test('conflicts more than 10 s apart are each defended, and the defence does not disturb the refresh timer', () => {
  const { clock, announcer, take } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 15_000 }) });
  announcer.start();
  clock.advance(200);
  take();
  clock.advance(1000);
  announcer.observeConflict(conflict());
  clock.advance(10_000);
  announcer.observeConflict(conflict());
  clock.advance(4_000);
  assert.deepEqual(take(), [
    't=1200 conflict claimed defend retry=null',
    't=1200 announce 192.168.1.240 eth0 defend',
    't=11200 conflict claimed defend retry=null',
    't=11200 announce 192.168.1.240 eth0 defend',
    't=15200 announce 192.168.1.240 eth0 refresh',
  ]);
});

test('release stops answering at once and cancels every timer; a later start probes afresh', () => {
  const { clock, announcer, take } = rig();
  announcer.start();
  clock.advance(2000);
  take();
  announcer.release();
  assert.equal(announcer.state, 'released');
  assert.deepEqual(take(), ['t=2000 answering 192.168.1.240 [] released']);
  assert.equal(clock.pendingCount, 0);
  clock.advance(60_000);
  assert.deepEqual(take(), []);
  announcer.start();
  clock.advance(0);
  assert.deepEqual(take(), ['t=62000 probe 192.168.1.240 eth0']);
});

test('releasing while probing sends nothing more and tells nobody to stop answering (it never answered)', () => {
  const { clock, announcer, take } = rig();
  announcer.start();
  clock.advance(0);
  take();
  announcer.release();
  clock.advance(10_000);
  assert.deepEqual(take(), []);
});

test('start is a no-op while probing or claimed, and conflicts when idle, backing off or on foreign interfaces change nothing', () => {
  const { clock, announcer, take } = rig();
  assert.equal(announcer.observeConflict(conflict()), null, 'idle');
  announcer.start();
  announcer.start();
  clock.advance(0);
  assert.deepEqual(take(), ['t=0 probe 192.168.1.240 eth0']);
  assert.equal(announcer.observeConflict(conflict('wlan0')), null, 'not an interface we announce on');
  announcer.observeConflict(conflict());
  take();
  assert.equal(announcer.observeConflict(conflict()), null, 'backing off');
  assert.throws(() => announcer.observeConflict({ ...conflict(), vip: '192.168.1.241' }), (err: unknown) => err instanceof AirlbError && err.code === 'l2-wrong-vip');
});

test('a rescan that adds an interface while claimed announces on it at once; one that removes it narrows answering', () => {
  const { clock, announcer, take } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }) });
  announcer.start();
  clock.advance(200);
  take();
  announcer.setInterfaces(['eth0', 'wlan0']);
  announcer.setInterfaces(['eth0', 'wlan0']);
  announcer.setInterfaces(['wlan0']);
  assert.deepEqual(take(), [
    't=200 answering 192.168.1.240 [eth0,wlan0] interfaces-changed',
    't=200 announce 192.168.1.240 wlan0 new-interface',
    't=200 answering 192.168.1.240 [wlan0] interfaces-changed',
  ]);
});

test('timings are checked: negative, fractional and inverted values are refused with l2-bad-timings', () => {
  const bad: Array<Partial<AnnounceTimings>> = [
    { probeCount: -1 },
    { probeMinMs: 1.5 },
    { probeMinMs: 100, probeMaxMs: 50 },
    { burstIntervalMs: 0 },
    { backoffInitialMs: 0 },
    { backoffInitialMs: 1000, backoffMaxMs: 999 },
    { takeover: { ...TAKEOVER_CLAIM, announceWaitMs: -1 } },
    { takeover: { ...TAKEOVER_CLAIM, probeCount: 0.5 } },
    { takeover: { ...TAKEOVER_CLAIM, probeMinMs: 20, probeMaxMs: 10 } },
  ];
  for (const overrides of bad) {
    assert.throws(() => announceTimings(overrides), (err: unknown) => err instanceof AirlbError && err.code === 'l2-bad-timings', JSON.stringify(overrides));
  }
  assert.deepEqual(announceTimings(), FAST_TIMINGS);
  assert.equal(announceTimings({ burstCount: 0, burstIntervalMs: 0 }).burstCount, 0);
});


// ------------------------------------------------------------------ conflicts with another speaker

const yieldTo = { peer: 'n2', verdict: 'yield' } as const;
const defendAgainst = { peer: 'n3', verdict: 'defend' } as const;

test('claimed and ranked after the conflicting speaker: yield at the first conflict, no defence, retry after 250 ms doubling to 1 s', () => {
  const { clock, announcer, take, reports } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }) });
  announcer.start();
  clock.advance(200);
  take();
  assert.equal(announcer.observeConflict(conflict(), yieldTo)?.action, 'yield');
  assert.deepEqual(announcer.answeringOn, []);
  assert.deepEqual(take(), ['t=200 answering 192.168.1.240 [] yielded', 't=200 conflict claimed yield retry=250']);
  // Each retry probes; the other speaker answers the probe, which is a conflict while probing.
  const retries: (number | null)[] = [];
  for (let i = 0; i < 4; i++) {
    clock.advance(reports.at(-1)!.retryInMs!);
    retries.push(announcer.observeConflict(conflict(), yieldTo)!.retryInMs);
  }
  assert.deepEqual(retries, [500, 1000, 1000, 1000], 'capped at 1 s, far below RFC 5227 backoff (30 s)');
  assert.ok(reports.every((r) => r.peer === 'n2'));
  assert.ok(!take().some((line) => line.includes('announce')), 'never announced against the better-ranked speaker');
});

test('yielded to a speaker that then goes silent: the VIP is claimed again within 1.3 s', () => {
  const { clock, announcer, take } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }), draws: [0.999999] });
  announcer.start();
  clock.advance(300);
  // Several rounds against the peer push the retry to its 1 s cap.
  for (let i = 0; i < 4; i++) {
    announcer.observeConflict(conflict(), yieldTo);
    clock.advance(1000);
  }
  take();
  const lastConflictAt = clock.now();
  announcer.observeConflict(conflict(), yieldTo);
  // The peer dies now: nobody answers the next probes.
  clock.advance(1300);
  const claimed = take().find((l) => l.includes('claimed'));
  assert.ok(claimed !== undefined, 'claimed again');
  const at = Number(/^t=(\d+)/.exec(claimed)![1]);
  assert.ok(at - lastConflictAt <= 1300, `claimed ${at - lastConflictAt} ms after the last conflict`);
});

test('ranked first: a claimed VIP is defended against the speaker at most once a second and never given up', () => {
  const { clock, announcer, take, reports } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }) });
  announcer.start();
  clock.advance(200);
  take();
  for (let i = 0; i < 30; i++) {
    announcer.observeConflict(conflict(), defendAgainst);
    clock.advance(250);
  }
  assert.equal(announcer.state, 'claimed');
  assert.deepEqual(announcer.answeringOn, ['eth0']);
  const defences = take().filter((l) => l.includes('announce'));
  assert.deepEqual(defences, ['t=200', 't=1200', 't=2200', 't=3200', 't=4200', 't=5200', 't=6200', 't=7200'].map((t) => `${t} announce 192.168.1.240 eth0 defend`));
  assert.deepEqual(new Set(reports.map((r) => r.action)), new Set(['defend', 'keep']));
  assert.ok(reports.every((r) => r.peer === 'n3' && r.retryInMs === null));
});

test('ranked first while probing: the other speaker\'s probe or reply does not stop the claim', () => {
  const { clock, announcer, take } = rig();
  announcer.start();
  clock.advance(0);
  assert.equal(announcer.observeConflict({ ...conflict(), evidence: 'arp-simultaneous-probe' }, defendAgainst)?.action, 'keep');
  clock.advance(60);
  assert.equal(announcer.observeConflict(conflict(), defendAgainst)?.action, 'keep');
  clock.advance(200);
  assert.equal(announcer.state, 'claimed');
  assert.ok(take().includes('t=200 answering 192.168.1.240 [eth0] claimed'));
});

test('ranked after while probing: back off with the short peer retry, not RFC 5227\'s', () => {
  const { clock, announcer, take } = rig();
  announcer.start('takeover');
  clock.advance(0);
  assert.equal(announcer.observeConflict(conflict(), yieldTo)?.action, 'backoff');
  assert.deepEqual(take(), ['t=0 probe 192.168.1.240 eth0', 't=0 conflict probing backoff retry=250']);
  assert.equal(announcer.profile, 'normal', 'a live holder answered: the retry probes with the normal claim');
});

test('conflicts with a speaker leave the RFC 5227 record alone: an unknown host after one is still defended first', () => {
  const { clock, announcer, take } = rig({ timings: announceTimings({ burstCount: 0, refreshIntervalMs: 0 }) });
  announcer.start();
  clock.advance(200);
  announcer.observeConflict(conflict(), defendAgainst);
  clock.advance(2000);
  assert.equal(announcer.observeConflict(conflict())?.action, 'defend', 'first unknown-host conflict: defend');
  clock.advance(1000);
  assert.equal(announcer.observeConflict(conflict())?.action, 'yield', 'second within 10 s: yield, as before');
  assert.ok(take().includes('t=3200 conflict claimed yield retry=500'), 'with RFC 5227 backoff');
});
