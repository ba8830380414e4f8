import FluentKit
import Foundation
import SkillCertCore

/// A candidate's personal data. ID and phone numbers are encrypted; their keyed hashes allow exact look-up and
/// their masked forms are what lists show.
public final class CandidateProfile: Model, @unchecked Sendable {
    public static let schema = "candidates"

    @ID(key: .id) public var id: UUID?
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "full_name") public var fullName: String
    @OptionalField(key: "id_type") public var idType: String?
    @OptionalField(key: "id_number_cipher") public var idNumberCipher: String?
    @OptionalField(key: "id_number_hash") public var idNumberHash: String?
    @OptionalField(key: "id_number_masked") public var idNumberMasked: String?
    @OptionalField(key: "birth_date") public var birthDate: String?
    @OptionalField(key: "sex") public var sex: String?
    @OptionalField(key: "phone_cipher") public var phoneCipher: String?
    @OptionalField(key: "phone_hash") public var phoneHash: String?
    @OptionalField(key: "phone_masked") public var phoneMasked: String?
    @OptionalField(key: "email") public var email: String?
    @Field(key: "employer") public var employer: String
    @Field(key: "updated_at") public var updatedAt: Date
    /// Education, work history, certificates held and titles, in the applicant-profile format (JSON).
    @OptionalField(key: "background") public var background: String?
    @OptionalField(key: "photo_key") public var photoKey: String?
    @OptionalField(key: "photo_media_type") public var photoMediaType: String?

    public init() {}
}

/// A one-time sign-up code; only its hash is kept.
public final class VerificationCode: Model, @unchecked Sendable {
    public static let schema = "verification_codes"

    @ID(key: .id) public var id: UUID?
    @Field(key: "address_hash") public var addressHash: String
    @Field(key: "code_hash") public var codeHash: String
    @Field(key: "expires_at") public var expiresAt: Date
    @Field(key: "attempts") public var attempts: Int
    @Field(key: "consumed") public var consumed: Bool
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A message waiting to be sent (SMS or e-mail); recipient and text are encrypted like other personal data.
public final class OutboxMessage: Model, @unchecked Sendable {
    public static let schema = "outbox_messages"

    @ID(key: .id) public var id: UUID?
    @Field(key: "channel") public var channel: String
    @Field(key: "recipient_cipher") public var recipientCipher: String
    @Field(key: "body_cipher") public var bodyCipher: String
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "sent_at") public var sentAt: Date?

    public init() {}
}

struct CreateCandidates: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(CandidateProfile.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, .id))
            .field("full_name", .string, .required)
            .field("id_type", .string)
            .field("id_number_cipher", .string)
            .field("id_number_hash", .string)
            .field("id_number_masked", .string)
            .field("birth_date", .string)
            .field("sex", .string)
            .field("phone_cipher", .string)
            .field("phone_hash", .string)
            .field("phone_masked", .string)
            .field("email", .string)
            .field("employer", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id")
            .unique(on: "id_number_hash")
            .unique(on: "phone_hash")
            .unique(on: "email")
            .create()
        try await db.schema(VerificationCode.schema)
            .id()
            .field("address_hash", .string, .required)
            .field("code_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("consumed", .bool, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(OutboxMessage.schema)
            .id()
            .field("channel", .string, .required)
            .field("recipient_cipher", .string, .required)
            .field("body_cipher", .string, .required)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(OutboxMessage.schema).delete()
        try await db.schema(VerificationCode.schema).delete()
        try await db.schema(CandidateProfile.schema).delete()
    }
}
