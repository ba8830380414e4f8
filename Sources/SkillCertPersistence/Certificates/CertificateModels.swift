import FluentKit
import SQLKit
import Foundation
import SkillCertCore

/// An issued 职业技能等级证书 with every field 人社鉴发〔2021〕1号 asks for, the signed electronic credential, and its
/// standing. The number never changes: a replacement (补发) gets a new print serial; revocation keeps the number.
public final class CertificateRecord: Model, @unchecked Sendable {
    public static let schema = "certificates"

    @ID(key: .id) public var id: UUID?
    @Field(key: "number") public var number: String
    /// 1 for the first print; each replacement adds one.
    @Field(key: "print_serial") public var printSerial: Int
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "result_id") public var resultID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "full_name") public var fullName: String
    /// `resident-id`, `passport`, … as on the profile.
    @Field(key: "id_type") public var idType: String
    @Field(key: "id_masked") public var idMasked: String
    /// The full ID number, sealed with the content key (printed on the certificate).
    @Field(key: "id_cipher") public var idCipher: String
    /// Keyed hash of the full ID number, for the public search by name and ID number.
    @Field(key: "id_hash") public var idHash: String
    @Field(key: "occupation_code") public var occupationCode: String
    @Field(key: "occupation_name") public var occupationName: String
    /// 工种, or `--`.
    @Field(key: "work_type") public var workType: String
    @Field(key: "level") public var level: Int
    @Field(key: "issue_date") public var issueDate: String
    @Field(key: "body_name") public var bodyName: String
    @Field(key: "site_code") public var siteCode: String
    @OptionalField(key: "photo_key") public var photoKey: String?
    @Field(key: "status") public var status: String
    @OptionalField(key: "status_reason") public var statusReason: String?
    /// The certificate's bit in the status lists.
    @Field(key: "status_index") public var statusIndex: Int
    /// The signed credential (a JWT).
    @Field(key: "credential") public var credential: String
    @Field(key: "issued_at") public var issuedAt: Date
    @OptionalField(key: "issued_by") public var issuedBy: UUID?

    public init() {}

    public var statusValue: CertificateStatus { CertificateStatus(rawValue: status) ?? .valid }
    public var idTypeName: String {
        switch idType {
        case "resident-id": "居民身份证"
        case "hkmt-residence": "港澳台居民居住证"
        case "passport": "护照"
        default: idType
        }
    }
}

/// The last serial used per (body, site, year, level). An issuing run takes its serials in one audited transaction
/// before it signs anything and records them as a `CertificateReservation`, so no number is used twice and none is
/// skipped without a recorded reason.
final class CertificateSerial: Model, @unchecked Sendable {
    static let schema = "certificate_serials"

    @ID(key: .id) var id: UUID?
    @Field(key: "body_code") var bodyCode: String
    @Field(key: "site_code") var siteCode: String
    @Field(key: "year") var year: Int
    @Field(key: "level") var level: Int
    @Field(key: "last_serial") var lastSerial: Int

    init() {}
}

/// Serials (and status-list indexes) taken for one issuing run before its first certificate is signed, so that the
/// next chunk can be signed while the current one commits. A run that does not use all of its serials (it stopped
/// part-way, or another run issued some of its candidates meanwhile) records the unused ones here with the reason
/// when it ends: the numbering rules allow a gap only with one. A run that never ended (its process was killed) keeps
/// `closedAt` nil, and its unused serials are found by comparing the range with the certificates issued.
public final class CertificateReservation: Model, @unchecked Sendable {
    public static let schema = "certificate_reservations"

    public enum Kind: String, Sendable { case serial, status }

    @ID(key: .id) public var id: UUID?
    @Field(key: "run_id") public var runID: UUID
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "kind") public var kind: String
    /// For serials: the number's fixed part, everything but the serial (empty for status-list indexes).
    @Field(key: "prefix") public var prefix: String
    @Field(key: "first") public var first: Int
    @Field(key: "last") public var last: Int
    @Field(key: "reserved_at") public var reservedAt: Date
    @OptionalField(key: "reserved_by") public var reservedBy: UUID?
    @OptionalField(key: "closed_at") public var closedAt: Date?
    /// The serials not used, as ranges (`12-15,20`); empty when all were used.
    @OptionalField(key: "unused") public var unused: String?
    @OptionalField(key: "unused_count") public var unusedCount: Int?
    @OptionalField(key: "reason") public var reason: String?

    public init() {}
}

