import FluentKit
import Foundation
import SkillCertCore
import SQLKit

/// Who did something: a signed-in user, or the system / command line.
public struct AuditActor: Sendable, Equatable {
    public var id: UUID?
    public var name: String

    public init(id: UUID?, name: String) {
        self.id = id
        self.name = name
    }

    /// Work done by the product itself or by an operator at the command line.
    public static func system(_ name: String = "system") -> AuditActor { AuditActor(id: nil, name: name) }
}

/// One change to record.
public struct AuditEvent: Sendable {
    public var action: String
    public var targetType: String
    public var targetID: String?
    public var reason: String?
    public var beforeDigest: String?
    public var afterDigest: String?
    public var details: String

    public init<B: Encodable, A: Encodable>(action: String, targetType: String, targetID: String?, reason: String? = nil,
                                            before: B?, after: A?, details: String = "") {
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.reason = reason
        if let before { self.beforeDigest = StateDigest.of(before) }
        if let after { self.afterDigest = StateDigest.of(after) }
        self.details = details
    }

    /// An event with no state (a sign-in, a read of confidential content).
    public init(action: String, targetType: String, targetID: String?, reason: String? = nil, details: String = "") {
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.reason = reason
        self.details = details
    }
}

/// Writes audit entries inside the transaction of the change they describe. Obtain one from
/// `AuditLog.transaction`; its `db` is that transaction.
public struct AuditWriter: Sendable {
    public let db: any Database
    public let actor: AuditActor
    public let time: any TimeSource
    /// The transaction already holds the chain's lock (a group commit takes it once for all its units).
    var chainLocked = false

    /// Appends one entry to the chain.
    @discardableResult
    public func record(_ event: AuditEvent) async throws -> AuditRecord {
        try await record([event])[0]
    }

    /// Appends entries to the chain in order, in one multi-row insert (a batch of certificates has one each).
    @discardableResult
    public func record(_ events: [AuditEvent]) async throws -> [AuditRecord] {
        guard !events.isEmpty else { return [] }
        if !chainLocked { try await AuditLog.lockChain(on: db) }
        // The chain's tail and the new entries in plain SQL: every audited change passes here (Fluent's model
        // reflection cost more than the rest of a sign-in).
        let sql = try db.sql()
        let last = try await sql.raw("SELECT id, hash FROM \(ident: AuditEntry.schema) ORDER BY id DESC LIMIT 1").first()
        let tail = try last.map { (sequence: try $0.decode(column: "id", as: Int.self), hash: try $0.decode(column: "hash", as: String.self)) }
        let records = Self.chain(events, after: tail, actor: actor, at: time.now())
        try await BulkInsert.rows(db, AuditEntry.schema, records.map(Self.cells), columns: Self.columns)
        return records
    }

    /// The entries for `events`, in order, chained after the chain's last entry (`tail`; nil for an empty chain).
    static func chain(_ events: [AuditEvent], after tail: (sequence: Int, hash: String)?, actor: AuditActor, at date: Date) -> [AuditRecord] {
        var sequence = tail?.sequence ?? 0
        var previous = tail?.hash ?? AuditRecord.genesisHash
        let at = AuditRecord.timestamp(date)
        let actorID = actor.id?.uuidString
        var records: [AuditRecord] = []
        records.reserveCapacity(events.count)
        for event in events {
            sequence += 1
            let hash = AuditRecord.computeHash(
                sequence: sequence, occurredAt: at, actorID: actorID, actorName: actor.name, action: event.action,
                targetType: event.targetType, targetID: event.targetID, reason: event.reason,
                beforeDigest: event.beforeDigest, afterDigest: event.afterDigest, details: event.details,
                previousHash: previous)
            records.append(AuditRecord(sequence: sequence, occurredAt: at, actorID: actorID, actorName: actor.name,
                                       action: event.action, targetType: event.targetType, targetID: event.targetID,
                                       reason: event.reason, beforeDigest: event.beforeDigest,
                                       afterDigest: event.afterDigest, details: event.details, previousHash: previous,
                                       hash: hash))
            previous = hash
        }
        return records
    }

