/** Every paged list of the API takes the same params and answers the same shape (docs/api.md, "Paging"). */

export const PAGE_PARAMS = {
  page: { type: "number", integer: true, min: 1, max: 100_000, default: 1, convert: true },
  pageSize: { type: "number", integer: true, min: 1, max: 100, default: 20, convert: true },
} as const;

export interface Page<T> {
  rows: T[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
}

export function toPage<T>(rows: T[], total: number, page: number, pageSize: number): Page<T> {
  return { rows, total, page, pageSize, totalPages: Math.ceil(total / pageSize) };
}
