/**
 * A stand-in `users` service for suites of other services: the gateway
 * resolves Bearer tokens through `users.resolveToken`, here a fixed map.
 */
import type { Context, ServiceSchema } from "moleculer";
import { unauthorized } from "../../platform/errors";
import type { AuthUser } from "../../types/moleculer";

export function fakeUsersService(usersByToken: Record<string, AuthUser>): ServiceSchema {
  return {
    name: "users",
    actions: {
      resolveToken: {
        visibility: "public",
        params: { token: "string" },
        handler(ctx: Context<{ token: string }>) {
          const user = usersByToken[ctx.params.token];
          if (!user) throw unauthorized("Invalid token");
          return user;
        },
      },
    },
  };
}
