/**
 * What every browser test gets: the live platform as baseURL, a page that
 * fails the test on any uncaught error or console error, an accessibility
 * check, and the API itself to arrange data and read outcomes back.
 */
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { randomUUID } from "node:crypto";

export { expect };

export const CARD_OK = "4242424242424242";
export const CARD_DECLINED = "4000000000000002";
export const ADMIN = { email: "admin@shop.local", password: "admin-password-dev" };
export const ADDRESS = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

export interface Shopper {
  name: string;
  email: string;
  password: string;
  token: string;
}

/** Calls of the REST API (docs/api.md) the tests arrange with and check by. */
export class ShopApi {
  constructor(private readonly request: APIRequestContext) {}

  async json<T>(method: "GET" | "POST" | "PATCH" | "DELETE", url: string, token?: string, data?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const res = await this.request.fetch(url, {
      method,
      data,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    });
    return { status: res.status(), body: (await res.json()) as T };
  }

  async register(): Promise<Shopper> {
    const shopper = { name: "Ada Buyer", email: `ada-${randomUUID()}@example.com`, password: "correct-horse-battery" };
    const { status, body } = await this.json<{ token: string }>("POST", "/api/auth/register", undefined, shopper);
    expect(status).toBe(201);
    return { ...shopper, token: body.token };
  }

  async adminToken(): Promise<string> {
    const { status, body } = await this.json<{ token: string }>("POST", "/api/auth/login", undefined, ADMIN);
    expect(status).toBe(200);
    return body.token;
  }

  /** A product of the test's own, so tests running side by side do not share its stock. */
  async createProduct(fields: { name: string; price: number; stock: number }): Promise<{ id: string; name: string; price: number; stock: number }> {
    const sku = `T-${randomUUID().slice(0, 8).toUpperCase()}`;
    const { status, body } = await this.json<{ id: string; name: string; price: number; stock: number }>("POST", "/api/products", await this.adminToken(), {
      sku,
      category: "testing",
      description: "Made by a browser test.",
      weightGrams: 300,
      ...fields,
    });
    expect(status).toBe(201);
    return body;
  }

  async product(id: string): Promise<{ stock: number; reserved?: number }> {
    return (await this.json<{ stock: number }>("GET", `/api/products/${id}`)).body;
  }

  async setStock(id: string, set: number): Promise<void> {
    expect((await this.json("POST", `/api/products/${id}/stock`, await this.adminToken(), { set })).status).toBe(200);
  }

  async orders(token: string): Promise<{ total: number; rows: { id: string; status: string; total: number; payment?: { status: string } }[] }> {
    return (await this.json<{ total: number; rows: { id: string; status: string; total: number; payment?: { status: string } }[] }>("GET", "/api/orders?pageSize=100", token)).body;
  }

  async cart(token: string): Promise<{ itemCount: number; items: { productId: string; quantity: number }[] }> {
    return (await this.json<{ itemCount: number; items: { productId: string; quantity: number }[] }>("GET", "/api/cart", token)).body;
  }

  async addToCart(token: string, productId: string, quantity: number): Promise<void> {
    expect((await this.json("POST", "/api/cart/items", token, { productId, quantity })).status).toBeLessThan(300);
  }

  async checkout(token: string, card = CARD_OK): Promise<{ status: number; body: { id: string; status: string } }> {
    return this.json("POST", "/api/orders", token, { shippingAddress: ADDRESS, payment: { cardNumber: card, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: "123" } }, { "Idempotency-Key": randomUUID() });
  }
}

interface Fixtures {
  shop: ShopApi;
  /**
   * Failures of /api calls the test provokes on purpose, which Chromium logs
   * as console errors: HTTP statuses, or "network" for a dropped connection.
   */
  expectedApiErrors: (number | "network")[];
}

const RESOURCE_ERROR = /^Failed to load resource: (?:the server responded with a status of (\d{3})|(net::ERR_))/;

export const test = base.extend<Fixtures>({
  // Playwright reads a fixture's dependencies from its first parameter's pattern: an empty one says "none".
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => {
    const url = process.env.SHOP_URL;
    if (!url) throw new Error("SHOP_URL is not set: the browser suite runs through playwright.config.ts, whose global setup starts the platform.");
    await use(url);
  },
  expectedApiErrors: [[], { option: true }],
  shop: async ({ request }, use) => {
    await use(new ShopApi(request));
  },
  page: async ({ page, expectedApiErrors }, use) => {
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const failure = RESOURCE_ERROR.exec(message.text());
      const url = message.location().url;
      const kind = failure?.[2] ? "network" : Number(failure?.[1]);
      if (failure && expectedApiErrors.includes(kind) && new URL(url).pathname.startsWith("/api/")) return;
      problems.push(`console: ${message.text()} (${url})`);
    });
    await use(page);
    expect(problems, "errors in the page").toEqual([]);
  },
});

/** No serious or critical WCAG 2 A/AA violation on the page as it is now. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const severe = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(severe, `accessibility violations on ${page.url()}`).toEqual([]);
}

/** The page's own scroll width: wider than the viewport means horizontal scrolling. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  // A string: the root tsconfig has no DOM types (it compiles the services).
  const { scrollWidth, clientWidth } = await page.evaluate<{ scrollWidth: number; clientWidth: number }>(
    "({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })",
  );
  expect(scrollWidth, `horizontal scrolling on ${page.url()}`).toBeLessThanOrEqual(clientWidth);
}

/** Signs in through the page (the header's Sign in link). */
export async function signInThroughPage(page: Page, shopper: Pick<Shopper, "email" | "password">): Promise<void> {
  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Email").fill(shopper.email);
  await page.getByLabel("Password").fill(shopper.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

export async function fillCheckout(page: Page, card: string): Promise<void> {
  await page.getByLabel("Address line 1").fill(ADDRESS.line1);
  await page.getByLabel("City").fill(ADDRESS.city);
  await page.getByLabel("Postal code").fill(ADDRESS.postalCode);
  await page.getByLabel("Country").selectOption(ADDRESS.country);
  await page.getByLabel("Card number").fill(card);
  await page.getByLabel("Expiry month").fill("12");
  await page.getByLabel("Expiry year").fill(String(new Date().getUTCFullYear() + 2));
  await page.getByLabel("CVC").fill("123");
}
