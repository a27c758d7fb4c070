/**
 * The cart the header and the cart page show. Signed in, it is the API's
 * cart (one per user). Before that, a guest's lines are kept in this browser
 * and priced from the catalog; signing in moves them into the API's cart.
 */
import { reactive } from "vue";
import { api, ApiError, read } from "./api";
import { session } from "./session";
import { convertForDisplay, displayCode, displayRate } from "./currency";
import type { Cart, CartLine, Product } from "./types";

const GUEST_KEY = "shop.guestCart";
const EMPTY: Cart = { items: [], itemCount: 0, subtotal: 0, currency: null };

interface GuestLine {
  productId: string;
  quantity: number;
}

export const cartState = reactive<{ cart: Cart; loaded: boolean }>({ cart: EMPTY, loaded: false });

function guestLines(): GuestLine[] {
  try {
    const lines = JSON.parse(localStorage.getItem(GUEST_KEY) ?? "[]") as GuestLine[];
    return Array.isArray(lines) ? lines.filter((line) => typeof line.productId === "string" && Number.isInteger(line.quantity) && line.quantity > 0) : [];
  } catch {
    return [];
  }
}

function saveGuestLines(lines: GuestLine[]): void {
  if (lines.length === 0) localStorage.removeItem(GUEST_KEY);
  else localStorage.setItem(GUEST_KEY, JSON.stringify(lines));
}

/**
 * The guest's lines priced as the API prices a cart: lines that cannot be
 * bought count in neither total; in a display currency, line totals and the
 * subtotal get `display` as the API's cart would give them.
 */
async function pricedGuestCart(lines: GuestLine[]): Promise<Cart> {
  const items: CartLine[] = [];
  for (const line of lines) {
    let product: Product | null = null;
    try {
      product = await read<Product>(api.GET("/api/products/{id}", { params: { path: { id: line.productId } } }));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    if (!product) {
      items.push({ productId: line.productId, sku: null, name: null, unitPrice: null, quantity: line.quantity, lineTotal: 0, available: 0, problem: "not_found" });
      continue;
    }
    const short = product.stock < line.quantity;
    items.push({
      productId: product.id,
      sku: product.sku,
      name: product.name,
      unitPrice: product.price,
      quantity: line.quantity,
      lineTotal: product.price * line.quantity,
      ...(short ? { available: product.stock, problem: "insufficient_stock" as const } : {}),
    });
  }
  items.sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));
  const buyable = items.filter((line) => !line.problem);
  const subtotal = buyable.reduce((sum, line) => sum + line.lineTotal, 0);
  const withDisplay = (amount: number) => {
    const display = convertForDisplay(amount);
    return display ? { display } : {};
  };
  return {
    items: items.map((line) => ({ ...line, ...withDisplay(line.lineTotal) })),
    itemCount: buyable.reduce((sum, line) => sum + line.quantity, 0),
    subtotal,
    currency: items.length > 0 ? "USD" : null,
    ...withDisplay(subtotal),
  };
}

async function readCart(): Promise<Cart> {
  const cart = session.token ? await read<Cart>(api.GET("/api/cart", { params: { query: { currency: displayCode.value } } })) : await pricedGuestCart(guestLines());
  cartState.cart = cart;
  cartState.loaded = true;
  return cart;
}

let reading: { key: string; answer: Promise<Cart> } | null = null;

/**
 * The cart as it is now. The header and the page ask at the same time on
 * start: while a read of the same cart is on its way, asking again shares it
 * (a second answer arriving later would re-render the page and reset a
 * quantity the shopper is typing).
 */
export function loadCart(): Promise<Cart> {
  const key = [session.token ?? "", displayCode.value ?? "", displayRate.value ? "rated" : ""].join("|");
  if (reading?.key === key) return reading.answer;
  const answer = readCart().finally(() => {
    if (reading?.answer === answer) reading = null;
  });
  reading = { key, answer };
  return answer;
}

/** A cart a write answered; its amounts are in the base currency only, so in a display currency it is read again with them. */
async function written(cart: Promise<Cart>): Promise<void> {
  const answer = await cart;
  if (displayCode.value) {
    try {
      await readCart();
      return;
    } catch {
      // The write stands: its answer is shown, in the base currency, rather than an error.
    }
  }
  cartState.cart = answer;
}

/** Adds units of a product; refused (409 OUT_OF_STOCK) when the cart would hold more than is in stock. */
export async function addToCart(product: Product, quantity: number): Promise<void> {
  if (session.token) {
    await written(read<Cart>(api.POST("/api/cart/items", { body: { productId: product.id, quantity } })));
    return;
  }
  const lines = guestLines();
  const line = lines.find((l) => l.productId === product.id);
  const inCart = line?.quantity ?? 0;
  if (inCart + quantity > product.stock) {
    throw new ApiError({ code: 409, type: "OUT_OF_STOCK", message: `Only ${product.stock} of ${product.name} in stock (${inCart} already in your cart)`, data: { field: "quantity" } });
  }
  if (line) line.quantity += quantity;
  else lines.push({ productId: product.id, quantity });
  saveGuestLines(lines);
  await readCart();
}

export async function setQuantity(productId: string, quantity: number): Promise<void> {
  if (session.token) {
    await written(read<Cart>(api.PATCH("/api/cart/items/{productId}", { params: { path: { productId } }, body: { quantity } })));
    return;
  }
  const lines = guestLines().map((line) => (line.productId === productId ? { ...line, quantity } : line));
  saveGuestLines(lines.filter((line) => line.quantity > 0));
  await readCart();
}

export async function removeLine(productId: string): Promise<void> {
  if (session.token) {
    await written(read<Cart>(api.DELETE("/api/cart/items/{productId}", { params: { path: { productId } } })));
    return;
  }
  saveGuestLines(guestLines().filter((line) => line.productId !== productId));
  await readCart();
}

/**
 * After signing in: the guest's lines go into the account's cart. A line the
 * stock cannot cover is added with what is left; a product no longer sold is
 * dropped (the API refuses it).
 */
export async function moveGuestCartToAccount(): Promise<void> {
  const lines = guestLines();
  for (const line of lines) {
    try {
      await read<Cart>(api.POST("/api/cart/items", { body: { productId: line.productId, quantity: line.quantity } }));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const available = err.fact<number>("available");
      const inCart = err.fact<number>("inCart") ?? 0;
      if (err.type === "OUT_OF_STOCK" && typeof available === "number" && available - inCart > 0) {
        await read<Cart>(api.POST("/api/cart/items", { body: { productId: line.productId, quantity: available - inCart } }));
      }
    }
  }
  saveGuestLines([]);
  await readCart();
}

export function forgetCart(): void {
  cartState.cart = EMPTY;
}
