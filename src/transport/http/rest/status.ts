import type { ErrorCode } from '../../../domain/errors.js';

/**
 * The HTTP status of every error code: the one table the REST API answers with and its OpenAPI document is
 * generated from. docs/rest-api.md shows it; test/rest-openapi.test.ts keeps the two in step.
 */
export const HTTP_STATUS = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_ASSIGNEE: 409,
  CYCLE: 409,
  DEPENDENCY_CYCLE: 409,
  BLOCKED: 409,
  LEASE_LOST: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  IDEMPOTENCY_CONFLICT: 409,
  FEATURE_DISABLED: 501,
  OVERLOADED: 503,
  UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

/** Codes that can follow any request, whatever the route: answered with the `default` response. */
export const ANY_ROUTE_CODES = [
  'OVERLOADED',
  'UNAVAILABLE',
  'STORAGE_UNAVAILABLE',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];

/**
 * The code of a refusal made before the operation ran (Host/Origin, auth, method, body checks in the HTTP front):
 * 405, 413 and 415 are argument problems of the request itself.
 */
export function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 500:
      return 'INTERNAL';
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT';
  }
}

/** `Retry-After` for the codes a client should retry after a pause. */
export function retryAfter(code: ErrorCode): string | undefined {
  if (code === 'OVERLOADED') return '1';
  if (code === 'UNAVAILABLE') return '5';
  // Storage comes back when an operator frees space: seconds, not milliseconds.
  if (code === 'STORAGE_UNAVAILABLE') return '30';
  return undefined;
}
