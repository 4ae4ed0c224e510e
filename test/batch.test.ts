import { describe, expect, it } from "vitest";
import { createBatcher } from "../src/db/batch.js";

/** A promise with its resolver, to hold a batch in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe("createBatcher", () => {
  it("runs batches side by side without maxInFlight", async () => {
    const batches: number[][] = [];
    const hold = gate();
    const b = createBatcher<number, number>(async (items) => {
      batches.push(items);
      await hold.opened;
      return items.map((i) => i * 2);
    }, { maxSize: 2, windowMs: 1 });
    const out = Promise.all([1, 2, 3, 4, 5].map((i) => b.add(i)));
    await new Promise((r) => setTimeout(r, 20));
    // Three batches started while the first is still held.
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    hold.open();
    expect(await out).toEqual([2, 4, 6, 8, 10]);
  });

  it("with maxInFlight 1, holds what arrives during a batch and sends it together once it settles", async () => {
    const batches: number[][] = [];
    let running = 0;
    let most = 0;
    const hold = gate();
    const b = createBatcher<number, string>(async (items) => {
      batches.push(items);
      most = Math.max(most, ++running);
      if (batches.length === 1) await hold.opened;
      running--;
      return items.map((i) => `r${i}`);
    }, { maxSize: 3, windowMs: 1, maxInFlight: 1 });
    const first = b.add(1);
    await new Promise((r) => setTimeout(r, 10));
    const rest = [2, 3, 4, 5].map((i) => b.add(i));
    await new Promise((r) => setTimeout(r, 10));
    expect(batches).toEqual([[1]]);
    hold.open();
    expect(await first).toBe("r1");
    expect(await Promise.all(rest)).toEqual(["r2", "r3", "r4", "r5"]);
    // The four waiting items went as one batch of maxSize, then the remainder.
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    expect(most).toBe(1);
  });

  it("flush waits for batches held behind maxInFlight", async () => {
    const seen: number[] = [];
    const b = createBatcher<number, number>(async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(...items);
      return items;
    }, { maxSize: 2, windowMs: 50, maxInFlight: 1 });
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => b.add(i)));
    await b.flush();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await all;
  });

  it("rejects every caller of a failed batch and carries on with the next", async () => {
    let calls = 0;
    const b = createBatcher<number, number>((items) => {
      if (calls++ === 0) return Promise.reject(new Error("down"));
      return Promise.resolve(items);
    }, { maxSize: 10, windowMs: 1, maxInFlight: 1 });
    const failed = [b.add(1), b.add(2)];
    await expect(failed[0]).rejects.toThrow("down");
    await expect(failed[1]).rejects.toThrow("down");
    expect(await b.add(3)).toBe(3);
  });
});
