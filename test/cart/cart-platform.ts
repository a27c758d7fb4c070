/**
 * The cart service with the real products service and the gateway on a
 * local broker. A stand-in `users` service knows three fixed tokens, so the
 * gateway's auth runs for real; `products.getMany` calls are recorded to
 * check that a cart is priced with one batched lookup.
 */
import { fakeUsersService } from "../support/fake-users";
import type { Context, ServiceSchema } from "moleculer";
import CartService, { type CartSettings } from "../../services/cart/cart.service";
import ProductsService from "../../services/products/products.service";
import type { CartStore } from "../../services/cart/cart-store";
import type { AdminProduct } from "../../services/products/product-model";
import type { AuthUser } from "../../types/moleculer";
import { startLocalPlatform, type LocalPlatform } from "../support/local-platform";
import { api, type ApiClient } from "../support/http";
import { productBody } from "../products/catalog-platform";

export const ALICE: AuthUser = { id: "user-alice", email: "alice@shop.test", name: "Alice", role: "customer" };
export const BOB: AuthUser = { id: "user-bob", email: "bob@shop.test", name: "Bob", role: "customer" };
export const ADMIN: AuthUser = { id: "user-admin", email: "admin@shop.test", name: "Ada Admin", role: "admin" };

/** The Bearer token of each user above. */
export const TOKENS = { alice: "alice-token", bob: "bob-token", admin: "admin-token" } as const;
const USERS: Record<string, AuthUser> = { [TOKENS.alice]: ALICE, [TOKENS.bob]: BOB, [TOKENS.admin]: ADMIN };

const FakeUsers = fakeUsersService(USERS);

export interface CartPlatform {
  platform: LocalPlatform;
  /** The gateway's /api. */
  http: ApiClient;
  /** The `ids` of every products.getMany call, in order. */
  getManyCalls: string[][];
  createProduct(overrides?: Record<string, unknown>): Promise<AdminProduct>;
  stop(): Promise<void>;
}

export interface CartPlatformOptions {
  /** The store to use; without one the service makes its own from its settings. */
  store?: CartStore;
  settings?: Partial<CartSettings>;
}

export function cartService(opts: CartPlatformOptions = {}): ServiceSchema {
  const { store } = opts;
  return {
    name: "cart",
    mixins: [CartService],
    settings: opts.settings ?? {},
    ...(store ? { methods: { createStore: () => store } } : {}),
  } as ServiceSchema;
}

export async function startCartPlatform(opts: CartPlatformOptions = {}): Promise<CartPlatform> {
  const getManyCalls: string[][] = [];
  const products = {
    name: "products",
    mixins: [ProductsService],
    // No catalog cache: every getMany reaches the hook that counts it.
    settings: { reservationSweepIntervalMs: 0, catalogCache: false },
    hooks: {
      before: {
        getMany(ctx: Context<{ ids: string[] }>) {
          getManyCalls.push([...ctx.params.ids]);
        },
      },
    },
  } as ServiceSchema;
  const platform = await startLocalPlatform({
    services: [FakeUsers, products, cartService(opts)],
    gateway: true,
    gatewaySettings: { expectedServices: ["users", "products", "cart"] },
  });
  return {
    platform,
    http: api(`${platform.baseUrl}/api`),
    getManyCalls,
    createProduct: (overrides = {}) => platform.broker.call<AdminProduct, Record<string, unknown>>("products.create", productBody(overrides)),
    stop: () => platform.stop(),
  };
}
