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
        try await TestApp.withTemporaryFolder("pages") { folder in
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
}

@Suite("Direct reads of a SQLite file")
struct SQLiteDirectReadsTests {
    static let sql = "SELECT body, n FROM notes WHERE key = ?"

    static func note(_ reads: SQLiteDirectReads, _ key: String) -> SQLiteDirectReads.Outcome<String> {
        reads.first(sql, text: key) { row in "\(row.text(0)) \(row.integer(1))" }
    }

    @Test("a direct read finds a row, says when there is none, sees every commit made before it, and falls back when it cannot read")
    func reads() async throws {
        #expect(SQLiteDirectReads(.sqliteMemory(identifier: "direct")) == nil)
        #expect(SQLiteDirectReads(.postgres(url: "postgres://localhost/skillcert")) == nil)
        try await TestApp.withTemporaryFolder("direct") { folder in
            let path = folder.appendingPathComponent("direct.sqlite").path

            // No file yet: nothing to read, so the caller reads through Fluent.
            let early = try #require(SQLiteDirectReads(.sqliteFile(path: path)))
            guard case .unavailable = Self.note(early, "a") else { Issue.record("a read of a missing file was answered"); return }
            #expect(!FileManager.default.fileExists(atPath: path))

            try await TestApp.with(configure: { $0.database = .sqliteFile(path: path) }) { t in
                let sql = try #require(t.db as? any SQLDatabase)
                try await sql.raw("CREATE TABLE notes (key TEXT PRIMARY KEY, body TEXT NOT NULL, n INTEGER NOT NULL)").run()
                try await sql.raw("INSERT INTO notes (key, body, n) VALUES ('a', '示例证书', 3)").run()
                let reads = try #require(SQLiteDirectReads(.sqliteFile(path: path), connections: 1))
                guard case .found(let first) = Self.note(reads, "a") else { Issue.record("row a not found"); return }
                #expect(first == "示例证书 3")
                guard case .missing = Self.note(reads, "b") else { Issue.record("row b found"); return }

                // A commit through Fluent is seen by the next direct read on the same (kept) connection.
                try await sql.raw("UPDATE notes SET body = '已撤销', n = 4 WHERE key = 'a'").run()
                try await sql.raw("INSERT INTO notes (key, body, n) VALUES ('b', '第二本', 1)").run()
                guard case .found(let changed) = Self.note(reads, "a"), case .found(let second) = Self.note(reads, "b") else {
                    Issue.record("the changed rows were not found"); return
                }
                #expect(changed == "已撤销 4" && second == "第二本 1")

                // A statement that cannot be prepared is not an answer either; after closing, nothing is read.
                guard case .unavailable = reads.first("SELECT nothing FROM nowhere WHERE key = ?", text: "a", { $0.text(0) }) else {
                    Issue.record("a bad statement was answered"); return
                }
                reads.close()
                guard case .unavailable = Self.note(reads, "a") else { Issue.record("a closed reader answered"); return }
            }
        }
    }
}
