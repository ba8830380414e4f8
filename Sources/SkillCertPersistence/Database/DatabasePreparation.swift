import FluentKit
import SQLKit
import SkillCertCore

/// Engine settings applied once after connecting, before migrations.
public enum DatabasePreparation {
    /// Puts SQLite in WAL mode. SQLite's default `synchronous = FULL` (sqlite-nio does not change it) then makes
    /// every commit durable before it returns, so an acknowledged write survives a crash or power loss.
    ///
    /// A new database file gets 16 KiB pages (see docs/adr/0008-sqlite-16k-pages.md): a certificate row with its
    /// signed credential is about 3 KB, so a 4 KiB page held one row and a quarter of every page written was empty.
    /// An existing database keeps the page size it was created with (SQLite ignores the setting once it has tables).
    public static func prepare(_ db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" else { return }
        try await sql.raw("PRAGMA page_size = \(unsafeRaw: String(sqlitePageSize))").run()
        try await sql.raw("PRAGMA journal_mode = WAL").run()
    }

    /// The page size of new SQLite databases, in bytes.
    public static let sqlitePageSize = 16_384

    /// The engine's name as SQLKit's dialect reports it: `sqlite` or `postgresql`.
    public static func dialectName(_ db: any Database) -> String {
        (db as? any SQLDatabase)?.dialect.name ?? "unknown"
    }
}

extension Database {
    /// This database as SQLKit sees it, for statements Fluent's query builder does not express (both drivers are SQL).
    func sql() throws -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            throw DomainError.conflict(code: "sql_required", zh: "数据库不支持", en: "an SQL database is required")
        }
        return sql
    }
}
