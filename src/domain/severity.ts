/** Alert and incident severity as integrations report it, and the SEV level people talk in. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type SeverityLevel = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4';

const LEVEL_BY_SEVERITY: Record<Severity, SeverityLevel> = {
  critical: 'SEV1',
  high: 'SEV2',
  medium: 'SEV3',
  low: 'SEV4',
};

export function severityLevel(severity: Severity): SeverityLevel {
  return LEVEL_BY_SEVERITY[severity];
}
