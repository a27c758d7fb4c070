/**
 * The shipping service on a local broker with stand-ins for what it calls:
 * `products.getMany` over a fixed catalog (counting its calls) and a `users`
 * whose resolveToken knows an admin and a customer token, so the gateway's
 * auth runs for real.
 */
import { fakeUsersService } from "../support/fake-users";
import type { Context, ServiceSchema } from "moleculer";
import ShippingService, { type ShippingSettings } from "../../services/shipping/shipping.service";
import type { AuthUser } from "../../types/moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";

export const ADMIN_TOKEN = "admin-token";
export const CUSTOMER_TOKEN = "customer-token";

const USERS: Record<string, AuthUser> = {
  [ADMIN_TOKEN]: { id: "user-admin", email: "admin@shop.test", name: "Ada Admin", role: "admin" },
  [CUSTOMER_TOKEN]: { id: "user-customer", email: "carl@shop.test", name: "Carl Customer", role: "customer" },
};

/** id -> weight in grams. */
export const CATALOG: Record<string, number> = { "p-light": 200, "p-book": 450, "p-kettle": 1300, "p-weightless": 0 };

export interface ShippingPlatform extends LocalPlatform {
  getManyCalls: string[][];
  updates: Record<string, any>[];
}

export async function startShipping(opts: { settings?: Partial<ShippingSettings>; gateway?: boolean } = {}): Promise<ShippingPlatform> {
  const getManyCalls: string[][] = [];
  const updates: Record<string, any>[] = [];
  const services: ServiceSchema[] = [
    fakeUsersService(USERS),
    {
      name: "products",
      actions: {
        getMany: {
          visibility: "public",
          params: { ids: { type: "array", items: "string" } },
          handler(ctx: Context<{ ids: string[] }>) {
            getManyCalls.push(ctx.params.ids);
            return ctx.params.ids.filter((id) => id in CATALOG).map((id) => ({ id, weightGrams: CATALOG[id], price: 1000, currency: "USD", archived: false }));
          },
        },
      },
    },
    {
      name: "shipment-events",
      events: {
        "shipment.updated"(ctx: Context<Record<string, any>>) {
          updates.push(ctx.params);
        },
      },
    },
    {
      name: "shipping",
      mixins: [ShippingService],
      settings: { originCountry: "US", freeShippingThreshold: 5000, carrierTimerMs: 0, ...opts.settings },
    } as ServiceSchema,
  ];
  const platform = await startLocalPlatform({ services, gateway: opts.gateway ?? false, gatewaySettings: { expectedServices: ["shipping", "users"] } });
  return { ...platform, getManyCalls, updates };
}

export const ADDRESS = { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

let counter = 0;
export function orderId(): string {
  counter++;
  return `order-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function refusal(call: Promise<unknown>): Promise<{ code: number; type: string; data: any }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code: number; type: string; data: any };
    return { code: e.code, type: e.type, data: e.data };
  }
  throw new Error("expected the call to be refused");
}
