import { COUNTRY_CODES } from "../../contracts/countries";

const names = new Intl.DisplayNames(["en"], { type: "region" });

/** Every country a shipping address may name, by English name. */
export const COUNTRIES: { code: string; name: string }[] = [...COUNTRY_CODES]
  .map((code) => ({ code, name: names.of(code) ?? code }))
  .sort((a, b) => a.name.localeCompare(b.name));
