import FluentSQLiteDriver
import Foundation

/// SQLite in WAL mode refuses (SQLITE_BUSY, or BUSY_SNAPSHOT) a transaction that read first and then wants to write
/// after another connection has written, without waiting: the reads it made are stale. The transaction has been
/// rolled back by then, so running the whole of it again is safe — for work that only touches the database.
/// Candidates signing in and saving answers at once meet this; PostgreSQL never raises it.
public enum BusyRetry {
    public static func run<T>(_ work: () async throws -> T) async throws -> T {
        var delay = 1
        for _ in 0..<40 {
            do {
                return try await work()
            } catch let error as SQLiteError where [.busy, .busyInSnapshot].contains(error.reason) {
                try await Task.sleep(for: .milliseconds(delay + Int.random(in: 0...delay)))
                delay = min(delay * 2, 40)
            }
        }
        return try await work()
    }
}
