/**
 * zod as every schema in src uses it: `zod/mini`, the functional API (`z.optional(s)`, `s.check(z.minLength(1))`).
 * Classic `zod` parses with the same core but builds a method-laden object for every schema, and building the
 * job schemas at import was most of a Lambda's cold module load (issue 17). Every module with a schema imports
 * zod from this file, never from 'zod' directly, so what classic zod set up by itself is set up here, once,
 * before any schema can parse:
 * - English messages ("Invalid input: expected string, received number"); mini has no locale of its own.
 *   From `zod/locales`: `z.locales.en()` would keep every translation in a bundle, and 'zod/v4/locales/en.js'
 *   is an ES module jest's CommonJS runtime cannot load; esbuild keeps English alone either way.
 * - The memoizer that lets a recursive schema (each `z.json()`) meet a value it is already parsing (a cyclic
 *   or shared object) instead of recursing until the stack overflows.
 */
import { config, memoizer } from 'zod/mini';
import { en } from 'zod/locales';

config({ ...en(), memoizer: memoizer() });

export * from 'zod/mini';