    /// The audit table's columns, in the order of `cells`.
    static let columns = ["id", "occurred_at", "actor_id", "actor_name", "action", "target_type", "target_id", "reason", "before_digest",
                          "after_digest", "details", "prev_hash", "hash"]

    static func cells(_ r: AuditRecord) -> [BulkInsert.Cell] {
        [.int(r.sequence), .text(r.occurredAt), .text(r.actorID), .text(r.actorName), .text(r.action), .text(r.targetType), .text(r.targetID),
         .text(r.reason), .text(r.beforeDigest), .text(r.afterDigest), .text(r.details), .text(r.previousHash), .text(r.hash)]
    }
}

extension SQLiteDirectConnection {
    /// Appends entries to the chain on this connection, inside its write transaction (which holds SQLite's write
    /// lock, so the tail cannot move). The caller holds `AuditLog.chainGate`, as an audited transaction does.
    func appendAudit(_ events: [AuditEvent], actor: AuditActor, at date: Date) throws -> [AuditRecord] {
        var tail: (sequence: Int, hash: String)?
        try query("SELECT id, hash FROM \"\(AuditEntry.schema)\" ORDER BY id DESC LIMIT 1") { tail = ($0.integer(0), $0.text(1)) }
        let records = AuditWriter.chain(events, after: tail, actor: actor, at: date)
        try insert(into: AuditEntry.schema, columns: AuditWriter.columns, rows: records.map(AuditWriter.cells))
        return records
    }
}

/// The one way every feature writes to the audit trail.
public enum AuditLog {
    /// Runs `work` in one transaction with an `AuditWriter`: the change and its audit entries commit together or
    /// not at all. Audited transactions of this process run one at a time (SQLite has one writer anyway, and the
    /// chain needs a single tail); on PostgreSQL an advisory lock, taken first, also orders them across processes.
    public static func transaction<T: Sendable>(
        on db: any Database, actor: AuditActor, time: any TimeSource,
        _ work: @escaping @Sendable (AuditWriter) async throws -> T
    ) async throws -> T {
        try await chainGate.run {
            try await db.transaction { tx in
                // The chain's lock first, before any row lock the work takes: every audited transaction (and every
                // group commit) locks in the same order, so processes sharing a PostgreSQL database cannot deadlock,
                // and what the work reads cannot change under it in another process.
                try await lockChain(on: tx)
                return try await work(AuditWriter(db: tx, actor: actor, time: time, chainLocked: true))
            }
        }
    }

    /// Records a single event on its own.
    @discardableResult
    public static func record(_ event: AuditEvent, on db: any Database, actor: AuditActor,
                              time: any TimeSource) async throws -> AuditRecord {
        try await transaction(on: db, actor: actor, time: time) { try await $0.record(event) }
    }

    /// Verifies the whole chain page by page; returns the number of entries checked or the first break.
    public static func verify(on db: any Database, pageSize: Int = 5000,
                              progress: (@Sendable (Int) -> Void)? = nil) async throws -> Result<Int, AuditChainVerifier.Break> {
        var state = AuditChainVerifier.State()
        var after = 0
        var checked = 0
        while true {
            let page = try await AuditEntry.query(on: db).filter(\.$id > after).sort(\.$id, .ascending)
                .limit(pageSize).all()
            if page.isEmpty { return .success(checked) }
            for entry in page {
                if let broken = state.check(entry.record) { return .failure(broken) }
                checked += 1
            }
            after = page.last?.id ?? after
            progress?(checked)
        }
    }

    /// Takes the transaction-scoped lock that orders appends across processes on PostgreSQL.
    static func lockChain(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: advisoryLockKey))").run()
    }

    /// An arbitrary constant naming the audit chain's advisory lock.
    static let advisoryLockKey = 0x5343_4155  // "SCAU"

    static let chainGate = SerialGate()
}

/// Runs async work one at a time, in arrival order.
public actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await work()
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
