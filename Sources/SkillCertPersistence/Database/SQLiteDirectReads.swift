import Foundation
// SQLiteNIO's own copy of SQLite, so these connections share the process's one SQLite library (and its file locks)
// with Fluent's. See ADR 0009.
import VaporCSQLite

/// Point reads answered on the calling thread, for the route anyone may call as often as the rate limit allows
/// (public certificate verification).
///
/// Fluent's SQLite driver runs every statement on NIO's thread pool: the request goes from Swift's cooperative pool
/// to an event loop, to a pool thread, back to the loop and back to the cooperative pool, and the statement is
/// prepared afresh each time. For one row read through a unique index those hand-offs cost more than SQLite's own
/// work. This keeps a few read-only connections to the same file, each with its statements prepared once, and reads
/// on the caller's thread. Every read starts a new read transaction and ends it before returning, so it sees every
/// commit made before it, as a read through Fluent does.
///
/// A read that cannot be answered at once — the file is locked for recovery, a connection cannot be opened, every
/// connection is in use — says `unavailable`, and the caller reads through Fluent as before.
public final class SQLiteDirectReads: @unchecked Sendable {
    public enum Outcome<Value> {
        case found(Value)
        case missing
        case unavailable
    }

    /// The current row of a read, by column position in the `SELECT`.
    public typealias Row = SQLiteDirectRow

    private typealias Connection = SQLitePreparedConnection

    private let path: String
    private let limit: Int
    private let lock = NSLock()
    private var idle: [Connection] = []
    private var opened = 0
    private var closed = false

    /// Direct reads of a SQLite file; nil for an in-memory database or PostgreSQL, which keep reading through Fluent.
    /// At most `connections` reads run at once; a further one is `unavailable`.
    public init?(_ target: DatabaseTarget, connections: Int = 2 * ProcessInfo.processInfo.activeProcessorCount) {
        guard case .sqliteFile(let path) = target else { return nil }
        self.path = path
        self.limit = max(1, connections)
    }

    /// The first row of `sql` with `text` bound to its one parameter, made into a value while the row is current.
    public func first<Value>(_ sql: String, text: String, _ decode: (Row) -> Value) -> Outcome<Value> {
        guard let connection = checkOut() else { return .unavailable }
        guard let statement = connection.statement(sql) else {
            checkIn(connection)
            return .unavailable
        }
        // The reset ends the read transaction: a connection handed back never holds an old snapshot.
        defer {
            sqlite_nio_sqlite3_reset(statement)
            checkIn(connection)
        }
        guard text.withCString({ sqlite_nio_sqlite3_bind_text(statement, 1, $0, -1, SQLITE_TRANSIENT) }) == SQLITE_OK else { return .unavailable }
        switch sqlite_nio_sqlite3_step(statement) {
        case SQLITE_ROW: return .found(decode(SQLiteDirectRow(statement: statement)))
        case SQLITE_DONE: return .missing
        default: return .unavailable
        }
    }

    /// Closes every idle connection; a read after this is `unavailable`. Called when the application shuts down.
    public func close() {
        lock.withLock {
            closed = true
            idle.removeAll()
        }
    }

    private func checkOut() -> Connection? {
        // An idle connection, or room to open one (counted before it is opened, outside the lock).
        let (connection, mayOpen): (Connection?, Bool) = lock.withLock {
            if closed { return (nil, false) }
            if let connection = idle.popLast() { return (connection, false) }
            guard opened < limit else { return (nil, false) }
            opened += 1
            return (nil, true)
        }
        if let connection { return connection }
        guard mayOpen else { return nil }
        var handle: OpaquePointer?
        guard sqlite_nio_sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
            if let handle { sqlite_nio_sqlite3_close(handle) }
            lock.withLock { opened -= 1 }
            return nil
        }
        return Connection(handle: handle)
    }

    private func checkIn(_ connection: Connection) {
        lock.withLock {
            if closed { opened -= 1 } else { idle.append(connection) }
        }
    }
}

/// The current row of a statement on a direct connection, by column position in its `SELECT`.
public struct SQLiteDirectRow {
    let statement: OpaquePointer

    /// The column as text; "" for NULL.
    public func text(_ column: Int32) -> String {
        guard let bytes = sqlite_nio_sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    public func integer(_ column: Int32) -> Int { Int(sqlite_nio_sqlite3_column_int64(statement, column)) }
}

/// A connection of SQLiteNIO's SQLite library with the statements prepared on it, each prepared once; used by one
/// thread at a time. Finalizes them and closes the connection when released. Shared by the direct reads and the
/// direct writes (`SQLiteDirectConnection`).
final class SQLitePreparedConnection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(handle: OpaquePointer) { self.handle = handle }

    /// The statement for `sql`, prepared on first use; nil when it does not prepare (see `sqlite3_errmsg`).
    func statement(_ sql: String) -> OpaquePointer? {
        if let prepared = statements[sql] { return prepared }
        var prepared: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil) == SQLITE_OK,
              let prepared else { return nil }
        statements[sql] = prepared
        return prepared
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close(handle)
    }
}

/// SQLite copies a text bound with this before the bind returns.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
