import FluentKit
import FluentSQLiteDriver
import Foundation
import SQLKit
import SkillCertCore

/// Queues items and hands them to `write` in batches: items that arrive while a batch is being written wait for the
/// next one, so a busy server writes fewer, larger transactions (one commit — one flush to disk — each) and an idle
/// one writes each item at once. Every caller gets its own item's outcome after its batch's `write` has returned.
final class BatchQueue<Item: Sendable, Outcome: Sendable>: @unchecked Sendable {  // `pending` and `writing` only under `lock`
    private let lock = NSLock()
    private var pending: [(Item, CheckedContinuation<Outcome, any Error>)] = []
    private var writing = false
    private let limit: Int
    private let write: @Sendable ([Item]) async throws -> [Outcome]

    /// `write` gets at most `limit` items and returns one outcome per item, in order.
    init(limit: Int, write: @escaping @Sendable ([Item]) async throws -> [Outcome]) {
        self.limit = limit
        self.write = write
    }

    func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock { () -> Bool in
                pending.append((item, continuation))
                guard !writing else { return false }
                writing = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = lock.withLock { () -> [(Item, CheckedContinuation<Outcome, any Error>)] in
                let taken = Array(pending.prefix(limit))
                pending.removeFirst(taken.count)
                if taken.isEmpty { writing = false }
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                let outcomes = try await write(batch.map(\.0))
                for (i, waiter) in batch.enumerated() { waiter.1.resume(returning: outcomes[i]) }
            } catch {
                for waiter in batch { waiter.1.resume(throwing: error) }
            }
        }
    }
}

/// Group commit for audited changes: units of work that would each be an `AuditLog.transaction` run one after the
/// other inside one shared transaction, each in its own savepoint — a unit that throws is undone alone and its
/// caller gets the error — and all of them are acknowledged after the one commit. The audit chain stays one chain:
/// the batch holds the chain's gate, and each unit appends after the one before it.
public final class GroupCommit: Sendable {
    struct Unit: Sendable {
        var actor: AuditActor
        var time: any TimeSource
        var work: @Sendable (AuditWriter) async throws -> any Sendable
    }

    private let queue: BatchQueue<Unit, Result<any Sendable, any Error>>

    public init(db: any Database, limit: Int = 200) {
        queue = BatchQueue(limit: limit) { units in
            try await AuditLog.chainGate.run {
                try await BusyRetry.run { try await Self.write(units, on: db) }
            }
        }
    }

    /// Runs `work` as `AuditLog.transaction` would, returning after the commit that made it durable.
    public func transaction<T: Sendable>(actor: AuditActor, time: any TimeSource,
                                         _ work: @escaping @Sendable (AuditWriter) async throws -> T) async throws -> T {
        let outcome = try await queue.submit(Unit(actor: actor, time: time, work: { try await work($0) }))
        switch outcome {
        case .success(let value): return value as! T  // the unit above returns a T
        case .failure(let error): throw error
        }
    }

    /// Runs `work` through `commits` when there is one, else as its own audited transaction.
    public static func transaction<T: Sendable>(_ commits: GroupCommit?, on db: any Database, actor: AuditActor, time: any TimeSource,
                                                _ work: @escaping @Sendable (AuditWriter) async throws -> T) async throws -> T {
        if let commits { return try await commits.transaction(actor: actor, time: time, work) }
        return try await BusyRetry.run { try await AuditLog.transaction(on: db, actor: actor, time: time, work) }
    }

    static func write(_ units: [Unit], on db: any Database) async throws -> [Result<any Sendable, any Error>] {
        try await db.transaction { tx in
            let sql = try tx.sql()
            var outcomes: [Result<any Sendable, any Error>] = []
            try await AuditLog.lockChain(on: tx)  // once for every unit (PostgreSQL; nothing on SQLite)
            for (i, unit) in units.enumerated() {
                let savepoint = "unit\(i)"
                try await sql.raw("SAVEPOINT \(unsafeRaw: savepoint)").run()
                do {
                    let value = try await unit.work(AuditWriter(db: tx, actor: unit.actor, time: unit.time, chainLocked: true))
                    try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                    outcomes.append(.success(value))
                } catch let busy as SQLiteError where [.busy, .busyInSnapshot].contains(busy.reason) {
                    throw busy  // the whole transaction is lost: the batch runs again
                } catch {
                    try await sql.raw("ROLLBACK TO SAVEPOINT \(unsafeRaw: savepoint)").run()
                    try await sql.raw("RELEASE SAVEPOINT \(unsafeRaw: savepoint)").run()
                    outcomes.append(.failure(error))
                }
            }
            return outcomes
        }
    }
}
