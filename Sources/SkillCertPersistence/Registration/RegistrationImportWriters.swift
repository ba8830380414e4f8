import FluentKit
import Foundation
import SQLKit
import SkillCertCore

/// Where an import's rows go: the lookups and writes of its one transaction. One chunk at a time, in file order.
protocol ImportWriter: Sendable {
    /// The rows that may be written, and a problem for each row whose person already applied to the plan or whose
    /// mobile number belongs to someone else (see `RegistrationImport.sortOut`).
    func lookUp(_ prepared: [RegistrationImport.Prepared], planID: UUID) async throws -> (kept: [RegistrationImport.Prepared], errors: [RegistrationImport.RowError])
    func insert(_ rows: RegistrationImport.Rows) async throws
    /// Applications to the plan that hold a place (neither rejected nor withdrawn), this import's included.
    func activeApplications(planID: UUID) async throws -> Int
    /// Records the batch and its audit entry.
    func finish(_ batch: RegistrationBatch, event: AuditEvent) async throws
    /// Lookups run on a connection of their own, so a chunk's lookup may run while earlier chunks are written. (Its
    /// connection sees the database as it was before the import: a row of this file matching an earlier row of it
    /// is already refused as a duplicate within the file, so nothing the import writes could change a lookup.)
    var looksUpAside: Bool { get }
}

extension RegistrationImport {
    /// Through Fluent, on the audited transaction's connection (PostgreSQL, in-memory SQLite): a query per chunk for
    /// each lookup, and multi-row INSERTs.
    struct FluentWriter: ImportWriter {
        let audit: AuditWriter
        var looksUpAside: Bool { false }

        func lookUp(_ prepared: [Prepared], planID: UUID) async throws -> (kept: [Prepared], errors: [RowError]) {
            guard !prepared.isEmpty else { return ([], []) }
            // Only the columns needed, without building models: this runs once per chunk on the writer's connection.
            let sql = try audit.db.sql()
            var idOwners: [String: UUID] = [:]
            for row in try await sql.select().column("id_number_hash").column("user_id").from(CandidateProfile.schema)
                .where("id_number_hash", .in, prepared.map(\.idHash)).all() {
                let hash = try row.decode(column: "id_number_hash", as: String.self)
                if idOwners[hash] == nil { idOwners[hash] = try row.decode(column: "user_id", as: UUID.self) }
            }
            var mobileOwners: [String: String] = [:]
            for row in try await sql.select().column("phone_hash").column("id_number_hash").from(CandidateProfile.schema)
                .where("phone_hash", .in, prepared.map(\.mobileHash)).all() {
                let hash = try row.decode(column: "phone_hash", as: String.self)
                if mobileOwners[hash] == nil { mobileOwners[hash] = try row.decode(column: "id_number_hash", as: String?.self) ?? "" }
            }
            var active: [UUID] = []
            if !idOwners.isEmpty {
                active = try await StoredApplication.query(on: audit.db).filter(\.$planID == planID).filter(\.$candidateID ~~ Array(idOwners.values))
                    .filter(\.$status !~ inactiveStatuses).all(\.$candidateID)
            }
            return sortOut(prepared, idOwners: idOwners, mobileOwners: mobileOwners, applied: Set(active))
        }

        func insert(_ rows: Rows) async throws {
            try await BulkInsert.rows(audit.db, User.schema, rows.users, columns: Rows.userColumns)
            try await BulkInsert.rows(audit.db, UserRoleAssignment.schema, rows.roles, columns: Rows.roleColumns)
            try await BulkInsert.rows(audit.db, CandidateProfile.schema, rows.profiles, columns: Rows.profileColumns)
            try await BulkInsert.rows(audit.db, StoredApplication.schema, rows.applications, columns: Rows.applicationColumns)
        }

        func activeApplications(planID: UUID) async throws -> Int {
            try await StoredApplication.query(on: audit.db).filter(\.$planID == planID).filter(\.$status !~ inactiveStatuses).count()
        }

