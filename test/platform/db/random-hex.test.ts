/** Ids and tokens cut from a pooled CSPRNG read (platform/random-hex.ts). */
import { randomHex } from "../../../platform/random-hex";
import { newId } from "../../../platform/db/db-adapter";

describe("random hex", () => {
  it("gives 2 digits per byte, lowercase hex", () => {
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(newId()).toMatch(/^[0-9a-f]{24}$/);
  });

  it("never gives the same value twice, also across refills of the pool", () => {
    // 4 KiB per refill: 2,000 ids of 12 bytes run through six refills.
    const ids = Array.from({ length: 2000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    // Consecutive slices are not copies of each other's bytes.
    const halves = new Set(ids.flatMap((id) => [id.slice(0, 12), id.slice(12)]));
    expect(halves.size).toBe(2 * ids.length);
  });

  it("refuses sizes it cannot give", () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(1.5)).toThrow(RangeError);
    expect(() => randomHex(4097)).toThrow(RangeError);
  });
});
