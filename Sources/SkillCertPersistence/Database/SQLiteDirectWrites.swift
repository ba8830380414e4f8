import Foundation
import SkillCertCore
// SQLiteNIO's own copy of SQLite, as for SQLiteDirectReads: one SQLite library (and one set of file locks) per process.
import VaporCSQLite

/// Bulk writes to a SQLite file on a connection of their own, each statement prepared once and run row by row
/// (a registration import: four rows per applicant, 100,000 applicants). See ADR 0011.
///
/// Through Fluent's driver such a write is a multi-row INSERT per table and chunk: SQLite parses a statement of
/// thousands of parameters every time, and because one statement inserts many rows it copies every page it changes
/// to a statement journal, so that a constraint failing half-way can undo the statement alone. A single-row INSERT
/// needs no statement journal, and prepared once it is not parsed again: together a third of the writer's time.
///
/// The transaction starts with `BEGIN IMMEDIATE`, so this connection is the database's one writer until it commits;
/// other connections' writes wait, as they wait for a transaction on one of Fluent's connections. Commits are as
/// durable as Fluent's (WAL with SQLite's default `synchronous = FULL`), and foreign keys are enforced as Fluent's
/// connections enforce them.
public struct SQLiteDirectWrites: Sendable {
    let path: String

    /// Direct writes to a SQLite file; nil for an in-memory database or PostgreSQL, which write through Fluent.
    public init?(_ target: DatabaseTarget) {
        guard case .sqliteFile(let path) = target else { return nil }
        self.path = path
    }

    /// Runs `body` in one write transaction on a new connection: committed when `body` returns, rolled back when it
    /// throws (or the commit fails).
    func transaction<T: Sendable>(_ body: (SQLiteDirectConnection) async throws -> T) async throws -> T {
        let connection = try await SQLiteDirectConnection.open(path)
        do {
            try await connection.run { try $0.execute("BEGIN IMMEDIATE") }
            let result = try await body(connection)
            try await connection.run { try $0.execute("COMMIT") }
            await connection.close()
            return result
        } catch {
            _ = try? await connection.run { try $0.execute("ROLLBACK") }
            await connection.close()
            throw error
        }
    }

    /// Runs `body` with a read-only connection of its own. Opened inside a write `transaction`, it sees the database
    /// as it was before that transaction: the transaction holds the write lock, so nothing else commits meanwhile, and
    /// its own writes are not visible until it commits.
    func reading<T: Sendable>(_ body: (SQLiteDirectConnection) async throws -> T) async throws -> T {
        let connection = try await SQLiteDirectConnection.open(path, readOnly: true)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// A failed SQLite call on a direct connection.
struct SQLiteDirectError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
}

/// One connection (read-write, or read-only) with its prepared statements. Its calls run on a serial queue of its
/// own, never on Swift's cooperative threads (a statement blocks its thread), one after another.
final class SQLiteDirectConnection: @unchecked Sendable {
    /// Nil once closed.
    private var connection: SQLitePreparedConnection?
    private var handle: OpaquePointer? { connection?.handle }
    private let queue = DispatchQueue(label: "skillcert.sqlite-direct-writes")

    private init(handle: OpaquePointer) { connection = SQLitePreparedConnection(handle: handle) }

    static func open(_ path: String, readOnly: Bool = false) async throws -> SQLiteDirectConnection {
        var handle: OpaquePointer?
        // The file exists (migrated); a direct connection never creates one.
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw SQLiteDirectError(code: status, message: message)
        }
        let connection = SQLiteDirectConnection(handle: handle)
        // Wait up to a minute for another writer (another process importing or issuing) instead of failing at once.
        sqlite_nio_sqlite3_busy_timeout(handle, 60_000)
        try await connection.run {
            // As Fluent's SQLite connections: foreign keys enforced. A large transaction with SQLite's small default
            // page cache spills pages to the WAL again and again (see BulkInsert.beginLargeWrite).
            try $0.execute("PRAGMA foreign_keys = ON")
            try $0.execute("PRAGMA cache_size = -65536")
            try $0.execute("PRAGMA temp_store = MEMORY")
        }
        return connection
    }

    /// Runs `work` on the connection's queue (in the order of the calls), unless the connection is closed by then.
    func run<T: Sendable>(_ work: @escaping @Sendable (SQLiteDirectConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    guard self.connection != nil else { throw SQLiteDirectError(code: SQLITE_MISUSE, message: "the connection is closed") }
                    return try work(self)
                })
            }
        }
    }

    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection = nil  // finalizes the statements and closes the connection
                continuation.resume()
            }
        }
    }

    /// Runs statements without parameters or results.
    func execute(_ sql: String) throws {
        try check(sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil))
    }

    /// Inserts `rows` one at a time with one prepared statement.
    func insert(into table: String, columns: [String], rows: [[BulkInsert.Cell]]) throws {
        guard !rows.isEmpty else { return }
        let sql = "INSERT INTO \"\(table)\" (" + columns.map { "\"\($0)\"" }.joined(separator: ",") + ") VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
        let statement = try prepared(sql)
        for row in rows {
            try bind(row, to: statement)
            let status = sqlite_nio_sqlite3_step(statement)
            sqlite_nio_sqlite3_reset(statement)
            guard status == SQLITE_DONE else { throw error(status) }
        }
    }

    /// Runs a query with `binds` and calls `each` for every row while it is current.
    func query(_ sql: String, _ binds: [BulkInsert.Cell] = [], _ each: (Row) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { sqlite_nio_sqlite3_reset(statement) }
        try bind(binds, to: statement)
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw error(status) }
            try each(Row(statement: statement))
        }
    }

    typealias Row = SQLiteDirectRow

    private func prepared(_ sql: String) throws -> OpaquePointer {
        guard let statement = connection?.statement(sql) else { throw error(SQLITE_ERROR) }
        return statement
    }

    /// Binds cells as Fluent's SQLite driver stores them (see `BulkInsert.Cell.sqlite`).
    private func bind(_ cells: [BulkInsert.Cell], to statement: OpaquePointer) throws {
        for (offset, cell) in cells.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch cell {
            case .text(let value?): status = bindText(value, statement, index)
            case .uuid(let value?): status = bindText(value.text, statement, index)
            case .date(let value?): status = sqlite_nio_sqlite3_bind_double(statement, index, value.timeIntervalSince1970)
            case .bool(let value): status = sqlite_nio_sqlite3_bind_int64(statement, index, value ? 1 : 0)
            case .int(let value): status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
            case .text(nil), .uuid(nil), .date(nil): status = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            try check(status)
        }
    }

    private func bindText(_ value: String, _ statement: OpaquePointer, _ index: Int32) -> Int32 {
        var value = value
        return value.withUTF8 { bytes in
            // SQLITE_TRANSIENT: SQLite copies the text before this returns. An empty text still needs a pointer.
            guard let start = bytes.baseAddress else { return sqlite_nio_sqlite3_bind_text(statement, index, "", 0, SQLITE_TRANSIENT) }
            return sqlite_nio_sqlite3_bind_text(statement, index, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self),
                                                Int32(bytes.count), SQLITE_TRANSIENT)
        }
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw error(status) }
    }

    private func error(_ status: Int32) -> SQLiteDirectError {
        SQLiteDirectError(code: status, message: handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "")
    }
}

