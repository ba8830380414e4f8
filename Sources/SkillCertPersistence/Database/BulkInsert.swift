import FluentKit
import Foundation
import SQLKit
import FluentSQLiteDriver

/// Plain multi-row INSERTs for bulk writes (a registration import, a batch of certificates, their audit entries):
/// building thousands of Fluent models costs more than the database's own work.
enum BulkInsert {
    /// One value to insert, typed as the column is, so it binds natively on SQLite and on PostgreSQL.
    enum Cell: Sendable {
        case text(String?), uuid(UUID?), date(Date?), bool(Bool), int(Int)

        /// As Fluent's SQLite driver stores it: UUIDs as text, dates as seconds since 1970, booleans as 0/1.
        var sqlite: SQLiteData {
            switch self {
            case .text(let v): v.map { .text($0) } ?? .null
            case .uuid(let v): v.map { .text($0.text) } ?? .null
            case .date(let v): v.map { .float($0.timeIntervalSince1970) } ?? .null
            case .bool(let v): .integer(v ? 1 : 0)
            case .int(let v): .integer(v)
            }
        }

        var encodable: any Encodable & Sendable {
            switch self {
            case .text(let v): v
            case .uuid(let v): v
            case .date(let v): v
            case .bool(let v): v
            case .int(let v): v
            }
        }
    }

    static func rows(_ db: any Database, _ table: String, _ rows: [[Cell]], columns: [String]) async throws {
        guard !rows.isEmpty else { return }
        // Within SQLite's 32,766 bound parameters per statement.
        let perStatement = max(1, 30_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let part = rows[start..<min(start + perStatement, rows.count)]
            if let sqlite = db as? any SQLiteDatabase {
                // SQLite directly: SQLKit would encode every value through Codable and serialise the statement again.
                let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
                let sql = "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES "
                    + Array(repeating: tuple, count: part.count).joined(separator: ",")
                var binds: [SQLiteData] = []
                binds.reserveCapacity(part.count * columns.count)
                for row in part { for cell in row { binds.append(cell.sqlite) } }
                _ = try await sqlite.query(sql, binds)
            } else {
                var insert = try db.sql().insert(into: table).columns(columns)
                for row in part { insert = insert.values(row.map(\.encodable)) }
                try await insert.run()
            }
        }
    }

    /// SQLite settings for one large transaction on this connection: a large transaction spills SQLite's small
    /// default page cache to the WAL again and again, and each multi-row INSERT copies every page it touches to a
    /// statement journal, a temporary file by default. No-op on PostgreSQL.
    static func beginLargeWrite(_ db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" else { return }
        try await sql.raw("PRAGMA cache_size = -65536").run()
        try await sql.raw("PRAGMA temp_store = MEMORY").run()
    }

    /// SQLite's defaults again, for the next user of this pooled connection.
    static func endLargeWrite(_ db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" else { return }
        try await sql.raw("PRAGMA cache_size = -2000").run()
        try await sql.raw("PRAGMA temp_store = DEFAULT").run()
    }
}
