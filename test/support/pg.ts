// Test schemas on the shared PostgreSQL are dropped when their suite ends, so repeated CI
// runs on one machine do not pile them up.
import pg from 'pg';

export async function dropTestSchema(url: string | undefined, schema: string | undefined): Promise<void> {
  if (!url || !schema || !/^t_[0-9a-f]+$/.test(schema)) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
