/**
 * Checkout abuse limits (docs/api.md "Rate limits"): a user gets a bounded
 * number of checkout attempts, and a user or a card a bounded number of
 * declines, per window; over a limit, 429 with Retry-After.
 */
import { checkoutBody, newKey, ordersService, payment, startOrdersPlatform, TEST_CARDS, type OrdersPlatform } from "./orders-platform";

type ErrorBody = { code: number; type: string; data?: { retryAfter?: number } };

const MAX_ATTEMPTS = 4;
const MAX_DECLINES = 2;
const WINDOW_SEC = 600;

let shop: OrdersPlatform;
beforeAll(async () => {
  shop = await startOrdersPlatform({ orders: ordersService({ checkoutLimit: { maxAttempts: MAX_ATTEMPTS, maxDeclines: MAX_DECLINES, windowSec: WINDOW_SEC } }) });
});
afterAll(() => shop?.stop());

/** The declining test card, told apart by its expiry month: each test's card has a count of its own. */
const declinedCard = (expMonth: number) => checkoutBody({ payment: payment(TEST_CARDS.declined, { expMonth }) });

const expectLimited = (res: { status: number; headers: Headers; body: unknown }) => {
  expect(res.status).toBe(429);
  expect(res.body).toMatchObject({ code: 429, type: "RATE_LIMITED" });
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SEC);
};

describe("checkout limits", () => {
  it(`refuses a user's checkout attempts past ${MAX_ATTEMPTS} in the window, however they ended`, async () => {
    const { shopper } = await shop.shopperWithCart(100, 1);
    const statuses: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await shop.addToCart(shopper, (await shop.createProduct({ stock: 5, price: 500 })).id, 1);
      statuses.push((await shop.checkout(shopper)).status);
    }
    expect(statuses.every((status) => status === 201)).toBe(true);
    await shop.addToCart(shopper, (await shop.createProduct({ stock: 5, price: 500 })).id, 1);
    expectLimited(await shop.checkout<ErrorBody>(shopper));
  });

  it("counts concurrent attempts one by one: no more than the limit get through", async () => {
    const { shopper } = await shop.shopperWithCart(100, 1);
    const answers = await Promise.all(Array.from({ length: 3 * MAX_ATTEMPTS }, () => shop.checkout(shopper, declinedCard(3))));
    expect(answers.filter((res) => res.status !== 429).length).toBeLessThanOrEqual(MAX_ATTEMPTS);
  });

  it("answers a replay of an admitted checkout from its key, without counting it again", async () => {
    const { shopper } = await shop.shopperWithCart(10, 1);
    const key = newKey();
    const first = await shop.checkout(shopper, checkoutBody(), key);
    expect(first.status).toBe(201);
    for (let i = 0; i < MAX_ATTEMPTS + 1; i++) expect((await shop.checkout(shopper, checkoutBody(), key)).status).toBe(201);
  });

  it(`refuses a user after ${MAX_DECLINES} declines, even with another card`, async () => {
    const { shopper } = await shop.shopperWithCart(10, 1);
    for (let i = 0; i < MAX_DECLINES; i++) expect((await shop.checkout(shopper, declinedCard(5))).status).toBe(402);
    expectLimited(await shop.checkout<ErrorBody>(shopper, checkoutBody({ payment: payment("5555555555554444") })));
  });

  it(`refuses a card after ${MAX_DECLINES} declines, whoever tries it next`, async () => {
    const card = checkoutBody({ payment: payment(TEST_CARDS.insufficientFunds, { expMonth: 7 }) });
    for (let i = 0; i < MAX_DECLINES; i++) {
      const { shopper } = await shop.shopperWithCart(10, 1);
      expect((await shop.checkout(shopper, card)).status).toBe(402);
    }
    const { shopper: next } = await shop.shopperWithCart(10, 1);
    expectLimited(await shop.checkout<ErrorBody>(next, card));
    // Another card of that user goes through.
    expect((await shop.checkout(next)).status).toBe(201);
  });
});
