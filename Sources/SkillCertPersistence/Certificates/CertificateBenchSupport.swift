import FluentKit
import SQLKit

/// What `skillcert bench certificates` needs beyond the product's own operations.
public enum CertificateBenchSupport {
    /// `count` copies of the issued certificates under new numbers (site codes from 900000, level 4), for a lookup
    /// table of realistic size. They stand for no result or candidate, so they go in with foreign keys off on one
    /// connection (SQLite's pragma is per connection and ignored inside a transaction). Their ids and result ids are
    /// counted, not random: with `randomblob` the statement failed now and then on the unique result id.
    public static func pad(_ count: Int, on db: any Database) async throws {
        try await db.withConnection { connection in
            let sql = try connection.sql()
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            try await sql.raw("""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(unsafeRaw: String(count - 1))),
                base AS (SELECT MAX(status_index) AS top, COUNT(*) AS total FROM certificates)
                INSERT INTO certificates (id, number, print_serial, plan_id, result_id, candidate_id, full_name, id_type, id_masked, id_cipher, id_hash,
                  occupation_code, occupation_name, work_type, level, issue_date, body_name, site_code, photo_key, status, status_reason, status_index,
                  credential, issued_at, issued_by)
                SELECT printf('00000000-0000-7000-8000-%012d', n.i), 'S012332' || printf('9%05d', n.i / 999999) || '264' || printf('%06d', n.i % 999999 + 1),
                  c.print_serial, c.plan_id, printf('00000000-0000-7000-9000-%012d', n.i), c.candidate_id, c.full_name, c.id_type, c.id_masked,
                  c.id_cipher, c.id_hash, c.occupation_code,
                  c.occupation_name, c.work_type, c.level, c.issue_date, c.body_name, printf('9%05d', n.i / 999999), c.photo_key, c.status, c.status_reason,
                  base.top + 1 + n.i, c.credential, c.issued_at, c.issued_by
                FROM n, base JOIN certificates c ON c.rowid = 1 + n.i % base.total
                """).run()
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }

    /// Every certificate number in the database.
    public static func numbers(on db: any Database) async throws -> [String] {
        try await db.sql().raw("SELECT number FROM \(ident: CertificateRecord.schema)").all().map { try $0.decode(column: "number", as: String.self) }
    }
}
