/**
 * Payment card checks that need no processor: the shape of the card fields,
 * the Luhn check digit, the brand from the number's prefix, and expiry.
 *
 * A card number and CVC are secrets (PCI DSS): nothing here puts them into an
 * error. fastest-validator copies a rejected value into its errors (`actual`)
 * and Moleculer logs those errors at debug level, so the `card` param is
 * checked by `cardRule`, whose errors name the field and never the value.
 */

export interface CardInput {
  /** Digits only (spaces and dashes of the input removed). */
  number: string;
  expMonth: number;
  /** Four digits (a two-digit input year is read as 20YY). */
  expYear: number;
  cvc: string;
}

export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "diners" | "jcb" | "unionpay" | "unknown";

export interface CardProblem {
  /** Path below the action's params, e.g. `card.number`. */
  field: string;
  message: string;
  type: string;
}

const MIN_DIGITS = 12;
const MAX_DIGITS = 19;
/** Cards are issued for at most about 10 years; 20 leaves room without accepting nonsense. */
const MAX_YEARS_AHEAD = 20;

/** True when the digits pass the Luhn (mod 10) check. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const inRange = (digits: string, length: number, from: number, to: number) => {
  const prefix = Number(digits.slice(0, length));
  return prefix >= from && prefix <= to;
};

/** The brand from the issuer prefix (IIN ranges); "unknown" when none matches. */
export function cardBrand(digits: string): CardBrand {
  if (/^3[47]/.test(digits)) return "amex";
  if (/^3(0[0-5]|[689])/.test(digits)) return "diners";
  if (inRange(digits, 4, 3528, 3589)) return "jcb";
  if (digits.startsWith("4")) return "visa";
  if (inRange(digits, 2, 51, 55) || inRange(digits, 4, 2221, 2720)) return "mastercard";
  if (digits.startsWith("6011") || digits.startsWith("65") || inRange(digits, 3, 644, 649) || inRange(digits, 6, 622126, 622925)) {
    return "discover";
  }
  if (digits.startsWith("62")) return "unionpay";
  return "unknown";
}

/** American Express prints a four-digit code, the others three. */
export const cvcLength = (brand: CardBrand) => (brand === "amex" ? 4 : 3);

/** A card is good through the last day of its expiry month (UTC). */
export function cardExpired(expMonth: number, expYear: number, now: Date): boolean {
  const firstInvalid = Date.UTC(expYear, expMonth, 1); // month is 0-based here: expMonth is the next month
  return now.getTime() >= firstInvalid;
}

export const last4 = (digits: string) => digits.slice(-4);

function integerField(value: unknown): number | null {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d{1,4}$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** Reads the `card` param; problems name the field and never repeat the value. */
export function readCard(value: unknown): { card: CardInput | null; problems: CardProblem[] } {
  if (value == null || typeof value !== "object" || Array.isArray(value)) {
    return { card: null, problems: [{ field: "card", type: "object", message: "The 'card' field must be an object with number, expMonth, expYear and cvc." }] };
  }
  const raw = value as Record<string, unknown>;
  const problems: CardProblem[] = [];

  const number = typeof raw.number === "string" ? raw.number.replace(/[\s-]/g, "") : "";
  if (!/^\d+$/.test(number) || number.length < MIN_DIGITS || number.length > MAX_DIGITS) {
    problems.push({ field: "card.number", type: "cardNumber", message: `The 'card.number' field must be a string of ${MIN_DIGITS} to ${MAX_DIGITS} digits.` });
  }

  const expMonth = integerField(raw.expMonth);
  if (expMonth === null || expMonth < 1 || expMonth > 12) {
    problems.push({ field: "card.expMonth", type: "expMonth", message: "The 'card.expMonth' field must be a month from 1 to 12." });
  }

  let expYear = integerField(raw.expYear);
  if (expYear !== null && expYear < 100) expYear += 2000;
  if (expYear === null || expYear < 2000 || expYear > 2099) {
    problems.push({ field: "card.expYear", type: "expYear", message: "The 'card.expYear' field must be a year such as 2030." });
  }

  const cvc = typeof raw.cvc === "string" ? raw.cvc.trim() : "";
  if (!/^\d{3,4}$/.test(cvc)) {
    problems.push({ field: "card.cvc", type: "cvc", message: "The 'card.cvc' field must be a string of 3 or 4 digits." });
  }

  if (problems.length > 0) return { card: null, problems };
  return { card: { number, expMonth: expMonth as number, expYear: expYear as number, cvc }, problems };
}

/** What a processor would refuse before any money moves: bad check digit, wrong CVC length, expired. */
export function checkCard(card: CardInput, now: Date): CardProblem[] {
  const problems: CardProblem[] = [];
  if (!luhnValid(card.number)) {
    problems.push({ field: "card.number", type: "luhn", message: "The 'card.number' field is not a valid card number (check digit)." });
    return problems;
  }
  const brand = cardBrand(card.number);
  if (card.cvc.length !== cvcLength(brand)) {
    problems.push({ field: "card.cvc", type: "cvc", message: `The 'card.cvc' field must have ${cvcLength(brand)} digits for this card.` });
  }
  if (cardExpired(card.expMonth, card.expYear, now)) {
    const message = "The card has expired.";
    problems.push({ field: "card.expMonth", type: "expired", message }, { field: "card.expYear", type: "expired", message });
  } else if (card.expYear > now.getUTCFullYear() + MAX_YEARS_AHEAD) {
    problems.push({ field: "card.expYear", type: "expYear", message: `The 'card.expYear' field is more than ${MAX_YEARS_AHEAD} years ahead.` });
  }
  return problems;
}

type ValidatorErrors = { type: string; field?: string; message?: string }[];

/**
 * The fastest-validator rule of the `card` param. It replaces the param by
 * the normalised card (unknown keys dropped) and reports problems without
 * `actual`, so a rejected card number never reaches an error, a log or a trace.
 */
export const cardRule = {
  type: "any",
  custom(value: unknown, errors: ValidatorErrors): CardInput | null {
    if (value == null) return null; // the validator's own "required" error says it
    const { card, problems } = readCard(value);
    for (const problem of problems) errors.push({ type: problem.type, field: problem.field, message: problem.message });
    return card;
  },
} as const;
