/**
 * Accounts and authentication (docs/api.md "Auth and users"): register, login,
 * the caller's profile, the admin's user list, and `resolveToken`, which the
 * gateway calls to turn a Bearer token into `ctx.meta.user`.
 */
import { OutboxMixin, type OutboxMethods } from "../../mixins/outbox.mixin";
import type { ServiceSchema, Service } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { config } from "../../platform/config";
import { conflict, notFound, tooManyRequests, unauthorized, unavailable, unprocessable } from "../../platform/errors";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password";
import { loadJwtKey, signToken, verifyToken, type JwtKey } from "./jwt";
import { isRevoked, revocationOf, tokenVersionOf, REVOKED_TOKENS_KEPT, TOKENS_REVOKED_EVENT } from "./sessions";
import { AttemptRefused, LoginLimiter, type LoginLimit } from "./login-failures";
import { MemoryWindowCounters, RedisWindowCounters } from "../../platform/window-counters";
import { adminCredentials, authUser, publicUser, PASSWORD_MIN_LENGTH, type PublicUser } from "./users";
import { addressRule, type Address } from "../../contracts/address";
import type { AuthUser, ShopContext, ShopSettings } from "../../types/moleculer";
import { PAGE_PARAMS, toPage } from "../../contracts/paging";
import { USER_ID_RULE } from "../../contracts/ids";
import { answer, noContent } from "../../contracts/rest/answers";

interface UsersSettings extends ShopSettings {
  loginLimit: LoginLimit;
}

interface UsersVars {
  jwtKey: JwtKey;
  limiter: LoginLimiter;
}

interface UsersMethods extends OutboxMethods {
  /** Disables or enables an account; answers the user. A disabled account's tokens stop at the next resolution. */
  setDisabled(id: string, disabled: boolean): Promise<PublicUser>;
  session(doc: Record<string, any>): Promise<{ user: PublicUser; token: string }>;
  caller(ctx: ShopContext<unknown>): AuthUser;
  /** Counts a password attempt on `email` before it is checked; throws 429 once over the limit (login-failures.ts). */
  claimAttempt(ctx: ShopContext<unknown>, email: string): Promise<void>;
  attemptSucceeded(ctx: ShopContext<unknown>, email: string): Promise<void>;
  checkPassword(doc: Record<string, any>, password: string): Promise<boolean>;
  bootstrapAdmin(): Promise<void>;
}

type UsersThis = Service<UsersSettings> & UsersVars & UsersMethods & DbMethods;

interface RegisterParams { email: string; password: string; name: string }
interface LoginParams { email: string; password: string }
interface UpdateParams { name?: string; address?: Address; password?: string; currentPassword?: string }
interface ListParams { page: number; pageSize: number }
interface LogoutParams { all: boolean }

const emailRule = { type: "email", mode: "precise", normalize: true, max: 254 } as const;
const newPasswordRule = { type: "string", min: PASSWORD_MIN_LENGTH, max: 200 } as const;
const nameRule = { type: "string", trim: true, min: 1, max: 100 } as const;

const now = () => new Date().toISOString();

/** Calls from inside the cluster carry no client address: they share one, "internal". */
const addressOf = (ctx: ShopContext<unknown>) => ctx.meta.clientAddress ?? "internal";

