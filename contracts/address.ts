/**
 * A postal address as clients send it (docs/api.md: `{line1, line2?, city,
 * postalCode, country}`), with the fastest-validator rule that checks it.
 * Kept apart from the users service: an order's shipping address is the same shape.
 */
import { isCountryCode } from "./countries";

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string;
}

type Errors = { type: string; actual?: unknown }[];

export const addressRule = {
  type: "object",
  // Unknown keys are dropped, never stored.
  strict: "remove",
  props: {
    line1: { type: "string", trim: true, min: 1, max: 200 },
    line2: { type: "string", trim: true, max: 200, optional: true },
    city: { type: "string", trim: true, min: 1, max: 100 },
    postalCode: { type: "string", trim: true, min: 1, max: 20 },
    country: {
      type: "string",
      trim: true,
      uppercase: true,
      custom(value: string, errors: Errors) {
        if (!isCountryCode(value)) errors.push({ type: "countryCode", actual: value });
        return value;
      },
      messages: { countryCode: "The '{field}' field must be an ISO 3166-1 alpha-2 country code (e.g. 'DE')." },
    },
  },
} as const;
