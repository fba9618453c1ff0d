import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '../lab.js';
import { nodeManifests, serviceManifest, type NodeManifestOptions } from './manifests.js';

/**
 * The folder every lab node's `airlb standalone -f` watches: MetalLB's configuration, the Node
 * objects generated from the lab, and the demo's Service. Each file is replaced atomically (a
 * dotfile, which standalone skips, renamed over the target), so a speaker never reads half a file.
 */
export class ManifestDir {
  constructor(readonly path: string) {}

  private async put(name: string, text: string): Promise<void> {
    const tmp = join(this.path, `.${name}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.path, name));
  }

  async write(lab: Lab, metallb: string, nodes: NodeManifestOptions): Promise<void> {
    await this.put('metallb.yaml', metallb);
    await this.put('nodes.yaml', nodeManifests(lab.nodes(), nodes));
    await this.put('web.yaml', serviceManifest());
  }
}