const UsersService: ServiceSchema<UsersSettings, UsersMethods & DbMethods, UsersVars> = {
  name: "users",
  // No generated moleculer-db actions: they would return the stored document, hash included,
  // and their create/insert would store a user without hashing the password.
  mixins: [DbMixin({ collection: "users", indexes: [{ fields: ["email"], unique: true }] }), OutboxMixin({ database: "users" })],

  settings: {
    rest: "/",
    loginLimit: { maxFailures: 10, windowSec: 15 * 60, knownAddressDays: 30 },
  },

  actions: {
    register: {
      rest: "POST /auth/register",
      openapi: {
        summary: "Create a customer account",
        description: "Answers the account and a token for it; a welcome notification follows. Rate limited per client address together with login.",
        responses: { 201: answer("Session", "The new account and its token", ["Location"]) },
        errors: { 409: ["CONFLICT"] },
      },
      auth: false,
      params: { $$strict: "remove", email: emailRule, password: newPasswordRule, name: nameRule },
      async handler(this: UsersThis, ctx: ShopContext<RegisterParams>) {
        const { email, password, name } = ctx.params;
        const at = now();
        // The unique index decides between concurrent registrations of one email: 409 for the loser.
        const doc = await this.insertEntity({ email, name, role: "customer", passwordHash: await hashPassword(password), createdAt: at, updatedAt: at }, "email");
        const session = await this.session(doc);
        await this.limiter.remember(email, addressOf(ctx)).catch((err: Error) => this.logger.warn(`Address of a registration not remembered: ${err.message}`));
        try {
          // Durable (outbox -> JetStream): the welcome mail must not depend on notifications being up.
          await this.publishDurable("user.registered", { id: session.user.id, email: session.user.email, name: session.user.name }, ctx);
        } catch (err) {
          // The account exists and the client gets its token; a lost welcome event must not turn that into an error.
          this.logger.warn(`user.registered for ${session.user.id} not sent: ${(err as Error).message}`);
        }
        ctx.meta.$statusCode = 201;
        return session;
      },
    },

    login: {
      rest: "POST /auth/login",
      openapi: {
        summary: "Log in with email and password",
        description: "The same 401 for an unknown email, a wrong password and a disabled account. After 10 failures for one email within 15 minutes, the account is locked for the rest of them (429 RATE_LIMITED).",
        responses: { 200: answer("Session", "The account and a new token") },
        errors: { 401: ["INVALID_CREDENTIALS"], 429: ["RATE_LIMITED"] },
      },
      auth: false,
      params: { $$strict: "remove", email: emailRule, password: { type: "string", min: 1, max: 200 } },
      async handler(this: UsersThis, ctx: ShopContext<LoginParams>) {
        const { email, password } = ctx.params;
        await this.claimAttempt(ctx, email);
        const doc = await this.adapter.findOne({ email });
        // An unknown email costs a scrypt too (against a dummy hash): the time does not tell it apart.
        const ok = doc ? await this.checkPassword(doc, password) : await verifyPassword(password, await dummyHash()).then(() => false);
        if (!doc || !ok || doc.disabled) throw unauthorized("Invalid email or password", "INVALID_CREDENTIALS");
        await this.attemptSucceeded(ctx, email);
        return this.session(this.adapter.afterRetrieveTransformID(doc, "id"));
      },
    },

    me: {
      rest: "GET /users/me",
      openapi: {
        summary: "Read the caller's account",
        responses: { 200: answer("User", "The caller's account") },
        errors: { 404: ["NOT_FOUND"] },
      },
      params: {},
      async handler(this: UsersThis, ctx: ShopContext) {
        const doc = await this.findEntityById(this.caller(ctx).id);
        if (!doc) throw notFound("User");
        return publicUser(doc);
      },
    },

    update: {
      rest: "PATCH /users/me",
      openapi: {
        summary: "Change the caller's name, address or password",
        description: "A new password needs the current one; a wrong one counts as a failed login for the account (and can be locked out: 429).",
        responses: { 200: answer("User", "The account as it is now") },
        errors: { 404: ["NOT_FOUND"], 409: ["CONCURRENT_UPDATE"], 429: ["RATE_LIMITED"] },
        requestExample: { name: "Ada Lovelace", address: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" } },
      },
      params: {
        $$strict: "remove",
        name: { ...nameRule, optional: true },
        address: { ...addressRule, optional: true },
        password: { ...newPasswordRule, optional: true },
        currentPassword: { type: "string", max: 200, optional: true },
      },
      async handler(this: UsersThis, ctx: ShopContext<UpdateParams>) {
        const { id } = this.caller(ctx);
        const { name, address, password, currentPassword } = ctx.params;
        const doc = await this.findEntityById(id);
        if (!doc) throw notFound("User");
        const set: Record<string, unknown> = {};
        if (name !== undefined) set.name = name;
        if (address !== undefined) set.address = address;
        // Only set when the password changes: the update then applies only if the hash is still the one checked.
        const filter: Record<string, unknown> = { _id: id };
        if (password !== undefined) {
          // A wrong current password is a 422 on that field, not a 401: the Bearer token is valid, and
          // clients read 401 as "the session is gone, log in again". It still counts as a failed login
          // (and is locked out like one), so a stolen token cannot be used to guess the password.
          if (currentPassword === undefined) {
            throw unprocessable("currentPassword is required to change the password", [{ field: "currentPassword", message: "The 'currentPassword' field is required to change the password.", type: "required" }]);
          }
          await this.claimAttempt(ctx, doc.email);
          if (!(await this.checkPassword(doc, currentPassword))) {
            throw unprocessable("currentPassword is wrong", [{ field: "currentPassword", message: "The 'currentPassword' field does not match the current password.", type: "currentPassword" }]);
          }
          await this.attemptSucceeded(ctx, doc.email);
          set.passwordHash = await hashPassword(password);
          // Every token issued before stops: whoever held one may be why the password changes.
          set.tokenVersion = tokenVersionOf(doc) + 1;
          filter.passwordHash = doc.passwordHash;
        }
        if (Object.keys(set).length === 0) return publicUser(doc);
        const updated = await this.updateWhere(filter, { $set: { ...set, updatedAt: now() } });
        if (!updated) {
          // Gone, or its password changed between the check and the write (another session).
          throw (await this.findEntityById(id)) ? conflict("The account changed meanwhile, try again", "CONCURRENT_UPDATE") : notFound("User");
        }
        if (password !== undefined) ctx.broadcast(TOKENS_REVOKED_EVENT, { userId: id });
        return publicUser(updated);
      },
    },

    logout: {
      rest: "POST /auth/logout",
      openapi: { summary: "Log out: end this token, or every session with all=true", responses: { 204: noContent("The token (or every token of the account) no longer works") }, errors: { 404: ["NOT_FOUND"] } },
      params: { $$strict: "remove", all: { type: "boolean", convert: true, default: false } },
      async handler(this: UsersThis, ctx: ShopContext<LogoutParams>) {
        const caller = this.caller(ctx);
        const doc = await this.findEntityById(caller.id);
        if (!doc) throw notFound("User");
        const version = tokenVersionOf(doc);
        // Tokens from before token ids cannot be named one by one: they go all together.
        const one = ctx.params.all || !caller.tokenId ? null : revocationOf(caller);
        const revokedKept = Array.isArray(doc.revokedTokens) ? doc.revokedTokens.length : 0;
        if (one && revokedKept < REVOKED_TOKENS_KEPT) {
          await this.updateWhere({ _id: caller.id }, { $push: { revokedTokens: one } });
        } else {
          // Everywhere, or one token too many to list: a new version ends them all (and empties the list).
          // Conditional: of two at once, both still end every older token.
          const unchanged = doc.tokenVersion === undefined ? { $exists: false } : version;
          await this.updateWhere({ _id: caller.id, tokenVersion: unchanged }, { $set: { tokenVersion: version + 1, revokedTokens: [] } });
        }
        ctx.broadcast(TOKENS_REVOKED_EVENT, { userId: caller.id, tokenId: one ? one.id : undefined });
        ctx.meta.$statusCode = 204;
        return null;
      },
    },

    list: {
      rest: "GET /users",
      openapi: {
        summary: "List every account, oldest first",
        responses: { 200: answer("UserPage", "One page of accounts") },
      },
      roles: ["admin"],
      params: {
        $$strict: "remove",
        ...PAGE_PARAMS,
      },
      async handler(this: UsersThis, ctx: ShopContext<ListParams>) {
        const { page, pageSize } = ctx.params;
        const [docs, total] = await Promise.all([
          // _id breaks createdAt ties, so pages neither repeat nor skip a user.
          this.adapter.find({ query: {}, sort: ["createdAt", "_id"], offset: (page - 1) * pageSize, limit: pageSize }),
          this.adapter.count({ query: {} }),
        ]);
        const rows = docs.map((doc) => publicUser(this.adapter.afterRetrieveTransformID(doc, "id")));
        return toPage(rows, total, page, pageSize);
      },
    },

    disable: {
      rest: "POST /users/:id/disable",
      openapi: {
        summary: "Disable a customer's account",
        description: "The account can no longer log in, and its tokens stop working within AUTH_CACHE_TTL. An admin cannot disable their own account.",
        responses: { 200: answer("User", "The account, disabled") },
        errors: { 404: ["NOT_FOUND"], 409: ["OWN_ACCOUNT"] },
      },
      roles: ["admin"],
      params: { id: USER_ID_RULE, $$strict: "remove" },
      handler(this: UsersThis, ctx: ShopContext<{ id: string }>) {
        // An admin cannot lock themself out (and with it, maybe the last admin).
        if (ctx.meta.user?.id === ctx.params.id) throw conflict("You cannot disable your own account", "OWN_ACCOUNT");
        return this.setDisabled(ctx.params.id, true);
      },
    },

    enable: {
      rest: "POST /users/:id/enable",
      openapi: {
        summary: "Enable an account again",
        responses: { 200: answer("User", "The account, enabled") },
        errors: { 404: ["NOT_FOUND"] },
      },
      roles: ["admin"],
      params: { id: USER_ID_RULE, $$strict: "remove" },
      handler(this: UsersThis, ctx: ShopContext<{ id: string }>) {
        return this.setDisabled(ctx.params.id, false);
      },
    },

    resolveToken: {
      visibility: "public",
      params: { token: { type: "string", min: 1, max: 4096 } },
      // Idempotent (a read): the broker may retry it on a transient failure.
      retryPolicy: { enabled: true },
      async handler(this: UsersThis, ctx: ShopContext<{ token: string }>): Promise<AuthUser> {
        const claims = await verifyToken(ctx.params.token, this.jwtKey);
        // Looked up on every resolve (the gateway caches for seconds): the token of a deleted or disabled
        // account, one issued before a password change or "log out everywhere", or one logged out stops here.
        const doc = await this.findEntityById(claims.userId);
        if (!doc || doc.disabled || claims.version !== tokenVersionOf(doc) || isRevoked(doc, claims.tokenId)) throw unauthorized("Invalid token");
        return { ...authUser(doc), tokenId: claims.tokenId, tokenExpiresAt: claims.expiresAt };
      },
    },
  },

  methods: {
    async setDisabled(this: UsersThis, id: string, disabled: boolean) {
      const updated = await this.updateWhere({ _id: id }, { $set: { disabled, updatedAt: now() } });
      if (!updated) throw notFound("User");
      return publicUser(updated);
    },

    async session(this: UsersThis, doc: Record<string, any>) {
      const user = publicUser(doc);
      return { user, token: await signToken(user.id, this.jwtKey, config.jwtTtlSec, tokenVersionOf(doc)) };
    },

    caller(ctx: ShopContext<unknown>): AuthUser {
      // The gateway only lets authenticated calls through; an internal caller must pass meta.user too.
      if (!ctx.meta.user) throw unauthorized("Authentication required", "NO_TOKEN");
      return ctx.meta.user;
    },

    async claimAttempt(this: UsersThis, ctx: ShopContext<unknown>, email: string) {
      try {
        await this.limiter.claim(email, addressOf(ctx));
      } catch (err) {
        if (err instanceof AttemptRefused) throw tooManyRequests("Too many failed logins for this account, try again later", err.retryAfterSec);
        // Without the counters the limit cannot hold: refuse logins rather than allow unlimited guessing.
        this.logger.warn(`Login attempt counters unreachable: ${(err as Error).message}`);
        throw unavailable("Login is unavailable, try again later");
      }
    },

    async attemptSucceeded(this: UsersThis, ctx: ShopContext<unknown>, email: string) {
      await this.limiter.succeeded(email, addressOf(ctx)).catch((err: Error) => this.logger.warn(`Login attempts of an account not reset: ${err.message}`));
    },

    /** Verifies, and upgrades a hash made with older scrypt parameters while the password is at hand. */
    async checkPassword(this: UsersThis, doc: Record<string, any>, password: string) {
      if (!(await verifyPassword(password, doc.passwordHash))) return false;
      if (needsRehash(doc.passwordHash)) {
        await this.updateWhere({ _id: doc.id ?? doc._id, passwordHash: doc.passwordHash }, { $set: { passwordHash: await hashPassword(password) } });
      }
      return true;
    },

    /**
     * Creates the admin of ADMIN_EMAIL unless it exists. Nodes starting at once
     * race to insert it: the unique email index keeps one, the others ignore
     * their 409. An existing admin's password is left alone (it may have been changed).
     */
    async bootstrapAdmin(this: UsersThis) {
      const { email, password } = adminCredentials(config);
      const existing = await this.adapter.findOne({ email });
      if (existing) {
        if (existing.role !== "admin") this.logger.warn(`ADMIN_EMAIL ${email} belongs to a ${existing.role} account; it was not made an admin.`);
        return;
      }
      const at = now();
      try {
        await this.insertEntity({ email, name: "Administrator", role: "admin", passwordHash: await hashPassword(password), createdAt: at, updatedAt: at }, "email");
        const source = config.adminFromEnv ? "ADMIN_PASSWORD" : "the development default of platform/config.ts";
        this.logger.info(`Created the admin account ${email} (password: ${source}).`);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 409) throw err;
      }
    },
  },

  async started(this: UsersThis) {
    // Configuration errors stop the start: production without JWT_SECRET or ADMIN_* never serves.
    this.jwtKey = loadJwtKey(config);
    await this.bootstrapAdmin();
    const store = config.redisUrl ? new RedisWindowCounters(config.redisUrl, `${config.namespace}:login-failures:`) : new MemoryWindowCounters();
    this.limiter = new LoginLimiter(store, this.settings.loginLimit);
    if (store instanceof RedisWindowCounters) {
      // Not fatal: logins answer 503 until Redis is reachable, the rest of the service works.
      await store.connect().catch((err: Error) => this.logger.warn(`Redis for login failure counters not reachable yet: ${err.message}`));
    }
  },

  async stopped(this: UsersThis) {
    await this.limiter?.close();
  },
};

export default UsersService;