        func finish(_ batch: RegistrationBatch, event: AuditEvent) async throws {
            try await batch.create(on: audit.db)
            try await audit.record(event)
        }
    }

    /// On a SQLite file, on connections of the import's own (`SQLiteDirectWrites`): each row a prepared single-row
    /// INSERT on the transaction's connection; each lookup a prepared point query per row through a unique index, on
    /// a read-only connection (one read transaction per chunk) while the writer writes earlier chunks.
    struct DirectWriter: ImportWriter {
        let connection: SQLiteDirectConnection
        let reader: SQLiteDirectConnection
        let actor: AuditActor
        let time: any TimeSource
        var looksUpAside: Bool { true }

        /// The condition on an application that holds a place in its plan, and its binds.
        static let holdsPlace = "status NOT IN (" + inactiveStatuses.map { _ in "?" }.joined(separator: ",") + ")"
        static let holdsPlaceBinds = inactiveStatuses.map { BulkInsert.Cell.text($0) }

        func lookUp(_ prepared: [Prepared], planID: UUID) async throws -> (kept: [Prepared], errors: [RowError]) {
            guard !prepared.isEmpty else { return ([], []) }
            return try await reader.run { c in
                try c.execute("BEGIN")
                defer { try? c.execute("COMMIT") }
                var idOwners: [String: UUID] = [:]
                var mobileOwners: [String: String] = [:]
                var applied: Set<UUID> = []
                let activeSQL = "SELECT 1 FROM \"\(StoredApplication.schema)\" WHERE plan_id = ? AND candidate_id = ? AND \(Self.holdsPlace) LIMIT 1"
                for row in prepared {
                    try c.query("SELECT user_id FROM \"\(CandidateProfile.schema)\" WHERE id_number_hash = ?", [.text(row.idHash)]) {
                        if let user = UUID(uuidString: $0.text(0)) { idOwners[row.idHash] = user }
                    }
                    if let user = idOwners[row.idHash] {
                        try c.query(activeSQL, [.uuid(planID), .uuid(user)] + Self.holdsPlaceBinds) { _ in applied.insert(user) }
                    } else {
                        try c.query("SELECT id_number_hash FROM \"\(CandidateProfile.schema)\" WHERE phone_hash = ?", [.text(row.mobileHash)]) {
                            mobileOwners[row.mobileHash] = $0.text(0)  // "" for none
                        }
                    }
                }
                return sortOut(prepared, idOwners: idOwners, mobileOwners: mobileOwners, applied: applied)
            }
        }

        func insert(_ rows: Rows) async throws {
            try await connection.run { c in
                try c.insert(into: User.schema, columns: Rows.userColumns, rows: rows.users)
                try c.insert(into: UserRoleAssignment.schema, columns: Rows.roleColumns, rows: rows.roles)
                try c.insert(into: CandidateProfile.schema, columns: Rows.profileColumns, rows: rows.profiles)
                try c.insert(into: StoredApplication.schema, columns: Rows.applicationColumns, rows: rows.applications)
                c.flushLogAside()
            }
        }

        func activeApplications(planID: UUID) async throws -> Int {
            try await connection.run { c in
                var count = 0
                try c.query("SELECT COUNT(*) FROM \"\(StoredApplication.schema)\" WHERE plan_id = ? AND \(Self.holdsPlace)",
                            [.uuid(planID)] + Self.holdsPlaceBinds) { count = $0.integer(0) }
                return count
            }
        }

        func finish(_ batch: RegistrationBatch, event: AuditEvent) async throws {
            let cells: [BulkInsert.Cell] = [.uuid(batch.id), .uuid(batch.planID), .text(batch.fileName), .text(batch.fileSHA256), .int(batch.rows),
                                            .uuid(batch.importedBy), .date(batch.createdAt)]
            let (actor, at) = (actor, time.now())
            try await connection.run { c in
                try c.insert(into: RegistrationBatch.schema, columns: ["id", "plan_id", "file_name", "file_sha256", "rows", "imported_by", "created_at"],
                             rows: [cells])
                _ = try c.appendAudit([event], actor: actor, at: at)
            }
        }
    }
}
