import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
