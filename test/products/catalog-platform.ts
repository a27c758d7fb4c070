/**
 * The products service on a local broker, with a stand-in `users` service
 * whose resolveToken knows two fixed tokens, so the gateway's auth runs for
 * real without the users service.
 */
import { fakeUsersService } from "../support/fake-users";
import type { ServiceSchema } from "moleculer";
import ProductsService, { type ProductsSettings } from "../../services/products/products.service";
import type { AuthUser } from "../../types/moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";

export const ADMIN_TOKEN = "admin-token";
export const CUSTOMER_TOKEN = "customer-token";

const USERS: Record<string, AuthUser> = {
  [ADMIN_TOKEN]: { id: "user-admin", email: "admin@shop.test", name: "Ada Admin", role: "admin" },
  [CUSTOMER_TOKEN]: { id: "user-customer", email: "carl@shop.test", name: "Carl Customer", role: "customer" },
};

const FakeUsers = fakeUsersService(USERS);

/** The products service with settings for a test; the periodic sweeper is off unless asked for. */
export function productsService(settings: Partial<ProductsSettings> = {}): ServiceSchema {
  return { name: "products", mixins: [ProductsService], settings: { reservationSweepIntervalMs: 0, ...settings } } as ServiceSchema;
}

export function startCatalog(opts: { settings?: Partial<ProductsSettings>; gateway?: boolean; extra?: ServiceSchema<any, any, any>[] } = {}): Promise<LocalPlatform> {
  return startLocalPlatform({
    services: [FakeUsers, productsService(opts.settings), ...(opts.extra ?? [])],
    gateway: opts.gateway ?? false,
    gatewaySettings: { expectedServices: ["products", "users"] },
  });
}

/** A valid create body; `overrides` win. */
export function productBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sku: `T-${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
    name: "Test Widget",
    description: "A widget made for tests.",
    category: "test-widgets",
    price: 1999,
    currency: "USD",
    stock: 10,
    images: ["https://images.example.com/t.jpg"],
    weightGrams: 250,
    ...overrides,
  };
}
