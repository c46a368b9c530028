// An audit store that refuses the events of one kind of actor (a trigger in the test database, as a
// full disk or a revoked permission would: SQLSTATE 42501), for tests that a change never commits
// without its event. Resolves to the function that makes the store accept them again.
import type { Database } from '../../src/storage/database.ts';

export async function refuseAuditEvents(db: Database, actorType: 'admin' | 'user'): Promise<() => Promise<void>> {
  const name = `test_refuse_${actorType}_events`;
  await db.execScript(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.actor_type = '${actorType}' THEN
        RAISE EXCEPTION 'permission denied for the audit store (test)' USING ERRCODE = '42501';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${name} BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION ${name}();
  `);
  return () => db.execScript(`DROP TRIGGER ${name} ON audit_events; DROP FUNCTION ${name}();`);
}
