import FluentKit
import SQLKit
import Foundation
import SkillCertCore

/// A file attached to an application: at submission, or later when the reviewer asked for more.
public final class ApplicationMaterial: Model, @unchecked Sendable {
    public static let schema = "application_materials"

    @ID(key: .id) public var id: UUID?
    @Field(key: "application_id") public var applicationID: UUID
    /// The plan's name for the material (学历证书 …), or 补充材料.
    @Field(key: "name") public var name: String
    @Field(key: "file_name") public var fileName: String
    @Field(key: "media_type") public var mediaType: String
    @Field(key: "file_key") public var fileKey: String
    @Field(key: "size") public var size: Int
    /// `submission` or `supplement`.
    @Field(key: "stage") public var stage: String
    @Field(key: "uploaded_by") public var uploadedBy: UUID
    @Field(key: "uploaded_at") public var uploadedAt: Date

    public init() {}
}

/// A staff member's declared relation to a candidate (回避): they may not review, score or supervise them.
/// The candidate is named by document number (kept as its keyed hash) or, for `same-employer`, by employer name.
public final class DeclaredRelation: Model, @unchecked Sendable {
    public static let schema = "declared_relations"

    public enum Kind: String, Sendable, CaseIterable {
        case sameEmployer = "same-employer"
        case relative
        case teacher
        case trainingOrganisation = "training-organisation"
        case other

        public var nameZH: String {
            switch self {
            case .sameEmployer: "同一单位"
            case .trainingOrganisation: "同一培训机构"
            case .relative: "亲属"
            case .teacher: "师生"
            case .other: "其他利害关系"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "staff_id") public var staffID: UUID
    @Field(key: "kind") public var kind: String
    @OptionalField(key: "id_number_hash") public var idNumberHash: String?
    @OptionalField(key: "id_number_masked") public var idNumberMasked: String?
    @OptionalField(key: "employer") public var employer: String?
    @Field(key: "note") public var note: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var kindValue: Kind { Kind(rawValue: kind) ?? .other }

    /// Whether this declaration covers a candidate with this document-number hash and employer.
    public func covers(idNumberHash hash: String?, employer candidateEmployer: String) -> Bool {
        if let idNumberHash, idNumberHash == hash { return true }
        if let employer, !employer.isEmpty, employer == candidateEmployer.trimmingCharacters(in: .whitespaces) { return true }
        return false
    }
}

/// One batch registration file imported into a plan.
public final class RegistrationBatch: Model, @unchecked Sendable {
    public static let schema = "registration_batches"

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "file_name") public var fileName: String
    @Field(key: "file_sha256") public var fileSHA256: String
    @Field(key: "rows") public var rows: Int
    @Field(key: "imported_by") public var importedBy: UUID?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// Payment states an application can be in where the plan charges a fee.
public enum PaymentStatus: String, Sendable, CaseIterable {
    case unpaid, paid, waived, refunded, notRequired = "not-required"

    public var nameZH: String {
        switch self {
        case .unpaid: "未缴费"
        case .paid: "已缴费"
        case .waived: "已减免"
        case .refunded: "已退费"
        case .notRequired: "无需缴费"
        }
    }

