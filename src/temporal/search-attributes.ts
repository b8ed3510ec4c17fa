import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { IncidentState } from '../domain/incident';

/**
 * Custom search attributes that make incidents findable in the Temporal UI. Every server
 * Firebreak runs against must have them registered (the dev launcher and the test setup do
 * it with `--search-attribute`; docker-compose.yml with the admin tools).
 */
export const SEARCH_ATTRIBUTES = {
  severity: defineSearchAttributeKey('FirebreakSeverity', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('FirebreakPhase', SearchAttributeType.KEYWORD),
  source: defineSearchAttributeKey('FirebreakSource', SearchAttributeType.KEYWORD),
  commander: defineSearchAttributeKey('FirebreakCommander', SearchAttributeType.KEYWORD),
  escalationLevel: defineSearchAttributeKey('FirebreakEscalationLevel', SearchAttributeType.INT),
} as const;

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
};

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeCliFlags(): string[] {
  return Object.values(SEARCH_ATTRIBUTES).flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}

/** An incident's search attributes, as its workflow upserts them. */
export function incidentSearchAttributes(state: IncidentState): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTES.phase, value: state.phase },
    { key: SEARCH_ATTRIBUTES.severity, value: state.severity },
    { key: SEARCH_ATTRIBUTES.source, value: state.source },
    { key: SEARCH_ATTRIBUTES.escalationLevel, value: state.escalationLevel },
    { key: SEARCH_ATTRIBUTES.commander, value: state.roles.commander?.person ?? '' },
  ];
}

/**
 * The pairs whose value differs from the one last upserted, by attribute name (every pair when
 * nothing was). Each upsert is a write to Temporal's visibility store, however little it changes.
 */
export function changedSearchAttributes(pairs: readonly SearchAttributePair[], lastUpserted: ReadonlyMap<string, unknown>): SearchAttributePair[] {
  return pairs.filter(({ key, value }) => !lastUpserted.has(key.name) || lastUpserted.get(key.name) !== value);
}
