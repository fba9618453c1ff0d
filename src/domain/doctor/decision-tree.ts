/**
 * The field guide's "Which Solution to Pick" tree, as data: can you wire one node? can you
 * configure the AP? does the router speak BGP? Each answer is yes, no, or not given yet; the walk
 * stops at the first question without an answer so the CLI can ask it (on a TTY) or list the
 * remaining branches (with --json or flags).
 */
export type Answer = boolean | null;

export interface TreeAnswers {
  readonly canWireNode: Answer;
  readonly canConfigureAp: Answer;
  readonly routerSpeaksBgp: Answer;
}

export type TreeQuestion = keyof TreeAnswers;

export type TreeOutcome = 'wired-node' | 'ap-settings' | 'bgp' | 'static-arp';

export const questionText: Readonly<Record<TreeQuestion, string>> = {
  canWireNode: 'Can you connect one node to the LAN with an Ethernet cable?',
  canConfigureAp: 'Can you change the settings of your WiFi access point?',
  routerSpeaksBgp: 'Does your router speak BGP (OpenWrt with BIRD/FRR, a BGP-capable router)?',
};

export type TreeStep = { readonly outcome: TreeOutcome } | { readonly ask: TreeQuestion };

export function walkTree(answers: TreeAnswers): TreeStep {
  if (answers.canWireNode === null) return { ask: 'canWireNode' };
  if (answers.canWireNode) return { outcome: 'wired-node' };
  if (answers.canConfigureAp === null) return { ask: 'canConfigureAp' };
  if (answers.canConfigureAp) return { outcome: 'ap-settings' };
  if (answers.routerSpeaksBgp === null) return { ask: 'routerSpeaksBgp' };
  if (answers.routerSpeaksBgp) return { outcome: 'bgp' };
  return { outcome: 'static-arp' };
}
