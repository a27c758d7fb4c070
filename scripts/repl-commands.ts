/**
 * Operator commands of the Moleculer REPL (moleculer-repl `customCommands`,
 * wired in moleculer.config.ts), next to the built-in nodes, services, call...
 *
 *   stock <sku>        stock and reservations of one product
 *   orders [status]    the newest orders, optionally of one status
 *   deadletters        events parked on the dead-letter subject
 *
 * They find their actions in the cluster's registry at the moment they run:
 * a service that no node runs (yet) is reported as such instead of failing.
 */
import type { BrokerOptions, ServiceBroker } from "moleculer";

type ReplCommand = NonNullable<NonNullable<BrokerOptions["replOptions"]>["customCommands"]>[number];

/** The caller the REPL acts as: actions that read `ctx.meta.user` see an admin. */
const OPERATOR = { id: "repl-operator", email: "repl@localhost", name: "REPL operator", role: "admin" };

/** How many products `stock` reads at most while looking for a SKU. */
const STOCK_SCAN_LIMIT = 10_000;
const PAGE_SIZE = 100;

interface RegistryAction {
  name: string;
  action?: { name: string; rest?: unknown };
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  stock: number;
  reserved?: number;
  archived?: boolean;
  price: number;
  currency: string;
}

interface Page<T> {
  rows: T[];
  total: number;
  totalPages: number;
}

const print = (text = "") => void process.stdout.write(`${text}\n`);

/** Rows as aligned columns under a header. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => (cell ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function availableActions(broker: ServiceBroker): RegistryAction[] {
  return broker.registry.getActionList({ onlyAvailable: true, skipInternal: true, withEndpoints: false }) as unknown as RegistryAction[];
}

function runsService(broker: ServiceBroker, name: string): boolean {
  return broker.registry.getServiceList({ onlyAvailable: true }).some((service) => service.name === name);
}

/** `GET /admin/orders` in either of moleculer-web's forms ("GET /path" or { method, path }). */
function restIs(rest: unknown, method: string, path: string): boolean {
  if (typeof rest === "string") return rest.replace(/\s+/g, " ").trim() === `${method} ${path}`;
  const spec = rest as { method?: string; path?: string } | null;
  return spec?.method === method && spec?.path === path;
}

/** What an action answered, as a table when it is a page or a list of flat records. */
function printResult(result: unknown): void {
  const rows = Array.isArray(result) ? result : (result as { rows?: unknown })?.rows;
  if (!Array.isArray(rows) || rows.some((row) => typeof row !== "object" || row === null)) {
    print(JSON.stringify(result, null, 2));
    return;
  }
  if (rows.length === 0) {
    print("(none)");
    return;
  }
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row as object)))].filter((key) =>
    rows.every((row) => typeof (row as Record<string, unknown>)[key] !== "object" || (row as Record<string, unknown>)[key] === null));
  print(formatTable(columns, rows.map((row) => columns.map((key) => String((row as Record<string, unknown>)[key] ?? "")))));
  const total = (result as { total?: unknown }).total;
  if (typeof total === "number" && total > rows.length) print(`(${rows.length} of ${total})`);
}

async function findBySku(broker: ServiceBroker, sku: string): Promise<{ product?: ProductRow; scanned: number }> {
  const wanted = sku.toUpperCase();
  const list = (params: Record<string, unknown>) => broker.call<Page<ProductRow>, Record<string, unknown>>("products.list", { pageSize: PAGE_SIZE, ...params });
  // A search first: cheap, and enough when the SKU is also in the name or description.
  const searched = await list({ q: sku });
  let product = searched.rows.find((row) => row.sku.toUpperCase() === wanted);
  let scanned = searched.rows.length;
  // products.list searches names and descriptions only: otherwise read the catalog page by page.
  for (let page = 1; !product && scanned < STOCK_SCAN_LIMIT; page++) {
    const result = await list({ page, sort: "name" });
    product = result.rows.find((row) => row.sku.toUpperCase() === wanted);
    scanned += result.rows.length;
    if (page >= result.totalPages) break;
  }
  return { product, scanned };
}

const stock: ReplCommand = {
  command: "stock <sku>",
  description: "Stock and reservations of the product with this SKU",
  async action(broker, args) {
    const sku = String((args as unknown as { sku?: unknown }).sku ?? "").trim();
    if (!runsService(broker, "products")) return print("No node runs the products service: start one (SERVICES=products) and try again.");
    const { product, scanned } = await findBySku(broker, sku);
    if (!product) return print(`No listed product has SKU ${sku} (looked at ${scanned} products).`);
    // getMany answers the admin view: what open reservations hold, and whether it is archived.
    const [full] = await broker.call<ProductRow[], { ids: string[] }>("products.getMany", { ids: [product.id] }).catch(() => [product]);
    const row = { ...product, ...full };
    print(formatTable(
      ["sku", "name", "available", "reserved", "price", "id"],
      [[row.sku, row.name, String(row.stock), row.reserved === undefined ? "?" : String(row.reserved), `${(row.price / 100).toFixed(2)} ${row.currency}`, row.id]],
    ));
  },
};

const orders: ReplCommand = {
  command: "orders [status]",
  description: "The newest orders (all users), optionally only those of a status, e.g. orders paid",
  async action(broker, args) {
    const status = (args as unknown as { status?: unknown }).status;
    if (!runsService(broker, "orders")) return print("No node runs the orders service: there are no orders to list.");
    const listing = availableActions(broker).find((item) =>
      item.name === "orders.adminList" || (item.name.startsWith("orders.") && restIs(item.action?.rest, "GET", "/admin/orders")));
    if (!listing) return print("The orders service has no admin listing action (GET /admin/orders) on any node.");
    const params = { page: 1, pageSize: 20, ...(typeof status === "string" && status ? { status } : {}) };
    printResult(await broker.call(listing.name, params, { meta: { user: OPERATOR } }));
  },
};

const deadletters: ReplCommand = {
  command: "deadletters",
  description: "Events parked on the dead-letter subject (durable events that failed every delivery)",
  async action(broker) {
    // Exactly the listing action (ChannelsMixin's `<service>.deadLetters`): never a replay or purge next to it.
    const listings = availableActions(broker).filter((item) => item.name.split(".").pop() === "deadLetters");
    if (listings.length === 0) return print("No service offers a dead-letter listing action: durable events are not running in this cluster.");
    for (const listing of listings) {
      print(`${listing.name}:`);
      printResult(await broker.call(listing.name, {}, { meta: { user: OPERATOR } }));
    }
  },
};

/** A failing call prints its error instead of a stack trace from the REPL's own catch. */
function reportingErrors(command: ReplCommand): ReplCommand {
  return {
    ...command,
    async action(broker, args, helpers) {
      try {
        await command.action(broker, args, helpers);
      } catch (err) {
        const e = err as { name?: string; message?: string; code?: number };
        print(`${command.command.split(" ")[0]} failed: ${e.name ?? "Error"}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ""}`);
      }
    },
  };
}

export const replCommands: ReplCommand[] = [stock, orders, deadletters].map(reportingErrors);
