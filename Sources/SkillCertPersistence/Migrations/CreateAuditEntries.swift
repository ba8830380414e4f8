import FluentKit
import SQLKit

/// The audit log table.
struct CreateAuditEntries: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AuditEntry.schema)
            .field(.id, .int, .identifier(auto: false))
            .field("occurred_at", .string, .required)
            .field("actor_id", .string)
            .field("actor_name", .string, .required)
            .field("action", .string, .required)
            .field("target_type", .string, .required)
            .field("target_id", .string)
            .field("reason", .string)
            .field("before_digest", .string)
            .field("after_digest", .string)
            .field("details", .string, .required)
            .field("prev_hash", .string, .required)
            .field("hash", .string, .required)
            .unique(on: "hash")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "audit_entries_target_idx").on(AuditEntry.schema)
                .column("target_type").column("target_id").run()
            try await sql.create(index: "audit_entries_action_idx").on(AuditEntry.schema).column("action").run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(AuditEntry.schema).delete()
    }
}

/// Makes the audit log append-only in the database itself: UPDATE, DELETE (and TRUNCATE on PostgreSQL) fail,
/// whoever issues them. Dialect-specific by necessity: trigger syntax differs between the engines.
struct CreateAuditAppendOnlyTriggers: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
                BEGIN
                  RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP;
                END;
                $$ LANGUAGE plpgsql
                """).run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON audit_entries
                FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
                """).run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
                FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
                """).run()
        } else {
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
                BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
                BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_update_delete ON audit_entries").run()
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries").run()
            try await sql.raw("DROP FUNCTION IF EXISTS audit_entries_append_only()").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_update").run()
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_delete").run()
        }
    }
}
