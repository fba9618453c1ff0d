import type { IpFamily, IpRange } from '../net/ip.js';
import { MinHeap } from './min-heap.js';
import { confusesBuggyFirmware } from './pools.js';

/**
 * The free addresses of one family of one pool, answering "lowest free address" in amortized
 * O(log n) without scanning the used ones: a cursor walks the ranges upwards once (every address
 * below it has been handed out, skipped as buggy, or found in use), and addresses released below
 * the cursor go into a min-heap. Whether an address is in use is asked of the allocator, so
 * heap entries that were taken again since their release are dropped lazily. A space is rebuilt
 * on every reload; its cursor then steps over the addresses still in use once, on demand.
 */
export class AddressSpace {
  private rangeIndex = 0;
  private cursor: bigint;
  private readonly released = new MinHeap();

  constructor(
    readonly family: IpFamily,
    private readonly ranges: readonly IpRange[],
    private readonly avoidBuggyIPs: boolean,
    private readonly isUsed: (value: bigint) => boolean,
  ) {
    this.cursor = ranges.length > 0 ? ranges[0]!.first : 0n;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** The lowest address that is in a range, not skipped as buggy, and not in use; null when full. */
  lowestFree(): bigint | null {
    for (let v = this.released.peek(); v !== undefined; v = this.released.peek()) {
      if (!this.isUsed(v)) return v;
      this.released.pop();
    }
    while (this.rangeIndex < this.ranges.length) {
      const range = this.ranges[this.rangeIndex]!;
      if (this.cursor > range.last) {
        this.rangeIndex++;
        if (this.rangeIndex < this.ranges.length) this.cursor = this.ranges[this.rangeIndex]!.first;
        continue;
      }
      const v = this.cursor;
      if (!(this.avoidBuggyIPs && confusesBuggyFirmware(this.family, v)) && !this.isUsed(v)) return v;
      this.cursor++;
    }
    return null;
  }

  /** Tells the space an address of its ranges became free. */
  free(value: bigint): void {
    if (this.rangeIndex >= this.ranges.length || value < this.cursor) this.released.push(value);
  }
}
