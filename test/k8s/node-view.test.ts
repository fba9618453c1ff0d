import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from '../../src/domain/config/types.js';
import { Membership } from '../../src/domain/membership/view.js';
import { toResource } from '../../src/k8s/convert.js';
import { kubeNodeControlPlane, nodeControlPlaneState } from '../../src/k8s/node-view.js';
import { RESOURCES } from '../../src/k8s/resources.js';
import { ManualClock } from '../support/manual-clock.js';

// The Kubernetes speaker's control-plane view: what the Node objects say about a peer when BFD
// cannot tell (startup grace, no InternalIP of our family, speakers that cannot hear each other).

function node(name: string, conditions: { type: string; status: string }[], ip: string | null = '192.168.1.11'): Node {
  const typed = toResource(RESOURCES.node, { metadata: { name }, status: { conditions, addresses: ip === null ? [] : [{ type: 'InternalIP', address: ip }] } });
  assert.ok(typed !== null && typed.kind === 'Node');
  return typed as Node;
}

describe('control-plane view from Node objects', () => {
  it('takes a node as up while Ready=True or without a Ready condition, and down when NotReady, Unknown or NetworkUnavailable', () => {
    const cases: [Node, string, boolean][] = [
      [node('ready', [{ type: 'Ready', status: 'True' }]), 'ready', true],
      [node('unreported', []), 'no-ready-condition', true],
      [node('notready', [{ type: 'Ready', status: 'False' }]), 'not-ready', false],
      [node('lost', [{ type: 'Ready', status: 'Unknown' }]), 'ready-unknown', false],
      [node('nocni', [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status: 'True' }]), 'network-unavailable', false],
      [node('cni-ok', [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status: 'False' }]), 'ready', true],
    ];
    for (const [n, state, up] of cases) {
      assert.equal(nodeControlPlaneState(n), state, n.metadata.name);
      assert.equal(kubeNodeControlPlane(n), up, n.metadata.name);
    }
  });

  it('decides liveness in the fallback when no BFD session ever comes up, and follows Ready changes there', () => {
    const clock = new ManualClock();
    const view = new Membership(clock, { self: 'a', family: 4, controlPlane: kubeNodeControlPlane, startupGraceMs: 5000 });
    const a = node('a', [{ type: 'Ready', status: 'True' }], '192.168.1.11');
    view.setNodes([a, node('b', [{ type: 'Ready', status: 'True' }], '192.168.1.12'), node('c', [{ type: 'Ready', status: 'False' }], '192.168.1.13')]);
    clock.advance(5000);
    assert.equal(view.mode(), 'control-plane-fallback');
    const alive = (): string[] => view.speakerFacts().map((s) => `${s.node}:${s.alive}`);
    assert.deepEqual(alive(), ['a:true', 'b:true', 'c:false']);
    // b's node lifecycle controller verdict changes: the fallback follows the Node object.
    view.setNodes([a, node('b', [{ type: 'Ready', status: 'Unknown' }], '192.168.1.12'), node('c', [{ type: 'Ready', status: 'True' }], '192.168.1.13')]);
    assert.deepEqual(alive(), ['a:true', 'b:false', 'c:true']);
    view.stop();
  });

  it('judges a peer without an InternalIP by its Node, even while BFD runs with the others', () => {
    const clock = new ManualClock();
    const view = new Membership(clock, { self: 'a', family: 4, controlPlane: kubeNodeControlPlane, startupGraceMs: 5000, hold: { baseHoldMs: 100, maxHoldMs: 100, flapWindowMs: 1000 } });
    view.setNodes([
      node('a', [{ type: 'Ready', status: 'True' }], '192.168.1.11'),
      node('b', [{ type: 'Ready', status: 'True' }], '192.168.1.12'),
      node('noaddr-up', [], null),
      node('noaddr-down', [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status: 'True' }], null),
    ]);
    view.bfdStateChanged('b', 'Up');
    clock.advance(6000);
    assert.equal(view.mode(), 'bfd');
    assert.deepEqual(
      view.members().map((m) => `${m.node}:${m.alive}:${m.reason}`),
      ['a:true:self', 'b:true:bfd-up', 'noaddr-down:false:control-plane-down', 'noaddr-up:true:control-plane-fallback'],
    );
    view.stop();
  });
});
