/**
 * Creates the currant table with the SDK, from the same layout (`adapters/aws/schema.ts`) the CDK
 * construct deploys: for emulator tests and the benchmark that need a table but not a stack.
 *
 *   await createTable(new DynamoDBClient({ endpoint }), 'currant-test-1');
 */
import { CreateTableCommand, type AttributeDefinition, type DynamoDBClient, type GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../adapters/aws/schema.ts';

export async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  const attrs = new Set<string>([TABLE.partitionKey, ...TABLE.indexes.flatMap((g) => [g.partitionKey, g.sortKey])]);
  const AttributeDefinitions: AttributeDefinition[] = [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' }));
  const GlobalSecondaryIndexes: GlobalSecondaryIndex[] = TABLE.indexes.map((g) => ({
    IndexName: g.name,
    KeySchema: [
      { AttributeName: g.partitionKey, KeyType: 'HASH' },
      { AttributeName: g.sortKey, KeyType: 'RANGE' },
    ],
    Projection: g.projection === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: g.include } : { ProjectionType: 'KEYS_ONLY' },
  }));
  await client.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions,
      GlobalSecondaryIndexes,
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}
