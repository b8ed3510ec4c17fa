import { z } from 'zod';

/**
 * What `String.prototype.trim` removes, spelled out so that JSON Schema validators in other
 * languages (whose `\s` differs) read the pattern as JavaScript does.
 */
const WHITESPACE = '\\t\\n\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** Control characters (other than tab, newline, carriage return) have no place in free text. */
const CONTROL = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f';
/**
 * Some text, and no control characters. Written so it cannot backtrack: leading whitespace, the
 * first character that is neither, then anything but a control character.
 */
const TEXT_PATTERN = new RegExp(`^[${WHITESPACE}]*[^${WHITESPACE}${CONTROL}][^${CONTROL}]*$`, 'u');

/**
 * Free text people or tools write: at most `max` characters as sent (counted as JSON Schema
 * counts them, in code points), not blank, no control characters; stored trimmed. The checks are
 * ones JSON Schema can state, so the OpenAPI document says exactly what is accepted.
 */
export const boundedText = (max: number) => atMost(max, z.string().min(1)).regex(TEXT_PATTERN, 'must contain text and no control characters').trim();

/**
 * As TEXT_PATTERN, and no CR or LF anywhere (leading and trailing ones included): one pattern, so
 * the OpenAPI document states the whole rule.
 */
const ONE_LINE_PATTERN = new RegExp(`^[${WHITESPACE.replace('\\n\\r', '')}]*[^${WHITESPACE}${CONTROL}][^${CONTROL}\\n\\r]*$`, 'u');

/**
 * Text that is one line: a title, a name, a person, a reference. As `boundedText`, and CR and LF
 * are refused (a CR or LF in such a field could forge a line in a log, a header or a notice).
 */
export const oneLineText = (max: number) => atMost(max, z.string().min(1)).regex(ONE_LINE_PATTERN, 'must be one line of text: no CR, LF or other control characters').trim();

/** At most `max` characters counted as JSON Schema counts them (code points), which is how the document states it. */
function atMost(max: number, schema: z.ZodString): z.ZodString {
  return schema
    .refine((s) => s.length <= max || [...s].length <= max, { message: `Too big: expected string to have <=${max} characters` })
    .meta({ maxLength: max }) as unknown as z.ZodString;
}

/**
 * Any string PostgreSQL can store: no U+0000. (Nor an unpaired surrogate, which no UTF-8 text can
 * carry; JSON Schema patterns cannot name one portably, so the API refuses those in every body
 * it validated: see src/api/body.ts.)
 */
export const STORABLE_PATTERN = /^[^\u0000]*$/u;

/** A string from another system, kept as sent but for what cannot be stored; at most `max` characters. */
export const storableString = (max?: number) => {
  const schema = z.string().regex(STORABLE_PATTERN, 'must not contain U+0000');
  return max === undefined ? schema : atMost(max, schema);
};

/** Any JSON value whose strings, and object keys, can be stored. */
export const JsonValueSchema: z.ZodType<unknown> = z
  .lazy(() => z.union([storableString(), z.number(), z.boolean(), z.null(), z.array(JsonValueSchema), z.record(storableString(), JsonValueSchema)]))
  .meta({ id: 'JsonValue', description: 'Any JSON value; no string or key may contain U+0000' });

/** Machine identifiers: printable ASCII without spaces, bounded. */
export const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
