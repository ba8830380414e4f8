import Fluent
import SkillCertPersistence
import Vapor

extension DatabaseID {
    /// The read-only replica public certificate lookups use when `DATABASE_READ_URL` names one (issue #11).
    static let publicReads = DatabaseID(string: "public-reads")
}

/// Public certificate lookups (anyone may call them, as often as the rate limit allows) can read from a PostgreSQL
/// streaming replica, so a burst of verifications does not compete with the exam's autosaves on the primary.
enum PublicReads {
    /// Registers the replica as a second, non-default database when one is configured.
    static func configure(_ app: Application, config: AppConfig) throws {
        guard let replica = config.publicReadDatabase else { return }
        app.databases.use(try replica.configurationFactory(), as: .publicReads, isDefault: false)
        app.logger.notice("public certificate lookups read from \(replica.redacted)")
    }
}

extension Request {
    /// Runs a read-only public lookup on the replica when one is configured, else on the primary. A replica that
    /// fails (down, restarting) is not the visitor's problem: the lookup is read-only, so it is simply run again on
    /// the primary.
    func publicRead<T: Sendable>(_ body: (any Database) async throws -> T) async throws -> T {
        guard config.publicReadDatabase != nil else { return try await body(loopDB) }
        do {
            return try await body(db(.publicReads))
        } catch {
            logger.warning("public read replica failed; reading the primary", metadata: ["error": .string(String(describing: error))])
            return try await body(loopDB)
        }
    }
}

/// Closes the direct SQLite read connections when the application stops.
struct DirectReadsShutdown: LifecycleHandler {
    let reads: SQLiteDirectReads
    func shutdown(_ application: Application) { reads.close() }
}

/// Waits, when the application stops, for the checkpoints that direct writes started after their commits (see
/// `SQLiteDirectWrites.transaction`), so that a command leaves the database file whole.
struct DirectWritesShutdown: LifecycleHandler {
    func shutdownAsync(_ application: Application) async { await SQLiteDirectWrites.checkpointsFinished() }
}
