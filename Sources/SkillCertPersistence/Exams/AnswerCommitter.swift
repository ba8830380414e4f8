import FluentKit
import Foundation
import SQLKit
import SkillCertCore

/// Group commit for autosaves (and for attempts starting as their paper loads). Saves that arrive while a batch is being written wait for the next batch; each batch
/// is one transaction of four statements however many saves it holds, and every save in it is acknowledged only
/// after that transaction has committed (on disk: SQLite WAL with synchronous=FULL, PostgreSQL with
/// synchronous_commit on). One committer serves one database; the server keeps one for its lifetime.
public final class AnswerCommitter: Sendable {
    /// One answer change, checked already (the item is on the attempt's paper, the sizes are within bounds).
    public struct Save: Sendable {
        public var attemptID: UUID
        /// The hash of the client's token: a client whose token was replaced (a resume elsewhere) writes nothing.
        public var tokenHash: String?
        public var itemID: UUID
        public var json: String
        public var seq: Int
        public var at: Date
    }

    /// What became of one save.
    public enum Outcome: Equatable, Sendable {
        /// Decided, with the attempt's clock as this transaction saw it (for the client's display).
        case decided(AnswerSave, AttemptClock?)
        /// The attempt's time is up: nothing was written, and the attempt should be submitted.
        case expired
        /// The attempt is held by another client now.
        case revoked
    }

    /// Saves in one transaction at most (seven parameters each, within every database's limit).
    static let batchLimit = 400

    private let queue: BatchQueue<Save, Outcome>
    private let touches: BatchQueue<Touch, Void>

    public init(db: any Database) {
        queue = BatchQueue(limit: Self.batchLimit) { saves in try await BusyRetry.run { try await Self.write(saves, on: db) } }
        touches = BatchQueue(limit: 1000) { touches in try await BusyRetry.run { try await Self.touch(touches, on: db) } }
    }

    /// A client loading its paper: the attempt starts (when `starting`) and is seen at `at`.
    public struct Touch: Sendable {
        public var attemptID: UUID
        public var starting: Bool
        public var at: Date

        public init(attemptID: UUID, starting: Bool, at: Date) {
            self.attemptID = attemptID
            self.starting = starting
            self.at = at
        }
    }

    /// Records `touch` with others in one transaction (two statements), returning after its commit.
    public func touch(_ touch: Touch) async throws {
        try await touches.submit(touch)
    }

    /// Starts the attempts that are starting (only those not started: a submission is never undone) and marks all as
    /// seen.
    static func touch(_ touches: [Touch], on db: any Database) async throws -> [Void] {
        try await db.transaction { tx in
            let sql = try tx.sql()
            let at = touches.map(\.at).max() ?? Date()
            let starting = Array(Set(touches.filter(\.starting).map(\.attemptID)))
            if !starting.isEmpty {
                try await sql.raw("""
                    UPDATE \(ident: ExamAttempt.schema) SET status = \(bind: AttemptStatus.inProgress.rawValue), started_at = \(bind: at)
                    WHERE id IN (\(binds: starting)) AND status = \(bind: AttemptStatus.notStarted.rawValue)
                    """).run()
            }
            try await sql.raw("UPDATE \(ident: ExamAttempt.schema) SET last_seen_at = \(bind: at) WHERE id IN (\(binds: Array(Set(touches.map(\.attemptID)))))").run()
            return touches.map { _ in () }
        }
    }

    /// Queues `save` and returns once the batch holding it has committed.
    public func commit(_ save: Save) async throws -> Outcome {
        try await queue.submit(save)
    }

