import FluentKit
import Foundation
import SkillCertCore

/// Occupational standards: import, export, the draft → in use → superseded life cycle, and look-ups.
public enum StandardStore {
    /// Editions matching a search text (code or name) and status, by occupation code then edition (newest first).
    public static func list(search: String? = nil, status: StoredStandard.Status? = nil,
                            on db: any Database) async throws -> [StoredStandard] {
        let query = StoredStandard.query(on: db)
        if let s = search?.trimmingCharacters(in: .whitespaces), !s.isEmpty {
            query.group(.or) { $0.filter(\.$occupationCode ~~ s).filter(\.$occupationName ~~ s) }
        }
        if let status { query.filter(\.$status == status.rawValue) }
        return try await query.sort(\.$occupationCode).sort(\.$edition, .descending).all()
    }

    public static func find(id: UUID, on db: any Database) async throws -> StoredStandard {
        guard let row = try await StoredStandard.find(id, on: db) else { throw DomainError.notFound(what: "standard") }
        return row
    }

    /// The edition for an eligibility check, with errors that name the field (`occupationCode`, `edition`).
    public static func find(code: String, edition: String, on db: any Database) async throws -> StoredStandard {
        let editions = try await StoredStandard.query(on: db).filter(\.$occupationCode == code).all()
        guard !editions.isEmpty else {
            throw ValidationFailure([FieldError(code: "unknown_occupation", field: "occupationCode",
                                                zh: "没有职业编码为 \(code) 的标准", en: "no standard for occupation \(code)")])
        }
        guard let row = editions.first(where: { $0.edition == edition }) else {
            let known = editions.map(\.edition).sorted().joined(separator: ", ")
            throw ValidationFailure([FieldError(code: "unknown_edition", field: "edition",
                                                zh: "职业 \(code) 没有 \(edition) 版标准（现有：\(known)）",
                                                en: "occupation \(code) has no edition \(edition) (known: \(known))")])
        }
        return row
    }

