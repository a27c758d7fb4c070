/**
 * The id rules of what crosses service boundaries: a service checks the ids
 * other services hand it with the same rule their owner uses.
 */

/** Order ids travel in URLs and event subjects: no spaces or slashes. */
export const ORDER_ID_RULE = { type: "string", min: 1, max: 100, pattern: /^[A-Za-z0-9._:-]+$/ } as const;
export const PRODUCT_ID_RULE = { type: "string", min: 1, max: 100 } as const;
export const USER_ID_RULE = { type: "string", min: 1, max: 100 } as const;
