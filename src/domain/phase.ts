/**
 * ISO/IEC 27035 phases as Firebreak names them, and which of them are still open. No imports: the
 * workflow, the API, the read model's SQL and the console's bundle all read them from here.
 */
export const PHASES = ['detected', 'triage', 'response', 'review', 'closed', 'dismissed'] as const;
export type Phase = (typeof PHASES)[number];

/** The phases in which an incident still waits for something; closed and dismissed wait for nothing. */
export const OPEN_PHASES = ['detected', 'triage', 'response', 'review'] as const satisfies readonly Phase[];

export const isOpenPhase = (phase: string): boolean => (OPEN_PHASES as readonly string[]).includes(phase);
