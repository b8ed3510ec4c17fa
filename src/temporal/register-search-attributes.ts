import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes';

const INDEXED_TYPE = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

/**
 * Registers Firebreak's search attributes through the operator service: for servers that were not
 * started with `--search-attribute` (the time-skipping test server, an existing cluster).
 * Attributes that already exist are left alone.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: INDEXED_TYPE[key.type as keyof typeof INDEXED_TYPE] },
      });
    } catch (err) {
      if (!/already exists/i.test(err instanceof Error ? err.message : String(err))) throw err;
    }
  }
}