    /// Writes `saves` in one transaction and decides each, in order: a later save of the same answer in the same
    /// batch supersedes an earlier one, exactly as if they had been written one after the other.
    static func write(_ saves: [Save], on db: any Database) async throws -> [Outcome] {
        try await db.transaction { tx in
            let sql = try tx.sql()
            let now = saves.map(\.at).max() ?? Date()
            let attemptIDs = Array(Set(saves.map(\.attemptID)))
            // The attempt rows first: a submission that committed before closes the door; on PostgreSQL the update
            // also locks the rows, so a submission waits for this batch (and grades what it wrote) or this batch
            // sees the submission.
            var open: [UUID: (token: String?, clock: AttemptClock)] = [:]
            let rows = try await sql.raw("""
                UPDATE \(ident: ExamAttempt.schema) SET last_save_at = \(bind: now), last_seen_at = \(bind: now)
                WHERE id IN (\(binds: attemptIDs)) AND status = \(bind: AttemptStatus.inProgress.rawValue)
                RETURNING id, token_hash, scheduled_end, extension_seconds, paused_seconds, paused_at
                """).all()
            for row in rows {
                open[try row.decode(column: "id", as: UUID.self)] = (
                    try row.decode(column: "token_hash", as: String?.self),
                    AttemptClock(scheduledEnd: try row.decode(column: "scheduled_end", as: Date.self),
                                 extensionSeconds: try row.decode(column: "extension_seconds", as: Int.self),
                                 pausedSeconds: try row.decode(column: "paused_seconds", as: Double.self),
                                 pausedAt: try row.decode(column: "paused_at", as: Date?.self)))
            }
            var outcomes: [Outcome?] = Array(repeating: nil, count: saves.count)
            var live: [Int] = []
            for (i, save) in saves.enumerated() {
                guard let attempt = open[save.attemptID] else { outcomes[i] = .decided(.closed, nil); continue }
                if save.tokenHash == nil || attempt.token != save.tokenHash { outcomes[i] = .revoked; continue }
                if attempt.clock.isExpired(at: save.at) { outcomes[i] = .expired; continue }
                live.append(i)
            }
            guard !live.isEmpty else { return outcomes.map { $0 ?? .decided(.closed, nil) } }

            struct Key: Hashable { var attempt: UUID; var item: UUID }
            var current: [Key: Int] = [:]
            let keys = Array(Set(live.map { Key(attempt: saves[$0].attemptID, item: saves[$0].itemID) }))
            let pairs = keys.map { key -> SQLQueryString in "(\(bind: key.attempt), \(bind: key.item))" }.joined(separator: ", ")
            for row in try await sql.raw("SELECT attempt_id, item_id, seq FROM \(ident: ExamAnswer.schema) WHERE (attempt_id, item_id) IN (VALUES \(pairs))").all() {
                current[Key(attempt: try row.decode(column: "attempt_id", as: UUID.self), item: try row.decode(column: "item_id", as: UUID.self))] =
                    try row.decode(column: "seq", as: Int.self)
            }
            var newest: [Key: Int] = [:]  // the save that ends up stored for each answer
            for i in live {
                let key = Key(attempt: saves[i].attemptID, item: saves[i].itemID)
                let outcome = AnswerSave.decide(incoming: saves[i].seq, stored: current[key], status: .inProgress, expired: false)
                outcomes[i] = .decided(outcome, open[saves[i].attemptID]?.clock)
                if outcome == .stored {
                    current[key] = saves[i].seq
                    newest[key] = i
                }
            }
            if !newest.isEmpty {
                // Time-ordered ids: new answers go to the end of the primary-key index, not to a page anywhere in it.
                let values = newest.values.sorted().map { i -> SQLQueryString in
                    let s = saves[i]
                    return "(\(bind: UUID.timeOrdered(at: s.at)), \(bind: s.attemptID), \(bind: s.itemID), \(bind: s.json), \(bind: s.seq), \(bind: s.at), \(bind: false))"
                }.joined(separator: ", ")
                try await sql.raw("""
                    INSERT INTO \(ident: ExamAnswer.schema) (id, attempt_id, item_id, response, seq, saved_at, needs_review) VALUES \(values)
                    ON CONFLICT (attempt_id, item_id) DO UPDATE SET response = excluded.response, seq = excluded.seq, saved_at = excluded.saved_at
                    WHERE \(ident: ExamAnswer.schema).seq < excluded.seq
                    """).run()
            }
            return outcomes.map { $0 ?? .decided(.closed, nil) }
        }
    }
}