    /// Imports a document. A new (code, edition) is created with `status`; an existing draft is replaced when
    /// `replaceDraft`; an edition in use or superseded is never overwritten.
    @discardableResult
    public static func importStandard(_ standard: OccupationalStandard, status: StoredStandard.Status, replaceDraft: Bool,
                                      reason: String?, on db: any Database, actor: AuditActor,
                                      time: any TimeSource) async throws -> StoredStandard {
        let problems = StandardValidator.problems(standard)
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let existing = try await StoredStandard.query(on: audit.db).filter(\.$occupationCode == standard.occupation.code)
                .filter(\.$edition == standard.edition.edition).first()
            if let existing, !(replaceDraft && existing.statusValue == .draft) {
                throw DomainError.conflict(
                    code: existing.statusValue == .draft ? "edition_exists" : "edition_frozen",
                    zh: "\(standard.occupation.code) \(standard.edition.edition) 版已存在（\(existing.statusValue.nameZH)）\(existing.statusValue == .draft ? "" : "，使用中的版本不能修改，只能由新版本替代")",
                    en: "\(standard.occupation.code) edition \(standard.edition.edition) already exists (\(existing.statusValue.rawValue))")
            }
            let before = try existing?.standard()
            let row = existing ?? StoredStandard()
            try row.apply(standard, at: time.now())
            if existing == nil { row.status = status.rawValue }
            try await row.save(on: audit.db)
            try await audit.record(AuditEvent(
                action: existing == nil ? "standard.import" : "standard.update", targetType: "standard",
                targetID: try row.requireID().uuidString, reason: reason, before: before, after: standard,
                details: "\(standard.occupation.code) \(standard.occupation.name) \(standard.edition.edition) → \(row.status)"))
            return row
        }
    }

    /// Parses YAML and imports it as a draft (replacing a draft of the same edition).
    @discardableResult
    public static func importYAML(_ text: String, status: StoredStandard.Status = .draft, reason: String?,
                                  on db: any Database, actor: AuditActor, time: any TimeSource) async throws -> StoredStandard {
        try await importStandard(try StandardCodec.decode(text), status: status, replaceDraft: true, reason: reason,
                                 on: db, actor: actor, time: time)
    }

    /// Replaces the document of a draft; the occupation code and edition may not change.
    public static func updateDraft(id: UUID, yaml: String, reason: String?, on db: any Database, actor: AuditActor,
                                   time: any TimeSource) async throws {
        let row = try await find(id: id, on: db)
        guard row.statusValue == .draft else {
            throw DomainError.conflict(code: "edition_frozen", zh: "使用中或已替代的版本不能修改，请创建新版本",
                                       en: "an edition in use cannot be edited; create a new edition")
        }
        let standard = try StandardCodec.decode(yaml)
        guard standard.occupation.code == row.occupationCode, standard.edition.edition == row.edition else {
            throw ValidationFailure([FieldError(code: "identity_changed", field: "edition.edition",
                                                zh: "草稿的职业编码和版本号不能修改（应为 \(row.occupationCode) \(row.edition)）",
                                                en: "a draft keeps its occupation code and edition (\(row.occupationCode) \(row.edition))")])
        }
        try await importStandard(standard, status: .draft, replaceDraft: true, reason: reason, on: db, actor: actor, time: time)
    }

    /// Moves an edition along its life cycle: a draft into use, or an edition in use to superseded.
    public static func transition(id: UUID, to status: StoredStandard.Status, reason: String, on db: any Database,
                                  actor: AuditActor, time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let row = try await StoredStandard.find(id, on: audit.db) else { throw DomainError.notFound(what: "standard") }
            let from = row.statusValue
            let allowed: Bool = switch (from, status) {
            case (.draft, .inUse), (.inUse, .superseded): true
            default: false
            }
            guard allowed else {
                throw DomainError.conflict(code: "invalid_transition", zh: "不能从“\(from.nameZH)”变为“\(status.nameZH)”",
                                           en: "cannot go from \(from.rawValue) to \(status.rawValue)")
            }
            if status == .superseded && reason.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationFailure([.required("reason", label: "原因")])
            }
            row.status = status.rawValue
            row.updatedAt = time.now()
            try await row.save(on: audit.db)
            try await audit.record(AuditEvent(action: "standard.\(status.rawValue)", targetType: "standard",
                                              targetID: id.uuidString, reason: reason.isEmpty ? nil : reason,
                                              before: from.rawValue, after: status.rawValue,
                                              details: "\(row.occupationCode) \(row.edition): \(from.rawValue) → \(status.rawValue)"))
        }
    }

    /// Starts a new edition as a draft copy of an existing one.
    public static func newEdition(from id: UUID, edition: String, documentNumber: String, on db: any Database,
                                  actor: AuditActor, time: any TimeSource) async throws -> StoredStandard {
        var standard = try await find(id: id, on: db).standard()
        standard.edition.edition = edition.trimmingCharacters(in: .whitespaces)
        standard.edition.documentNumber = documentNumber.trimmingCharacters(in: .whitespaces)
        standard.edition.issuedOn = nil
        return try await importStandard(standard, status: .draft, replaceDraft: false, reason: "由已有版本复制", on: db,
                                        actor: actor, time: time)
    }

    /// Deletes a draft.
    public static func deleteDraft(id: UUID, on db: any Database, actor: AuditActor, time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let row = try await StoredStandard.find(id, on: audit.db) else { throw DomainError.notFound(what: "standard") }
            guard row.statusValue == .draft else {
                throw DomainError.conflict(code: "edition_frozen", zh: "只能删除草稿", en: "only drafts can be deleted")
            }
            try await row.delete(on: audit.db)
            try await audit.record(AuditEvent(action: "standard.delete", targetType: "standard", targetID: id.uuidString,
                                              details: "\(row.occupationCode) \(row.edition)"))
        }
    }
}
