/** What a console action says when it is done, or why not. */
import { ApiError } from "../api";

export interface Outcome {
  text: string;
  failed: boolean;
}

export function failure(err: unknown): Outcome {
  return { text: err instanceof ApiError ? `Not done: ${err.message}` : "Not done: the shop could not be reached.", failed: true };
}
