// Asks the Temporal server whether the campaign's search attributes exist in the namespace, so the
// workflow only upserts them where that cannot fail its workflow tasks. The workflow names them (its
// keys are defined in workflows/control.ts): nothing here needs workflow code.
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
// Not re-exported from the package root; the string-to-enum mapping is the SDK's own.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';

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

export async function missingSearchAttributes(connection: Connection, namespace: string, names: readonly string[]): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return names.filter((name) => !(name in (customAttributes ?? {})));
}

/** Register the missing ones (needs operator rights: fine on a dev server; on a cluster an admin does it once). */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly { name: string; type: SearchAttributeType }[],
): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace, keys.map((k) => k.name));
  if (missing.length === 0) return [];
  const searchAttributes = Object.fromEntries(
    keys.filter((k) => missing.includes(k.name)).map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]),
  );
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  return missing;
}

export function temporalActivities(deps: TemporalDeps) {
  return {
    async searchAttributesReady(input: { names: string[] }): Promise<boolean> {
      const connection = await Connection.connect(deps.temporal.connection);
      try {
        return (await missingSearchAttributes(connection, deps.temporal.namespace, input.names)).length === 0;
      } finally {
        await connection.close();
      }
    },
  };
}