    public var nameEN: String {
        switch self {
        case .unpaid: "Unpaid"
        case .paid: "Paid"
        case .waived: "Waived"
        case .refunded: "Refunded"
        case .notRequired: "No fee"
        }
    }
}

/// Materials, payment, relations and batches for registration; the candidate's background, photo and unclaimed
/// (batch-created) accounts.
struct UpdateRegistrationAddMaterials: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ApplicationMaterial.schema)
            .id()
            .field("application_id", .uuid, .required, .references(StoredApplication.schema, .id))
            .field("name", .string, .required)
            .field("file_name", .string, .required)
            .field("media_type", .string, .required)
            .field("file_key", .string, .required)
            .field("size", .int, .required)
            .field("stage", .string, .required)
            .field("uploaded_by", .uuid, .required)
            .field("uploaded_at", .datetime, .required)
            .create()
        try await db.schema(DeclaredRelation.schema)
            .id()
            .field("staff_id", .uuid, .required, .references(User.schema, .id))
            .field("kind", .string, .required)
            .field("id_number_hash", .string)
            .field("id_number_masked", .string)
            .field("employer", .string)
            .field("note", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(RegistrationBatch.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("file_name", .string, .required)
            .field("file_sha256", .string, .required)
            .field("rows", .int, .required)
            .field("imported_by", .uuid)
            .field("created_at", .datetime, .required)
            .create()
        // SQLite adds one column per ALTER TABLE.
        try await db.schema(StoredApplication.schema).field("employer", .string, .required, .sql(.default(""))).update()
        try await db.schema(StoredApplication.schema)
            .field("payment_status", .string, .required, .sql(.default(PaymentStatus.unpaid.rawValue))).update()
        try await db.schema(StoredApplication.schema).field("receipt_number", .string).update()
        try await db.schema(StoredApplication.schema).field("batch_id", .uuid).update()
        try await db.schema(CandidateProfile.schema).field("background", .string).update()
        try await db.schema(CandidateProfile.schema).field("photo_key", .string).update()
        try await db.schema(CandidateProfile.schema).field("photo_media_type", .string).update()
        if let sql = db as? any SQLDatabase {
            try await sql.create(index: "applications_plan_status_idx").on(StoredApplication.schema).column("plan_id").column("status").run()
            try await sql.create(index: "applications_candidate_idx").on(StoredApplication.schema).column("candidate_id").run()
            try await sql.create(index: "application_materials_application_idx").on(ApplicationMaterial.schema).column("application_id").run()
        }
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase {
            for index in ["applications_plan_status_idx", "applications_candidate_idx", "application_materials_application_idx"] {
                try await sql.drop(index: index).ifExists().run()
            }
        }
        for field in ["background", "photo_key", "photo_media_type"] {
            try await db.schema(CandidateProfile.schema).deleteField(.string(field)).update()
        }
        for field in ["employer", "payment_status", "receipt_number", "batch_id"] {
            try await db.schema(StoredApplication.schema).deleteField(.string(field)).update()
        }
        try await db.schema(RegistrationBatch.schema).delete()
        try await db.schema(DeclaredRelation.schema).delete()
        try await db.schema(ApplicationMaterial.schema).delete()
    }
}

/// Declared relations (回避): staff declare them; review, scoring and supervision consult them.
public enum RelationStore {
    /// Declares a relation to the candidate with this document number, or (for `same-employer`) to everyone at an employer.
    public static func declare(staff: AuditActor, kind: DeclaredRelation.Kind, idNumber: String, employer: String, note: String,
                               sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws {
        guard let staffID = staff.id else { throw DomainError.forbidden(code: "no_user", zh: "请先登录", en: "sign in first") }
        let number = idNumber.filter { !$0.isWhitespace }.uppercased()
        let company = employer.trimmingCharacters(in: .whitespaces)
        var v = FieldValidator()
        if number.isEmpty && company.isEmpty {
            v.add(FieldError(code: "required", field: "idNumber", zh: "请填写考生证件号码，或（同一单位时）单位名称", en: "give the candidate's document number or the employer"))
        }
        if !company.isEmpty && ![.sameEmployer, .trainingOrganisation].contains(kind) {
            v.add(FieldError(code: "invalid_value", field: "employer", zh: "按单位名称申报仅适用于“同一单位”或“同一培训机构”",
                             en: "an organisation applies to same-employer and training-organisation relations only"))
        }
        if !number.isEmpty && !(5...30).contains(number.count) {
            v.add(FieldError(code: "invalid_format", field: "idNumber", zh: "证件号码应为 5–30 位字母或数字", en: "5–30 letters or digits"))
        }
        try v.check()
        let text = String(note.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        try await AuditLog.transaction(on: db, actor: staff, time: time) { audit in
            let r = DeclaredRelation()
            r.staffID = staffID
            r.kind = kind.rawValue
            r.idNumberHash = number.isEmpty ? nil : sealer.keyedHash(number, purpose: "id-number")
            r.idNumberMasked = number.isEmpty ? nil : (number.count == 18 ? ResidentID.mask(number) : CandidateAccounts.maskDocument(number))
            r.employer = company.isEmpty ? nil : company
            r.note = text
            r.createdAt = time.now()
            try await r.create(on: audit.db)
            try await audit.record(AuditEvent(action: "relation.declare", targetType: "user", targetID: staffID.uuidString,
                                              details: "\(kind.rawValue) \(r.idNumberMasked ?? r.employer ?? "")"))
        }
    }

    /// Withdraws one of the staff member's own declarations.
    public static func withdraw(_ id: UUID, staff: AuditActor, on db: any Database, time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: staff, time: time) { audit in
            guard let r = try await DeclaredRelation.find(id, on: audit.db), r.staffID == staff.id else { throw DomainError.notFound(what: "relation") }
            try await r.delete(on: audit.db)
            try await audit.record(AuditEvent(action: "relation.withdraw", targetType: "user", targetID: r.staffID.uuidString,
                                              details: "\(r.kind) \(r.idNumberMasked ?? r.employer ?? "")"))
        }
    }

    public static func declared(by staffID: UUID, on db: any Database) async throws -> [DeclaredRelation] {
        try await DeclaredRelation.query(on: db).filter(\.$staffID == staffID).sort(\.$createdAt, .descending).all()
    }

    /// The staff member's declaration that covers this candidate, if any: by document number, or by the employer on
    /// the profile or on the application (`alsoEmployer`), so a changed profile does not lift a recusal.
    public static func conflict(staffID: UUID, candidateID: UUID, alsoEmployer: String? = nil,
                                on db: any Database) async throws -> DeclaredRelation? {
        let relations = try await declared(by: staffID, on: db)
        guard !relations.isEmpty, let profile = try await CandidateProfile.query(on: db).filter(\.$userID == candidateID).first() else {
            return nil
        }
        return relations.first { relation in
            relation.covers(idNumberHash: profile.idNumberHash, employer: profile.employer)
                || alsoEmployer.map { relation.covers(idNumberHash: nil, employer: $0) } == true
        }
    }
}
