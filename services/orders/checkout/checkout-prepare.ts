/**
 * Everything a checkout settles before its order exists (steps 2 to 5 of
 * the saga): the cart's lines, their prices from the catalog (never the
 * client's), the shipping address (the request's, else the user's saved
 * one) and the shipping quote; then the new pending order itself.
 * Nothing here changes another service's state, so a failure leaves nothing
 * to undo.
 */
import { BASE_CURRENCY, convert, type CurrencyRate } from "../../../contracts/money-display";
import type { Address } from "../../../contracts/address";
import type { Call } from "./checkout-calls";
import { RETRIES } from "./checkout-calls";
import { conflict, unprocessable } from "../../../platform/errors";

import type { DisplayedTotal, OrderDoc, SagaState } from "../order-model";
import { orderTotals, priceItems, type CatalogEntry, type OrderItem, type OrderTotals } from "../order-totals";
import { type StockLine } from "../../../contracts/stock-lines";
import { type ShippingMethod } from "../../../contracts/shipping-methods";

export interface PreparedCheckout {
  items: OrderItem[];
  currency: string;
  totals: OrderTotals;
  shippingAddress: Address;
  shippingMethod: ShippingMethod;
  display?: DisplayedTotal;
}

interface Quote {
  amount: number;
  currency: string;
}

export function missingAddress() {
  const message = "The 'shippingAddress' field is required: send one, or save an address on your profile.";
  return unprocessable("A shipping address is needed", [{ field: "shippingAddress", message, type: "required" }]);
}

export async function prepareCheckout(
  call: Call,
  request: { userId: string; shippingAddress?: Address | null; shippingMethod: ShippingMethod; displayCurrency?: string | null },
): Promise<PreparedCheckout> {
  // First: a currency the shop does not know is a 422 before anything is read or held.
  const rate = request.displayCurrency ? await displayRate(call, request.displayCurrency) : null;
  const lines = await call<StockLine[]>("cart.contentsOf", { userId: request.userId }, RETRIES);
  const ids = [...new Set(lines.map((line) => line.productId))];
  const catalog = ids.length > 0 ? await call<CatalogEntry[]>("products.getMany", { ids }, RETRIES) : [];
  const { items, currency, subtotal } = priceItems(lines, catalog);

  // users.me answers the caller of the request (its meta travels with the call).
  const shippingAddress = request.shippingAddress ?? (await call<{ address?: Address }>("users.me", {}, RETRIES)).address;
  if (!shippingAddress) throw missingAddress();

  // The weights just read go along: shipping.quote weighs lines that carry theirs without reading the catalog again.
  const weights = new Map(catalog.map((entry) => [entry.id, entry.weightGrams ?? 0]));
  const quoted = items.map(({ productId, quantity }) => ({ productId, quantity, weightGrams: weights.get(productId) ?? 0 }));
  const quote = await call<Quote>("shipping.quote", { items: quoted, address: shippingAddress, method: request.shippingMethod, subtotal, currency }, RETRIES);
  if (quote.currency !== currency) {
    throw conflict(`Shipping is quoted in ${quote.currency}, the cart is in ${currency}`, "CURRENCY_MISMATCH", { currencies: [currency, quote.currency] });
  }
  const totals = orderTotals(subtotal, quote.amount);
  // Prices are shown converted from the base currency only; a cart in another one has nothing to record.
  const display = rate && currency === BASE_CURRENCY ? { currency: rate.code, rate: rate.rate, total: convert(totals.total, rate) } : undefined;
  return { items, currency, totals, shippingAddress, shippingMethod: request.shippingMethod, ...(display ? { display } : {}) };
}

/** The rate shown; the currency service's 422 names `currency`, the checkout's field is `displayCurrency`. */
async function displayRate(call: Call, code: string): Promise<CurrencyRate> {
  try {
    return await call<CurrencyRate>("currency.rate", { currency: code }, RETRIES);
  } catch (err) {
    if ((err as { code?: number }).code !== 422) throw err;
    const message = `The currency '${code}' is not supported; GET /api/currencies lists those that are.`;
    throw unprocessable("Parameters validation error", [{ field: "displayCurrency", message }]);
  }
}

/** The pending order of a checkout, its saga held by `owner` until `leaseUntil`. */
export function newOrder(
  prepared: PreparedCheckout,
  facts: { orderId: string; userId: string; customer?: { email: string; name?: string }; idempotencyKey: string; owner: string; leaseUntil: number; at: string },
): Omit<OrderDoc, "id"> & { _id: string } {
  const saga: SagaState = {
    step: "created",
    reserved: false,
    authorized: false,
    captured: false,
    committed: false,
    cartCleared: false,
    published: false,
    cleanup: false,
    cancelRequested: false,
    owner: facts.owner,
    leaseUntil: facts.leaseUntil,
  };
  return {
    _id: facts.orderId,
    userId: facts.userId,
    status: "pending",
    items: prepared.items,
    ...prepared.totals,
    currency: prepared.currency,
    shippingAddress: prepared.shippingAddress,
    shippingMethod: prepared.shippingMethod,
    payment: { status: "pending", transactionId: null, brand: null, last4: null },
    idempotencyKey: facts.idempotencyKey,
    ...(prepared.display ? { display: prepared.display } : {}),
    ...(facts.customer ? { customer: facts.customer } : {}),
    saga,
    history: [{ status: "pending", at: facts.at, reason: "checkout started" }],
    createdAt: facts.at,
    updatedAt: facts.at,
  };
}
