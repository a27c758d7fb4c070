/**
 * clients/typescript's createShopClient, against a fetch stand-in: where
 * requests go, and the token it sends (a function is asked on every request,
 * so a client made before login sends the token it gets later).
 */
import { createShopClient } from "../../clients/typescript";

function recordingFetch() {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    return new Response(JSON.stringify({ status: "ok" }), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { requests, fetch };
}

describe("the typed client", () => {
  it("sends requests below its base URL, with no Authorization without a token", async () => {
    const { requests, fetch } = recordingFetch();
    const shop = createShopClient({ baseUrl: "http://shop.test:3000", fetch });
    const { data } = await shop.GET("/api/health/live");
    expect(data).toEqual({ status: "ok" });
    expect(requests[0].url).toBe("http://shop.test:3000/api/health/live");
    expect(requests[0].headers.has("authorization")).toBe(false);
  });

  it("asks a token function before each request", async () => {
    const { requests, fetch } = recordingFetch();
    const session: { token?: string } = {};
    const shop = createShopClient({ baseUrl: "http://shop.test", token: () => session.token, fetch });
    await shop.GET("/api/cart");
    session.token = "t-1";
    await shop.GET("/api/cart");
    expect(requests.map((r) => r.headers.get("authorization"))).toEqual([null, "Bearer t-1"]);
  });

  it("sends a fixed token, and fills path, query and header parameters", async () => {
    const { requests, fetch } = recordingFetch();
    const shop = createShopClient({ baseUrl: "http://shop.test", token: "t-2", fetch });
    await shop.GET("/api/products", { params: { query: { category: "lamps", pageSize: 5 } } });
    await shop.POST("/api/orders", { params: { header: { "Idempotency-Key": "k-1" } }, body: { payment: { cardNumber: "4242424242424242", expMonth: 1, expYear: 2031, cvc: "123" } } });
    expect(requests[0].url).toBe("http://shop.test/api/products?category=lamps&pageSize=5");
    expect(requests[1].headers.get("idempotency-key")).toBe("k-1");
    expect(requests.map((r) => r.headers.get("authorization"))).toEqual(["Bearer t-2", "Bearer t-2"]);
  });
});
