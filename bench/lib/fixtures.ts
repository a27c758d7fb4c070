/** Data a scenario needs before it is measured: product ids, shoppers with a cart line. */
import { registerUsers } from "./shop";

export interface Shopper {
  token: string;
  productId: string;
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Ids of up to 500 listed products. */
export async function catalogIds(baseUrl: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; page <= 5; page++) {
    const body = await json<{ rows: { id: string }[]; totalPages: number }>(await fetch(`${baseUrl}/api/products?pageSize=100&page=${page}`));
    ids.push(...body.rows.map((r) => r.id));
    if (page >= body.totalPages) break;
  }
  if (ids.length === 0) throw new Error("The catalog is empty");
  return ids;
}

/** Registered users, each with one cart line of a product that has stock to spare. */
export async function cartShoppers(baseUrl: string, count: number): Promise<Shopper[]> {
  const products = (await json<{ rows: { id: string; stock: number }[] }>(await fetch(`${baseUrl}/api/products?pageSize=100&inStock=true`))).rows.filter((p) => p.stock >= 10);
  if (products.length === 0) throw new Error("No product with stock >= 10 to put in carts");
  const users = await registerUsers(baseUrl, count);
  return Promise.all(
    users.map(async ({ token }, i) => {
      const productId = products[i % products.length].id;
      await json(await fetch(`${baseUrl}/api/cart/items`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ productId, quantity: 1 }) }));
      return { token, productId };
    }),
  );
}
