/** The numbered log of cache cleans the generational cacher checks an answer against before storing it. */
import { CleanLog } from "../../platform/broker/generational-cacher";

describe("CleanLog", () => {
  it("tells a key cleaned after a point from one cleaned before it or not at all", () => {
    const log = new CleanLog();
    log.record(["products.**"]);
    const since = log.current();
    expect(log.cleanedSince("products.get:\"p1\"", since)).toBe(false);
    log.record(["cart.**"]);
    expect(log.cleanedSince("products.get:\"p1\"", since)).toBe(false);
    log.record(['products.get:"p1"']);
    expect(log.cleanedSince('products.get:"p1"', since)).toBe(true);
    expect(log.cleanedSince('products.get:"p2"', since)).toBe(false);
    log.record(["products.**"]);
    expect(log.cleanedSince('products.get:"p2"', since)).toBe(true);
  });

  it("counts a point older than the log's memory as cleaned since", () => {
    const log = new CleanLog(3);
    const since = log.current();
    for (let i = 0; i < 4; i++) log.record([`other${i}.**`]);
    expect(log.cleanedSince("products.get:x", since)).toBe(true);
    expect(log.cleanedSince("products.get:x", log.current() - 1)).toBe(false);
  });
});
