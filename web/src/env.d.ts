/**
 * Globals for the page's type-check (web/tsconfig.json has no Node types, so that the library code
 * the page bundles cannot use Node APIs unnoticed).
 *
 * src/backend/backend.ts reads `process.env.RECURRENT_BACKEND` only when a `process` exists
 * (`typeof process !== 'undefined'`); in a browser there is none.
 */
declare const process: { env?: Record<string, string | undefined> } | undefined;
