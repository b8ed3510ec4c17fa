/**
 * A whole-number setting from the environment: `fallback` when the variable is unset or empty,
 * otherwise its value, refused with an error naming the variable when it is not a whole number of
 * at least `min`.
 */
export function wholeNumberSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, { min = 0, unit }: { min?: number; unit?: string } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}: a whole number${unit ? ` of ${unit}` : ''}${min > 0 ? `, at least ${min}` : ''}, not ${raw}`);
  return n;
}
