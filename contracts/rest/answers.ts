/**
 * What an action declares about its REST answers, next to its `rest` and
 * `params` (the `openapi` key of an action schema, types/moleculer.d.ts): the
 * gateway's OpenAPI generator (services/api/openapi/document.ts) reads it
 * from the registry. Statuses the gateway itself answers (401 and 403 from
 * `auth`/`roles`, 422 from `params`, 400/413 on bodies, 503/504) are added
 * by the generator; an action lists what its own handler answers.
 */
import { ref, type JsonSchema, type SchemaName } from "./schemas";
import { EXAMPLES } from "./examples";

/** A response header the generator describes (components.headers). */
export type ResponseHeader = "Location" | "Retry-After";

export interface Answer {
  description: string;
  /** null: no body (204). */
  schema: JsonSchema | null;
  example: unknown;
  headers?: ResponseHeader[];
}

export interface RequestHeader {
  name: string;
  required: boolean;
  description: string;
  schema: JsonSchema;
  example: string;
}

export interface ActionDoc {
  /** A short sentence: what the operation does. */
  summary: string;
  description?: string;
  /** The answers that are not errors, by status (usually one 200 or 201). */
  responses: Partial<Record<200 | 201 | 202 | 204 | 503, Answer>>;
  /** Error statuses the handler answers, each with the `type` values it carries. */
  errors?: Partial<Record<401 | 402 | 404 | 409 | 422 | 429 | 503, string[]>>;
  /** Headers the action reads besides the ones every route takes. */
  headers?: RequestHeader[];
  /** An example body where the one derived from `params` would not pass the server's rules. */
  requestExample?: Record<string, unknown>;
}

/** The schema and example of one named shape, with what this answer means. */
export function answer(name: SchemaName & keyof typeof EXAMPLES, description: string, headers?: ResponseHeader[]): Answer {
  return { description, schema: ref(name), example: EXAMPLES[name], ...(headers ? { headers } : {}) };
}

/** A list of one named shape. */
export function listOf(name: SchemaName & keyof typeof EXAMPLES, description: string): Answer {
  return { description, schema: { type: "array", items: ref(name) }, example: [EXAMPLES[name]] };
}

/** An answer without a body (204). */
export function noContent(description: string): Answer {
  return { description, schema: null, example: null };
}
