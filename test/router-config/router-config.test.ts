import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, repoRoot } from '../support/cli.js';
import { loadConfig } from '../../src/domain/config/index.js';
import { buildRouterModel } from '../../src/domain/router-config/model.js';

const INPUT = 'test/fixtures/router-config/input';
const GOLDEN = join(repoRoot, 'test/fixtures/router-config');
const kinds = ['bird', 'frr', 'gobgp', 'openwrt'] as const;

async function generate(kind: string): Promise<string> {
  const r = await runCli(['router-config', '--for', kind, '-f', INPUT]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Runs a router daemon's own configuration check on `text`; returns its exit status and output. */
function daemonCheck(kind: (typeof kinds)[number], text: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'airlb-rc-'));
  try {
    const file = join(dir, 'conf');
    let argv: string[];
    if (kind === 'openwrt') {
      // The script must parse as sh, and the bird.conf it writes must pass BIRD's own check.
      const sh = spawnSync('sh', ['-n', '-c', text], { encoding: 'utf8' });
      if (sh.status !== 0) return { status: sh.status, output: sh.stderr };
      const bird = /<<'AIRLB_BIRD_CONF'\n([\s\S]*?)\nAIRLB_BIRD_CONF\n/.exec(text);
      assert.ok(bird, 'the OpenWrt script embeds a bird.conf');
      writeFileSync(file, bird[1]!);
      argv = ['bird', '-p', '-c', file];
    } else {
      writeFileSync(file, text);
      argv = { bird: ['bird', '-p', '-c', file], frr: ['vtysh', '--dryrun', '-f', file], gobgp: ['gobgpd', '-d', '-t', 'toml', '-f', file] }[kind];
    }
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.error, undefined, `${argv[0]} must be installed (.ci/run installs bird2, frr, gobgpd)`);
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of kinds) {
  test(`router-config --for ${kind} matches its golden file`, async () => {
    const text = await generate(kind);
    const goldenPath = join(GOLDEN, `${kind}.golden`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath, text);
    assert.equal(text, readFileSync(goldenPath, 'utf8'));
  });

  test(`router-config --for ${kind} is accepted by the router software's own config check, which rejects a broken copy`, async () => {
    const text = await generate(kind);
    const ok = daemonCheck(kind, text);
    assert.equal(ok.status, 0, ok.output);
    // Prove the check can fail: break a line every renderer writes (the router's AS number).
    const broken = text.replace(/64501/g, '64501x');
    assert.notEqual(broken, text);
    assert.notEqual(daemonCheck(kind, broken).status, 0);
  });
}

test('the router model has one neighbour per selected node, the pools of the session family, and MD5/BFD/timers', () => {
  const sources = ['seed-bgp.yaml', 'cluster.yaml'].map((f) => ({ file: f, text: readFileSync(join(repoRoot, INPUT, f), 'utf8') }));
  const { config, issues } = loadConfig(sources);
  assert.deepEqual(issues, []);
  const model = buildRouterModel(config);
  const v4 = model.sessions.find((s) => s.peer === 'home-router')!;
  const v6 = model.sessions.find((s) => s.peer === 'home-router-v6')!;
  assert.deepEqual([v4.localAs, v4.routerAddress, v4.family], [64501, '192.168.1.1', 4]);
  assert.deepEqual(v4.neighbours, [
    { node: 'rpi-node-01', address: '192.168.1.11', remoteAs: 64500 },
    { node: 'rpi-node-02', address: '192.168.1.12', remoteAs: 64500 },
  ]);
  assert.deepEqual(v4.accepted.map((a) => `${a.prefix}@${a.length}`), ['192.168.1.200/29@32', '192.168.1.208/31@32', '192.168.1.210/32@32']);
  assert.deepEqual(v6.accepted.map((a) => `${a.prefix}@${a.length}`), ['fd00:a1b:0:200::/120@128']);
  assert.deepEqual([v6.password, v6.holdTimeSeconds, v6.bfd?.metadata.name], ['s3cret', 9, 'fast']);
  assert.deepEqual(model.warnings, []);
});

test('router-config warns about what it cannot know, and refuses bad usage', async () => {
  const seedOnly = await runCli(['router-config', '--for', 'bird', '-f', 'test/fixtures/seed/seed-bgp.yaml']);
  assert.equal(seedOnly.code, 0);
  assert.match(seedOnly.stderr, /no Node manifests in the input/);
  assert.equal((await runCli(['router-config', '--for', 'cisco', '-f', INPUT])).code, 2);
  assert.equal((await runCli(['router-config', '--for', 'bird'])).code, 2);
});
