// Asks the Temporal server whether tuneflow's search attributes exist in the namespace, so the
// workflow only upserts them where that cannot fail its workflow tasks.
import { Connection } from '@temporalio/client';
// Not re-exported from the package root; the string-to-enum mapping is the SDK's own.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTE_TYPES } from './types';

/** The options both the client's Connection and the worker's NativeConnection accept. */
export interface TemporalConnectionOptions {
  address: string;
  apiKey?: string;
  metadata?: Record<string, string>;
  tls?: boolean | { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string };
}

export interface TemporalDeps {
  temporal: { connection: TemporalConnectionOptions; namespace: string };
}

export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.keys(SEARCH_ATTRIBUTE_TYPES).filter((name) => !(name in (customAttributes ?? {})));
}

/** Register the missing ones (needs operator rights: fine on a dev server; on a cluster an admin does it once). */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(
    missing.map((name) => [name, encodeSearchAttributeIndexedValueType(SEARCH_ATTRIBUTE_TYPES[name as keyof typeof SEARCH_ATTRIBUTE_TYPES])!]),
  );
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing;
}

export function temporalActivities(deps: TemporalDeps) {
  return {
    async searchAttributesReady(): Promise<boolean> {
      const connection = await Connection.connect(deps.temporal.connection);
      try {
        return (await missingSearchAttributes(connection, deps.temporal.namespace)).length === 0;
      } finally {
        await connection.close();
      }
    },
  };
}
