import FluentKit
import Foundation
import SkillCertCore

/// One of the body's rule documents (制度: 实施细则, 考务管理规定 …). Its text lives in versions.
public final class StoredRegulation: Model, @unchecked Sendable {
    public static let schema = "regulations"

    @ID(key: .id) public var id: UUID?
    @Field(key: "title") public var title: String
    /// Shown at the public `/rules` (the version in effect only).
    @Field(key: "is_public") public var isPublic: Bool
    /// The `SettingKey` values this document fixes, comma-separated.
    @Field(key: "setting_keys") public var settingKeys: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var settings: [SettingKey] { settingKeys.split(separator: ",").compactMap { SettingKey(rawValue: String($0)) } }
}

/// One version of a rule document: in effect from its date until the next version's date.
public final class StoredRegulationVersion: Model, @unchecked Sendable {
    public static let schema = "regulation_versions"

    @ID(key: .id) public var id: UUID?
    @Field(key: "regulation_id") public var regulationID: UUID
    /// How the body names the version (`2026 年修订版`).
    @Field(key: "label") public var label: String
    /// ISO date from which this version applies.
    @Field(key: "effective_on") public var effectiveOn: String
    @Field(key: "text") public var text: String
    /// The attached PDF in the file store, if any.
    @OptionalField(key: "file_key") public var fileKey: String?
    @OptionalField(key: "file_name") public var fileName: String?
    @OptionalField(key: "created_by") public var createdBy: UUID?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var effective: LocalDate { LocalDate(iso: effectiveOn) ?? .distantFuture }
}

struct CreateRegulations: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredRegulation.schema)
            .id()
            .field("title", .string, .required)
            .field("is_public", .bool, .required)
            .field("setting_keys", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "title")
            .create()
        try await db.schema(StoredRegulationVersion.schema)
            .id()
            .field("regulation_id", .uuid, .required, .references(StoredRegulation.schema, .id))
            .field("label", .string, .required)
            .field("effective_on", .string, .required)
            .field("text", .string, .required)
            .field("file_key", .string)
            .field("file_name", .string)
            .field("created_by", .uuid)
            .field("created_at", .datetime, .required)
            .unique(on: "regulation_id", "effective_on")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(StoredRegulationVersion.schema).delete()
        try await db.schema(StoredRegulation.schema).delete()
    }
}
