import FluentKit
import Foundation
import SkillCertCore

/// The audit side of dossier exports: where in the chain a dossier stands, and the record that it was exported.
public enum ArchiveStore {
    /// The audit entries a plan's dossier covers: from the plan's first entry (its creation) to the chain's tail at
    /// export, whose hash commits to every entry before it. Nil when the plan has no entry.
    public static func auditRange(planID: UUID, on db: any Database) async throws -> (first: Int, last: Int, lastHash: String)? {
        guard let first = try await AuditEntry.query(on: db).filter(\.$targetType == "plan").filter(\.$targetID == planID.uuidString)
                .sort(\.$id, .ascending).first()?.id,
              let tail = try await AuditEntry.query(on: db).sort(\.$id, .descending).first(), let last = tail.id else { return nil }
        return (first, last, tail.hash)
    }

    /// Records that a plan's dossier left the system: who, the archive's SHA-256, size and file count.
    public static func recordExport(planID: UUID, sha256: String, bytes: Int, files: Int, actor: AuditActor, on db: any Database,
                                    time: any TimeSource) async throws {
        try await AuditLog.record(AuditEvent(action: "archive.export", targetType: "plan", targetID: planID.uuidString,
                                             details: "dossier \(files) files, \(bytes) bytes, sha256 \(sha256)"),
                                  on: db, actor: actor, time: time)
    }
}
