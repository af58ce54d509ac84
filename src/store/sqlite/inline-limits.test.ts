import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openSqliteKysely } from './open-sqlite.js';

test('SQLite: integer LIMIT and OFFSET are written into the text, other values stay parameters', async () => {
  const db = openSqliteKysely(':memory:');
  try {
    await sql`create table jobs (id integer primary key, kind text)`.execute(db);
    await sql`insert into jobs (kind) values ('a'), ('a'), ('a'), ('b')`.execute(db);
    const q = db.selectFrom('jobs').select('id').where('kind', '=', 'a').orderBy('id').limit(2).offset(1);
    const compiled = q.compile();
    assert.match(compiled.sql, /limit 2 offset 1$/);
    assert.deepEqual(compiled.parameters, ['a']);
    assert.deepEqual(await q.execute(), [{ id: 2 }, { id: 3 }]);
    // A limit inside a subquery too (the job claim's shape).
    const sub = db
      .selectFrom('jobs')
      .select('id')
      .where('id', 'in', (eb) => eb.selectFrom('jobs').select('id').where('kind', '=', 'a').limit(1))
      .compile();
    assert.match(sub.sql, /limit 1\)$/);
    assert.deepEqual(sub.parameters, ['a']);
  } finally {
    await db.destroy();
  }
});
