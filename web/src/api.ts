/**
 * The one API client of the page: the typed client of clients/typescript,
 * with the session's token added to each request and dropped on a 401.
 */
import type { Middleware } from "openapi-fetch";
import { createShopClient } from "../../clients/typescript";
import { session, signedOut } from "./session";
import type { ErrorBody, FieldProblem } from "./types";

export const api = createShopClient({ baseUrl: "" });

/** The session's token on each request; a 401 to a signed-in call signs out. Any client of this API's origin uses it. */
export const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (session.token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${session.token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A token the API no longer accepts (expired, account gone): sign out here too.
    if (response.status === 401 && request.headers.has("Authorization")) signedOut();
    return response;
  },
};

api.use(sessionMiddleware);

/** A failed call: the API's error answer, or status 0 when no answer arrived. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly data: unknown;

  constructor(body: ErrorBody) {
    super(body.message);
    this.status = body.code;
    this.type = body.type;
    this.data = body.data;
  }

  /** The fields a 422 names, as { "payment.cardNumber": "..." }. */
  fieldProblems(): Record<string, string> {
    const problems: Record<string, string> = {};
    if (this.status !== 422 || !Array.isArray(this.data)) return problems;
    for (const item of this.data as FieldProblem[]) {
      if (item && typeof item.field === "string" && !(item.field in problems)) problems[item.field] = item.message;
    }
    return problems;
  }

  /** A fact of the error's data object, e.g. fact("orderId"). */
  fact<T = unknown>(name: string): T | undefined {
    return this.data && typeof this.data === "object" && !Array.isArray(this.data) ? ((this.data as Record<string, unknown>)[name] as T) : undefined;
  }
}

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The answer's body as T, or an ApiError; a network failure is an ApiError with status 0. */
export async function read<T>(call: Promise<Answer>): Promise<T> {
  let answer: Answer;
  try {
    answer = await call;
  } catch {
    throw new ApiError({ code: 0, type: "NETWORK_ERROR", message: "The shop could not be reached. Check your connection and try again." });
  }
  if (answer.response.ok) return answer.data as T;
  const body = answer.error as Partial<ErrorBody> | undefined;
  throw new ApiError({
    code: answer.response.status,
    type: typeof body?.type === "string" ? body.type : "HTTP_ERROR",
    message: typeof body?.message === "string" ? body.message : `The shop answered ${answer.response.status}`,
    data: body?.data,
  });
}
