import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openSqliteKysely } from './sqlite/open-sqlite.js';
import { compiledOnce } from './compiled-once.js';

test('a statement compiled once runs with each call’s values, constants kept, in place', async () => {
  const db = openSqliteKysely(':memory:');
  try {
    await sql`create table jobs (id integer primary key, kind text, ref_id integer, lease_owner text)`.execute(db);
    await sql`insert into jobs (kind, ref_id, lease_owner) values ('a', 1, 'x'), ('b', 2, 'y'), ('a', 3, null)`.execute(
      db,
    );
    const byKind = compiledOnce(['kind', 'owner'], (d, p: { kind: string; owner: string }) =>
      d
        .selectFrom('jobs')
        .select('ref_id')
        .where('kind', '=', p.kind)
        .where((eb) => eb.or([eb('lease_owner', '=', p.owner), eb('lease_owner', 'is', null)]))
        .orderBy('ref_id')
        .limit(5),
    );
    assert.deepEqual((await byKind(db, { kind: 'a', owner: 'x' })).rows, [{ ref_id: 1 }, { ref_id: 3 }]);
    assert.deepEqual((await byKind(db, { kind: 'b', owner: 'y' })).rows, [{ ref_id: 2 }]);
    assert.deepEqual((await byKind(db, { kind: 'b', owner: 'x' })).rows, []);
  } finally {
    await db.destroy();
  }
});

test('a value used other than as a value, or a field the statement does not carry, is refused', async () => {
  const db = openSqliteKysely(':memory:');
  try {
    const computed = compiledOnce(['id'], (d, p: { id: number }) =>
      d
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', Number(p.id) + 1),
    );
    await assert.rejects(computed(db, { id: 1 }), /id did not become parameters/);
    const one = compiledOnce(['id'], (d, p: { id: number }) => d.selectFrom('jobs').selectAll().where('id', '=', p.id));
    await assert.rejects(one(db, { id: 1, extra: 2 } as { id: number }), /extra is not one of the statement's values/);
  } finally {
    await db.destroy();
  }
});

test('a list value is one parameter per element, compiled once per length', async () => {
  const db = openSqliteKysely(':memory:');
  try {
    await sql`create table jobs (id integer primary key, kind text, ref_id integer, lease_owner text)`.execute(db);
    await sql`insert into jobs (kind, ref_id) values ('a', 1), ('b', 2), ('c', 3)`.execute(db);
    const ofKinds = compiledOnce(['kinds', 'min'], (d, p: { kinds: string[]; min: number }) =>
      d.selectFrom('jobs').select('ref_id').where('kind', 'in', p.kinds).where('ref_id', '>=', p.min).orderBy('ref_id'),
    );
    assert.deepEqual((await ofKinds(db, { kinds: ['a'], min: 0 })).rows, [{ ref_id: 1 }]);
    assert.deepEqual((await ofKinds(db, { kinds: ['a', 'c'], min: 0 })).rows, [{ ref_id: 1 }, { ref_id: 3 }]);
    assert.deepEqual((await ofKinds(db, { kinds: ['b', 'c'], min: 3 })).rows, [{ ref_id: 3 }]);
    assert.deepEqual((await ofKinds(db, { kinds: ['c'], min: 0 })).rows, [{ ref_id: 3 }]);
    await assert.rejects(ofKinds(db, { kinds: [], min: 0 }), /kinds did not become parameters/);
  } finally {
    await db.destroy();
  }
});
