/**
 * What shoppers type: the relevance file's queries on the seeded catalog
 * (test/products/search-relevance.test.ts checks each finds its product in
 * the top 3) and the same kinds of query on the generated 100k catalog
 * (services/products/catalog-generator.ts), mixed by bench scenario S2q.
 */

export const RELEVANCE_QUERIES: [query: string, sku: string][] = [
  ["headphones", "EL-1001"],
  ["hedphones", "EL-1001"],
  ["noise cancelling headphones", "EL-1001"],
  ["wireless headphone", "EL-1001"],
  ["bluetooth speaker", "EL-1002"],
  ["speakr", "EL-1002"],
  ["usb-c charger", "EL-1003"],
  ["webcam", "EL-1004"],
  ["mechanical keybord", "EL-1005"],
  ["skillet", "KI-2001"],
  ["cast iron pan", "KI-2001"],
  ["kettle", "KI-2002"],
  ["chef knives", "KI-2003"],
  ["cutting boards", "KI-2004"],
  ["french pres", "KI-2005"],
  ["distributed systems", "BO-3002"],
  ["typescript", "BO-3006"],
  ["vegetarian recipes", "BO-3003"],
  ["thriller", "BO-3005"],
  ["islands atlas", "BO-3004"],
  ["tent", "OU-4005"],
  ["sleeping bag", "OU-4004"],
  ["trekking poles", "OU-4002"],
  ["headlamp", "OU-4007"],
  ["merino sweater", "CL-5001"],
  ["rain jacket", "CL-5003"],
  ["hiking sock", "CL-5005"],
  ["jigsaw puzzle", "TO-6002"],
  ["remote control car", "TO-6003"],
  ["sunscreen", "BE-7001"],
  ["sunscren", "BE-7001"],
  ["toothbrush", "BE-7005"],
  ["shampoo", "BE-7007"],
  ["notebook", "OF-8001"],
  ["laptop stand", "OF-8002"],
  ["desk lamp", "OF-8005"],
  ["whitebord", "OF-8006"],
  ["OF-8003", "OF-8003"],
];

/** Misspellings, plurals, description words and several words, in the generated catalog's words. */
export const GENERATED_CATALOG_QUERIES = [
  "headphones",
  "hedphones",
  "northwind kettle",
  "merino wool sweater",
  "stainless steel knives",
  "compact speaker",
  "bamboo cutting",
  "trekking poles",
  "lifetime guarantee backpack",
  "premium webcam",
  "kestrel tent",
  "organic cotton socks",
];

/** S2q's mix: every query of both lists. */
export const SEARCH_MIX = [...RELEVANCE_QUERIES.map(([query]) => query), ...GENERATED_CATALOG_QUERIES];
