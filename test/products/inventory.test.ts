/**
 * services/products/inventory.ts: the stock arithmetic behind reservations and adjustStock.
 */
import { fellBelow, stockUpdate } from "../../services/products/inventory";
import { mergeLines } from "../../contracts/stock-lines";

describe("mergeLines", () => {
  it("adds up the lines of one product, keeping the order products first appear in", () => {
    expect(
      mergeLines([
        { productId: "b", quantity: 1 },
        { productId: "a", quantity: 2 },
        { productId: "b", quantity: 3 },
      ]),
    ).toEqual([
      { productId: "b", quantity: 4 },
      { productId: "a", quantity: 2 },
    ]);
  });
});

describe("stockUpdate", () => {
  const current = { stock: 6, reserved: 4 };

  it("restocks with a delta, with no condition", () => {
    expect(stockUpdate({ delta: 5 }, current)).toEqual({ filter: {}, update: { $inc: { stock: 5 } } });
  });

  it("writes off with a negative delta only while that much is available", () => {
    expect(stockUpdate({ delta: -6 }, current)).toEqual({ filter: { stock: { $gte: 6 } }, update: { $inc: { stock: -6 } } });
    expect(stockUpdate({ delta: -7 }, current)).toBeNull();
  });

  it("sets what is on hand: stock becomes the count minus what is reserved, if nothing moved since the read", () => {
    expect(stockUpdate({ set: 30 }, current)).toEqual({ filter: { stock: 6, reserved: 4 }, update: { $set: { stock: 26 } } });
    expect(stockUpdate({ set: 4 }, current)).toEqual({ filter: { stock: 6, reserved: 4 }, update: { $set: { stock: 0 } } });
  });

  it("refuses a count below what is reserved", () => {
    expect(stockUpdate({ set: 3 }, current)).toBeNull();
  });
});

describe("fellBelow", () => {
  it("is true only for the change that crosses the threshold", () => {
    expect(fellBelow(5, 4, 5)).toBe(true);
    expect(fellBelow(20, 0, 5)).toBe(true);
    expect(fellBelow(6, 5, 5)).toBe(false);
    expect(fellBelow(4, 3, 5)).toBe(false);
    expect(fellBelow(3, 8, 5)).toBe(false);
  });
});
