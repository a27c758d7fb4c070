/**
 * currency: the currencies prices can be shown in and their rates to the
 * shop's base currency (docs/api.md, "Currencies"). Owns the `currencies`
 * collection of the `currency` database. At start every currency of the
 * rates file the store lacks is added; rates an admin set are kept.
 *
 * Other services ask `currency.rate` and convert with contracts/money-display.ts;
 * `currency.rates.changed` is broadcast after a change so their caches let go
 * of prices shown at the old rate.
 */
import { answer } from "../../contracts/rest/answers";
import type { Service, ServiceSchema } from "moleculer";
import { DbMixin, type DbMethods } from "../../mixins/db.mixin";
import { BASE_CURRENCY, DISPLAY_CURRENCY_PARAM } from "../../contracts/money-display";
import { isDuplicateKeyError } from "../../platform/db/db-adapter";
import { notFound } from "../../platform/errors";
import type { ShopContext, ShopSettings } from "../../types/moleculer";
import { checkedRate, fileCurrencies, publicCurrency, unknownCurrency, type CurrencyDoc } from "./currency-rates";

type CurrencyThis = Service<ShopSettings> & DbMethods;

const CODE = { type: "string", trim: true, uppercase: true, pattern: /^[A-Z]{3}$/ };

async function currencyOf(service: CurrencyThis, code: string): Promise<CurrencyDoc | null> {
  return (await service.adapter.findOne({ _id: code })) as CurrencyDoc | null;
}

const CurrencyService: ServiceSchema<ShopSettings, DbMethods> = {
  name: "currency",
  mixins: [DbMixin({ collection: "currencies", database: "currency" })],

  settings: { rest: "/" },

  actions: {
    list: {
      rest: "GET /currencies",
      openapi: { summary: "List the display currencies and their rates", responses: { 200: answer("CurrencyList", "The base currency and every display currency") } },
      auth: false,
      cache: { keys: [] },
      params: { $$strict: "remove" },
      async handler(this: CurrencyThis) {
        const docs = (await this.adapter.find({ query: {}, sort: ["_id"] })) as CurrencyDoc[];
        return { base: BASE_CURRENCY, currencies: docs.map(publicCurrency) };
      },
    },

    /** For the services that show prices: the rate of `currency`, or a 422 naming `currency`. */
    rate: {
      visibility: "public",
      cache: { keys: ["currency"] },
      retryPolicy: { enabled: true },
      params: { currency: { ...DISPLAY_CURRENCY_PARAM, optional: false }, $$strict: "remove" },
      async handler(this: CurrencyThis, ctx: ShopContext<{ currency: string }>) {
        const doc = await currencyOf(this, ctx.params.currency);
        if (!doc) throw unknownCurrency(ctx.params.currency);
        return { code: doc.code, rate: doc.rate, decimals: doc.decimals };
      },
    },

    update: {
      rest: "PUT /admin/currencies/:code",
      openapi: { summary: "Set a display currency's rate", description: "Prices shown in that currency follow at once; nothing is ever charged in it.", responses: { 200: answer("Currency", "The currency with its new rate") }, errors: { 404: ["NOT_FOUND"] } },
      roles: ["admin"],
      params: { code: CODE, rate: { type: "multi", rules: [{ type: "string", max: 30 }, { type: "number", positive: true }] }, $$strict: "remove" },
      async handler(this: CurrencyThis, ctx: ShopContext<{ code: string; rate: string | number }>) {
        const rate = checkedRate(ctx.params.code, ctx.params.rate);
        const doc = (await this.updateWhere({ _id: ctx.params.code }, { $set: { rate, updatedAt: new Date() } })) as CurrencyDoc | null;
        if (!doc) throw notFound("Currency", { field: "code", code: ctx.params.code });
        void ctx.broadcast("currency.rates.changed", { code: doc.code, rate: doc.rate });
        return publicCurrency(doc);
      },
    },
  },

  async started() {
    let added = 0;
    for (const currency of fileCurrencies()) {
      if (await currencyOf(this as CurrencyThis, currency.code)) continue;
      try {
        await this.adapter.insert({ _id: currency.code, ...currency, updatedAt: new Date() });
        added += 1;
      } catch (err) {
        // Another node of the service added it first.
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    if (added > 0) {
      this.logger.info(`Added ${added} currencies from the rates file.`);
      await this.clearCache();
    }
  },
};

export default CurrencyService;
