import Foundation
import SkillCertCore
import Synchronization
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
    ///
    /// Returns once the commit is durable: the WAL, with every page the transaction wrote, is on disk. Copying those
    /// pages into the database file (a checkpoint, which SQLite would otherwise run inside the commit, as the WAL has
    /// passed its 1,000 pages) follows on a connection of its own (`checkpointAside`); until it is done, readers find
    /// the pages in the WAL. A 100,000-row import writes 230 MB, and its checkpoint took 0.3 s of the import's 3.5.
    func transaction<T: Sendable>(_ body: (SQLiteDirectConnection) async throws -> T) async throws -> T {
        let connection = try await SQLiteDirectConnection.open(path)
        do {
            try await connection.run {
                try $0.execute("PRAGMA wal_autocheckpoint = 0")
                try $0.execute("BEGIN IMMEDIATE")
            }
            let result = try await body(connection)
            try await connection.run { try $0.execute("COMMIT") }
            await connection.close()
            checkpointAside()
            return result
        } catch {
            _ = try? await connection.run { try $0.execute("ROLLBACK") }
            await connection.close()
            throw error
        }
    }

    /// Checkpoints started after commits and not yet finished.
    private static let checkpoints = DispatchGroup()

    /// Copies the WAL's committed pages into the database file, on a connection of its own, off the committer's path.
    /// A passive checkpoint: it neither waits for nor blocks readers and writers; whatever it cannot copy now, the next
    /// checkpoint copies. A failure loses nothing (the pages stay in the WAL).
    private func checkpointAside() {
        Self.checkpoints.enter()
        Task.detached(priority: .utility) { [path] in
            defer { Self.checkpoints.leave() }
            guard let connection = try? await SQLiteDirectConnection.open(path) else { return }
            // A pragma, not sqlite3_wal_checkpoint_v2: a new connection learns that the file is in WAL mode only when
            // it first reads it, and the pragma reads the schema first.
            _ = try? await connection.run { try $0.execute("PRAGMA wal_checkpoint(PASSIVE)") }
            await connection.close()
        }
    }

    /// Returns when every checkpoint started so far is done: a command waits for this before it exits, so that it
    /// leaves the database file whole (a WAL left behind is still read correctly, and checkpointed by the next writer).
    public static func checkpointsFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            checkpoints.notify(queue: .global()) { continuation.resume() }
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
    /// The database file.
    private let path: String
    /// A flush of the WAL is running (`flushLogAside`).
    private let flushing = Atomic<Bool>(false)

    private init(handle: OpaquePointer, path: String) {
        connection = SQLitePreparedConnection(handle: handle)
        self.path = path
    }

    static func open(_ path: String, readOnly: Bool = false) async throws -> SQLiteDirectConnection {
        var handle: OpaquePointer?
        // The file exists (migrated); a direct connection never creates one.
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
            if let handle { sqlite_nio_sqlite3_close(handle) }
            throw SQLiteDirectError(code: status, message: message)
        }
        let connection = SQLiteDirectConnection(handle: handle, path: path)
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

    /// Starts writing the WAL's pages to disk in the background, unless a flush is running already. A large
    /// transaction's pages reach the WAL as SQLite's cache spills them, and stay in the kernel's cache until the commit's
    /// fsync, which then writes them all while everything waits; flushed as they come, the commit finds little left.
    /// (PostgreSQL's WAL writer does the same with `wal_writer_flush_after`.) Durability still rests on the commit's
    /// own fsync.
    func flushLogAside() {
        guard flushing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        DispatchQueue.global(qos: .utility).async {
            defer { self.flushing.store(false, ordering: .releasing) }
            let file = Glibc.open(self.path + "-wal", O_RDONLY | O_CLOEXEC)
            guard file >= 0 else { return }
            _ = fdatasync(file)
            Glibc.close(file)
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
        defer { sqlite_nio_sqlite3_clear_bindings(statement) }
        for row in rows {
            let status = try row.withUnsafeBufferPointer { cells in try withBound(cells, to: statement) { sqlite_nio_sqlite3_step(statement) } }
            sqlite_nio_sqlite3_reset(statement)
            guard status == SQLITE_DONE else { throw error(status) }
        }
    }

    /// Runs a query with `binds` and calls `each` for every row while it is current.
    func query(_ sql: String, _ binds: [BulkInsert.Cell] = [], _ each: (Row) throws -> Void) throws {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        try binds.withUnsafeBufferPointer { cells in try withBound(cells, to: statement) {
            while true {
                let status = sqlite_nio_sqlite3_step(statement)
                if status == SQLITE_DONE { return }
                guard status == SQLITE_ROW else { throw error(status) }
                try each(Row(statement: statement))
            }
        } }
    }

    typealias Row = SQLiteDirectRow

    private func prepared(_ sql: String) throws -> OpaquePointer {
        guard let statement = connection?.statement(sql) else { throw error(SQLITE_ERROR) }
        return statement
    }

    /// Binds `cells` to the statement's parameters, as Fluent's SQLite driver stores them (see `BulkInsert.Cell.sqlite`),
    /// and runs `body` while they are bound. Texts are bound where they lie (SQLITE_STATIC): SQLite does not copy
    /// them, which for an import's hundreds of thousands of rows is a copy and an allocation per text saved. So the
    /// binding nests, cell by cell, around `body`, inside which every text is alive; the caller clears the bindings
    /// before any of them could be read again.
    private func withBound<R>(_ cells: UnsafeBufferPointer<BulkInsert.Cell>, from first: Int = 0, to statement: OpaquePointer,
                              _ body: () throws -> R) throws -> R {
        guard first < cells.count else { return try body() }
        let index = Int32(first + 1)
        func next(_ status: Int32) throws -> R {
            try check(status)
            return try withBound(cells, from: first + 1, to: statement, body)
        }
        switch cells[first] {
        case .text(var value?): return try value.withUTF8 { try next(bindText($0, statement, index)) }
        case .uuid(let value?): return try value.withText { try next(bindText($0, statement, index)) }
        case .date(let value?): return try next(sqlite_nio_sqlite3_bind_double(statement, index, value.timeIntervalSince1970))
        case .bool(let value): return try next(sqlite_nio_sqlite3_bind_int64(statement, index, value ? 1 : 0))
        case .int(let value): return try next(sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value)))
        case .text(nil), .uuid(nil), .date(nil): return try next(sqlite_nio_sqlite3_bind_null(statement, index))
        }
    }

    /// Binds the bytes in place (SQLITE_STATIC, a nil destructor); see `withBound`.
    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, _ statement: OpaquePointer, _ index: Int32) -> Int32 {
        // An empty text still needs a pointer; SQLite copies none of it.
        guard let start = bytes.baseAddress else { return sqlite_nio_sqlite3_bind_text(statement, index, "", 0, SQLITE_TRANSIENT) }
        return sqlite_nio_sqlite3_bind_text(statement, index, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw error(status) }
    }

    private func error(_ status: Int32) -> SQLiteDirectError {
        SQLiteDirectError(code: status, message: handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "")
    }
}

