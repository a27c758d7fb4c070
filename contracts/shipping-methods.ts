/** The shipping methods a buyer chooses from: checkout takes one, shipping prices and ships it. */

export type ShippingMethod = "standard" | "express";
export const SHIPPING_METHODS: readonly ShippingMethod[] = ["standard", "express"];
export const METHOD_RULE = { type: "enum", values: [...SHIPPING_METHODS], default: "standard" } as const;