struct CreateCertificateReservations: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(CertificateReservation.schema)
            .id()
            .field("run_id", .uuid, .required)
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("kind", .string, .required)
            .field("prefix", .string, .required)
            .field("first", .int, .required)
            .field("last", .int, .required)
            .field("reserved_at", .datetime, .required)
            .field("reserved_by", .uuid)
            .field("closed_at", .datetime)
            .field("unused", .string)
            .field("unused_count", .int)
            .field("reason", .string)
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.raw("CREATE INDEX certificate_reservations_run ON \(ident: CertificateReservation.schema) (run_id)").run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(CertificateReservation.schema).delete()
    }
}

/// What happened to a certificate after issue: distribution, replacement, suspension, revocation, reinstatement.
public final class CertificateEvent: Model, @unchecked Sendable {
    public static let schema = "certificate_events"

    public enum Kind: String, Sendable, CaseIterable {
        case issued, collected, mailed, electronic, replaced, suspended, revoked, reinstated

        public var nameZH: String {
            switch self {
            case .issued: "颁发"
            case .collected: "本人领取"
            case .mailed: "邮寄"
            case .electronic: "电子证书发放"
            case .replaced: "补发"
            case .suspended: "暂停"
            case .revoked: "撤销"
            case .reinstated: "恢复有效"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "certificate_id") public var certificateID: UUID
    @Field(key: "kind") public var kind: String
    /// A tracking number, who collected it, the replacement's print serial.
    @Field(key: "detail") public var detail: String
    @Field(key: "reason") public var reason: String
    @OptionalField(key: "by_user") public var byUser: UUID?
    @Field(key: "at") public var at: Date

    public init() {}

    public var kindValue: Kind { Kind(rawValue: kind) ?? .issued }
}

/// An Ed25519 key that signs credentials. The newest unretired key signs; every key stays published in the JWKS so
/// that credentials signed before a rotation still verify.
final class SigningKey: Model, @unchecked Sendable {
    static let schema = "signing_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "kid") var kid: String
    /// The private key's raw bytes, sealed with the content key.
    @Field(key: "private_sealed") var privateSealed: String
    /// The public key, base64url (the JWK's `x`).
    @Field(key: "public_x") var publicX: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "retired_at") var retiredAt: Date?

    init() {}
}

struct CreateCertificates: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(CertificateRecord.schema)
            .id()
            .field("number", .string, .required)
            .field("print_serial", .int, .required)
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("result_id", .uuid, .required, .references(ResultRecord.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("full_name", .string, .required)
            .field("id_type", .string, .required)
            .field("id_masked", .string, .required)
            .field("id_cipher", .string, .required)
            .field("id_hash", .string, .required)
            .field("occupation_code", .string, .required)
            .field("occupation_name", .string, .required)
            .field("work_type", .string, .required)
            .field("level", .int, .required)
            .field("issue_date", .string, .required)
            .field("body_name", .string, .required)
            .field("site_code", .string, .required)
            .field("photo_key", .string)
            .field("status", .string, .required)
            .field("status_reason", .string)
            .field("status_index", .int, .required)
            .field("credential", .string, .required)
            .field("issued_at", .datetime, .required)
            .field("issued_by", .uuid)
            .unique(on: "number")
            .unique(on: "result_id")
            .unique(on: "status_index")
            .create()
        try await db.schema(CertificateSerial.schema)
            .id()
            .field("body_code", .string, .required)
            .field("site_code", .string, .required)
            .field("year", .int, .required)
            .field("level", .int, .required)
            .field("last_serial", .int, .required)
            .unique(on: "body_code", "site_code", "year", "level")
            .create()
        try await db.schema(CertificateEvent.schema)
            .id()
            .field("certificate_id", .uuid, .required, .references(CertificateRecord.schema, .id))
            .field("kind", .string, .required)
            .field("detail", .string, .required)
            .field("reason", .string, .required)
            .field("by_user", .uuid)
            .field("at", .datetime, .required)
            .create()
        try await db.schema(SigningKey.schema)
            .id()
            .field("kid", .string, .required)
            .field("private_sealed", .string, .required)
            .field("public_x", .string, .required)
            .field("created_at", .datetime, .required)
            .field("retired_at", .datetime)
            .unique(on: "kid")
            .create()
        if let sql = db as? any SQLDatabase {
            try await sql.raw("CREATE INDEX certificates_id_hash ON \(ident: CertificateRecord.schema) (id_hash)").run()
            try await sql.raw("CREATE INDEX certificates_plan ON \(ident: CertificateRecord.schema) (plan_id)").run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SigningKey.schema).delete()
        try await db.schema(CertificateEvent.schema).delete()
        try await db.schema(CertificateSerial.schema).delete()
        try await db.schema(CertificateRecord.schema).delete()
    }
}
