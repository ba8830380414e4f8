import FluentKit
import Foundation
import SQLKit
import SkillCertTestSupport
import Testing
import Vapor
@testable import SkillCertPersistence

/// SQLite files on disk (the default installation), whatever engine the rest of the suite runs on.
@Suite("SQLite database files")
struct SQLiteFileTests {
    static func pageSize(_ db: any Database) async throws -> Int {
        let sql = try #require(db as? any SQLDatabase)
        return try #require(try await sql.raw("PRAGMA page_size").first()?.decode(column: "page_size", as: Int.self))
    }

    @Test("a new database file gets 16 KiB pages and WAL; a file made with 4 KiB pages still migrates, keeps its data and its pages")
    func pageSizes() async throws {
        // Both files and their WAL files in one folder, removed whole.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fresh = folder.appendingPathComponent("fresh.sqlite").path
        let older = folder.appendingPathComponent("older.sqlite").path

        // A file as an earlier version left it: SQLite's default 4 KiB pages, WAL, and a row of its own.
        let app = try await Application.make(.testing)
        do {
            app.databases.use(try DatabaseTarget.sqliteFile(path: older).configurationFactory(), as: DatabaseID(string: "older"), isDefault: true)
            let sql = try #require(app.db as? any SQLDatabase)
            try await sql.raw("PRAGMA page_size = 4096").run()
            try await sql.raw("PRAGMA journal_mode = WAL").run()
            try await sql.raw("CREATE TABLE kept (note TEXT)").run()
            try await sql.raw("INSERT INTO kept (note) VALUES ('示例')").run()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }

        try await TestApp.with(configure: { $0.database = .sqliteFile(path: fresh) }) { t in
            #expect(try await Self.pageSize(t.db) == DatabasePreparation.sqlitePageSize)
            let sql = try #require(t.db as? any SQLDatabase)
            let mode = try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
            #expect(mode == "wal")
        }
        try await TestApp.with(configure: { $0.database = .sqliteFile(path: older) }) { t in
            #expect(try await Self.pageSize(t.db) == 4096)
            let sql = try #require(t.db as? any SQLDatabase)
            #expect(try await sql.raw("SELECT note FROM kept").first()?.decode(column: "note", as: String.self) == "示例")
            // Every migration ran on it.
            let migrations = try await sql.raw("SELECT COUNT(*) AS n FROM _fluent_migrations").first()?.decode(column: "n", as: Int.self)
            #expect(migrations == SkillCertMigrations.all.count)
        }
    }
}
