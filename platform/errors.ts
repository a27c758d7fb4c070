/**
 * The client errors of docs/api.md, named as a client reads them. Each is a
 * MoleculerClientError, so it crosses nodes intact and never trips a breaker.
 */
import { Errors } from "moleculer";

function clientError(name: string, message: string, code: number, type: string, data?: unknown): Errors.MoleculerClientError {
  const err = new Errors.MoleculerClientError(message, code, type, data);
  err.name = name;
  return err;
}

export const badRequest = (message: string, type = "BAD_REQUEST", data?: unknown) => clientError("BadRequestError", message, 400, type, data);
export const unauthorized = (message: string, type = "INVALID_TOKEN") => clientError("UnauthorizedError", message, 401, type);
export const paymentRequired = (message: string, type: string, data?: unknown) => clientError("PaymentRequiredError", message, 402, type, data);
export const forbidden = (message = "You are not allowed to do this") => clientError("ForbiddenError", message, 403, "FORBIDDEN");
export const notFound = (what: string, data?: unknown) => clientError("NotFoundError", `${what} not found`, 404, "NOT_FOUND", data);
export const conflict = (message: string, type = "CONFLICT", data?: unknown) => clientError("ConflictError", message, 409, type, data);
/** `fields` as in Moleculer's own validation errors, so clients read both alike. */
export const unprocessable = (message: string, fields: { field: string; message: string; type?: string }[]) =>
  clientError("ValidationError", message, 422, "VALIDATION_ERROR", fields.map((f) => ({ type: "invalid", ...f })));
/** `retryAfter` in seconds becomes the response's Retry-After header. */
export const tooManyRequests = (message: string, retryAfter: number) => clientError("TooManyRequestsError", message, 429, "RATE_LIMITED", { retryAfter });
export const unavailable = (message: string, data?: unknown) => {
  const err = new Errors.MoleculerRetryableError(message, 503, "SERVICE_UNAVAILABLE", data);
  err.name = "ServiceUnavailableError";
  return err;
};
