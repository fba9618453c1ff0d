import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Allocator } from '../../src/domain/allocator/allocator.js';
import type { IPAddressPool, Service } from '../../src/domain/config/types.js';
import { formatIpValue, parseAddressRange, parseIp, type IpRange } from '../../src/domain/net/ip.js';
import { IPS, POOL, SHARE, pool, service } from './fixtures.js';
import { seededRandom as rng } from '../support/prng.js';

const NAMESPACES = ['a', 'b', 'c'];

/** Pool layouts the run switches between: the base, a shrunk one, a grown/renamed one. */
function layouts(r: () => number): IPAddressPool[][] {
  const buggy = r() < 0.5;
  const manual = r() < 0.5;
  return [
    [
      pool('edge', ['10.0.0.250-10.0.1.4'], { avoidBuggyIPs: buggy }),
      pool('dual', ['10.1.0.1-10.1.0.6', 'fd00::1-fd00::6'], { priority: 1 }),
      pool('v6', ['fd01::/125']),
      pool('team', ['10.2.0.0/29'], { namespaces: ['a'], autoAssign: !manual }),
    ],
    [
      pool('edge', ['10.0.0.252-10.0.1.1'], { avoidBuggyIPs: buggy }),
      pool('dual', ['10.1.0.1-10.1.0.3', 'fd00::2-fd00::6'], { priority: 1 }),
      pool('v6', ['fd01::/126']),
    ],
    [
      pool('edge-renamed', ['10.0.0.240-10.0.1.10'], { avoidBuggyIPs: buggy }),
      pool('dual', ['10.1.0.1-10.1.0.9', 'fd00::1-fd00::9']),
      pool('v6a', ['fd01::/126']),
      pool('v6b', ['fd01::4/126']),
      pool('team', ['10.2.0.0/28'], { namespaces: ['a', 'b'] }),
    ],
  ];
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function randomService(r: () => number, pools: readonly IPAddressPool[]): Service {
  const name = `s${Math.floor(r() * 30)}`;
  const annotations: Record<string, string> = {};
  const share = pick(r, ['', '', 'k1', 'k2']);
  if (share !== '') annotations[SHARE] = share;
  const dice = r();
  if (dice < 0.2) {
    const p = pick(r, pools);
    const range = parseAddressRange(pick(r, p.spec.addresses))!;
    const offset = BigInt(Math.floor(r() * Number(range.last - range.first + 1n)));
    annotations[IPS] = formatIpValue(range.family, range.first + offset);
  } else if (dice < 0.3) {
    annotations[POOL] = pick(r, [...pools.map((p) => p.metadata.name), 'missing']);
  }
  const stack = pick(r, ['v4', 'v4', 'v6', 'require', 'prefer'] as const);
  const ports = pick(r, [['TCP/80'], ['TCP/443'], ['UDP/53'], ['TCP/80', 'TCP/443']]);
  return service(`${pick(r, NAMESPACES)}/${name}`, {
    annotations,
    ports,
    externalTrafficPolicy: r() < 0.3 ? 'Local' : 'Cluster',
    selector: { app: pick(r, ['x', 'y']) },
    ipFamilies: stack === 'v6' ? ['IPv6'] : stack === 'v4' ? ['IPv4'] : ['IPv4', 'IPv6'],
    ipFamilyPolicy: stack === 'require' ? 'RequireDualStack' : stack === 'prefer' ? 'PreferDualStack' : 'SingleStack',
  });
}

interface Use {
  sharing: string;
  backend: string;
  ports: readonly string[];
}

function useOf(s: Service): Use {
  const backend =
    s.spec.externalTrafficPolicy === 'Local'
      ? Object.entries(s.spec.selector)
          .sort()
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : '';
  return { sharing: s.metadata.annotations[SHARE] ?? '', backend, ports: s.spec.ports.map((p) => `${p.protocol}/${p.port}`) };
}

function mayShare(x: Use, y: Use): boolean {
  return x.sharing !== '' && x.sharing === y.sharing && x.backend === y.backend && !x.ports.some((p) => y.ports.includes(p));
}

function rangesOf(p: IPAddressPool, family: 4 | 6): IpRange[] {
  return p.spec.addresses.map((t) => parseAddressRange(t)!).filter((x) => x.family === family);
}

const isBuggy = (family: number, v: bigint): boolean => family === 4 && ((v & 0xffn) === 0n || (v & 0xffn) === 0xffn);

function inPool(p: IPAddressPool, text: string): boolean {
  const ip = parseIp(text)!;
  if (p.spec.avoidBuggyIPs && isBuggy(ip.family, ip.value)) return false;
  return rangesOf(p, ip.family).some((x) => ip.value >= x.first && ip.value <= x.last);
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`random assign/release/restore/reload sequences never give an address twice unless legally shared, never outside its pool, and auto-allocate the lowest usable address (seed ${seed})`, () => {
    const r = rng(seed);
    const variants = layouts(r);
    let pools = variants[0]!;
    const a = new Allocator();
    a.setPools(pools, []);
    /** What the test believes each Service holding addresses looks like now. */
    const holding = new Map<string, Service>();
    let lowestChecks = 0;

    for (let step = 0; step < 400; step++) {
      const op = r();
      if (op < 0.65) {
        const s = randomService(r, pools);
        const key = `${s.metadata.namespace}/${s.metadata.name}`;
        const had = holding.has(key);
        const res = a.assign(s);
        if (res.ok) {
          holding.set(key, s);
          const auto = s.metadata.annotations[IPS] === undefined && s.metadata.annotations[POOL] === undefined;
          if (!had && auto && res.ips.length === 1 && s.spec.ipFamilyPolicy === 'SingleStack') {
            // Brute force: every lower address of the chosen pool and family must be unusable.
            const chosen = parseIp(res.ips[0]!)!;
            const p = pools.find((x) => x.metadata.name === res.pool)!;
            const use = useOf(s);
            for (const range of rangesOf(p, chosen.family)) {
              for (let v = range.first; v <= range.last && v < chosen.value; v++) {
                if (p.spec.avoidBuggyIPs && isBuggy(chosen.family, v)) continue;
                const text = formatIpValue(chosen.family, v);
                const others = [...holding.entries()].filter(([k]) => k !== key).filter(([k]) => a.assignmentOf(...(k.split('/') as [string, string]))!.ips.includes(text));
                assert.ok(
                  others.length > 0 && others.some(([, o]) => !mayShare(useOf(o), use)),
                  `seed ${seed} step ${step}: ${key} got ${res.ips[0]} but ${text} was usable`,
                );
              }
            }
            lowestChecks++;
          }
        } else {
          holding.delete(key);
        }
      } else if (op < 0.8) {
        const key = pick(r, [...holding.keys(), 'a/none']);
        const [ns, name] = key.split('/') as [string, string];
        assert.equal(a.release(ns, name), holding.delete(key));
      } else if (op < 0.9 && holding.size > 0) {
        // A restart: a new allocator restores everything from the old one's records.
        const records = a.assignments();
        const b = new Allocator();
        b.setPools(pools, []);
        for (const rec of records) {
          const res = b.restore(holding.get(`${rec.namespace}/${rec.name}`)!, rec.ips);
          assert.ok(res.ok, `seed ${seed} step ${step}: restoring ${rec.namespace}/${rec.name}: ${res.ok ? '' : res.message}`);
          assert.deepEqual(res.ips, rec.ips);
        }
        assert.deepEqual(b.assignments(), records);
      } else {
        pools = pick(r, variants);
        const { released } = a.setPools(pools, []);
        for (const rec of released) holding.delete(`${rec.namespace}/${rec.name}`);
        // The contract: after a reload every Service is assigned again, and one whose addresses
        // are still in a pool that serves it (and that it asked for, if it did) keeps them.
        for (const rec of a.assignments()) {
          const key = `${rec.namespace}/${rec.name}`;
          const s = holding.get(key)!;
          const p = pools.find((x) => x.metadata.name === rec.pool)!;
          const allowed = p.spec.serviceAllocation === null || p.spec.serviceAllocation.namespaces.includes(rec.namespace);
          const asked = s.metadata.annotations[POOL];
          const stillValid = allowed && (asked === undefined || asked === rec.pool);
          const res = a.assign(s);
          if (!res.ok) holding.delete(key);
          if (stillValid && s.spec.ipFamilyPolicy !== 'PreferDualStack') {
            assert.deepEqual(res.ok ? res.ips : [], rec.ips, `seed ${seed} step ${step}: ${key} kept its addresses`);
          }
        }
      }

      // Invariants over the whole state.
      const records = a.assignments();
      assert.deepEqual(records.map((x) => `${x.namespace}/${x.name}`), [...holding.keys()].sort(), `seed ${seed} step ${step}: holders`);
      const byIp = new Map<string, string[]>();
      for (const rec of records) {
        const p = pools.find((x) => x.metadata.name === rec.pool);
        assert.ok(p, `seed ${seed} step ${step}: pool ${rec.pool} exists`);
        for (const ip of rec.ips) {
          assert.ok(inPool(p, ip), `seed ${seed} step ${step}: ${ip} of ${rec.name} is inside pool ${rec.pool}`);
          byIp.set(ip, [...(byIp.get(ip) ?? []), `${rec.namespace}/${rec.name}`]);
        }
        assert.equal(new Set(rec.ips.map((t) => parseIp(t)!.family)).size, rec.ips.length, 'one address per family');
      }
      for (const [ip, users] of byIp) {
        for (let i = 0; i < users.length; i++) {
          for (let j = i + 1; j < users.length; j++) {
            assert.ok(
              mayShare(useOf(holding.get(users[i]!)!), useOf(holding.get(users[j]!)!)),
              `seed ${seed} step ${step}: ${ip} is held by ${users[i]} and ${users[j]} without legal sharing`,
            );
          }
        }
      }
    }
    assert.ok(lowestChecks > 10, `the lowest-address check ran (${lowestChecks} times)`);
  });
}
