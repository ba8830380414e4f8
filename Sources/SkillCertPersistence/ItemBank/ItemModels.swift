import FluentKit
import Foundation
import SkillCertCore

/// An item: where it belongs in a standard and who wrote it. Its content lives, encrypted, in its versions.
public final class StoredItem: Model, @unchecked Sendable {
    public static let schema = "items"

    @ID(key: .id) public var id: UUID?
    @Field(key: "standard_id") public var standardID: UUID
    @Field(key: "level") public var level: Int
    @Field(key: "part") public var part: String
    @Field(key: "scope_code") public var scopeCode: String
    @Field(key: "element_code") public var elementCode: String
    @Field(key: "item_type") public var itemType: String
    @Field(key: "author_id") public var authorID: UUID
    @Field(key: "author_name") public var authorName: String
    @Field(key: "latest_version") public var latestVersion: Int
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var type: ItemType { ItemType(rawValue: itemType) ?? .singleChoice }
}

/// One version of an item. Approved versions are never changed; an edit makes a new version.
public final class StoredItemVersion: Model, @unchecked Sendable {
    public static let schema = "item_versions"

    @ID(key: .id) public var id: UUID?
    @Field(key: "item_id") public var itemID: UUID
    @Field(key: "version") public var version: Int
    @Field(key: "status") public var status: String
    @Field(key: "difficulty") public var difficulty: Double
    @Field(key: "importance") public var importance: String
    @Field(key: "source") public var source: String
    @Field(key: "tags") public var tags: String
    /// AES-GCM ciphertext of `ItemContent`, bound to this version's id.
    @Field(key: "content_cipher") public var contentCipher: String
    @OptionalField(key: "observed_p") public var observedP: Double?
    @Field(key: "created_by") public var createdBy: UUID
    /// Everyone who wrote or edited this version (comma-separated ids): none of them may approve it.
    @Field(key: "editors") public var editors: String
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "reviewed_by") public var reviewedBy: UUID?
    @OptionalField(key: "reviewed_at") public var reviewedAt: Date?

    public init() {}

    public var statusValue: ItemStatus { ItemStatus(rawValue: status) ?? .draft }

    /// Whether `user` wrote or edited this version.
    public func isEditor(_ user: UUID?) -> Bool {
        guard let user else { return false }
        return user == createdBy || editors.split(separator: ",").contains { $0 == user.uuidString }
    }

    /// The associated data that binds the ciphertext to this row.
    static func context(_ id: UUID) -> String { "item-version:\(id.uuidString)" }
}

/// Two items that must not appear on one paper.
public final class ItemEnemyPair: Model, @unchecked Sendable {
    public static let schema = "item_enemies"

    @ID(key: .id) public var id: UUID?
    @Field(key: "item_a") public var itemA: UUID
    @Field(key: "item_b") public var itemB: UUID

    public init() {}
}

/// A saved blueprint version for (standard, level, part).
public final class StoredBlueprint: Model, @unchecked Sendable {
    public static let schema = "blueprints"

    @ID(key: .id) public var id: UUID?
    @Field(key: "standard_id") public var standardID: UUID
    @Field(key: "level") public var level: Int
    @Field(key: "part") public var part: String
    /// The plan this blueprint was adjusted for, or nil for the standard's own.
    @OptionalField(key: "plan_id") public var planID: UUID?
    @Field(key: "version") public var version: Int
    @Field(key: "body") public var body: String
    @Field(key: "note") public var note: String
    @Field(key: "created_by") public var createdBy: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public func blueprint() throws -> Blueprint { try JSONDecoder().decode(Blueprint.self, from: Data(body.utf8)) }
}

/// An assembled paper, sealed: its items and answers are encrypted with its own key, which is itself encrypted
/// with the installation key. The paper's item list is not stored in the clear.
public final class StoredPaper: Model, @unchecked Sendable {
    public static let schema = "papers"

    public enum Status: String, Sendable { case sealed, unsealed }

    @ID(key: .id) public var id: UUID?
    @Field(key: "batch_id") public var batchID: UUID
    @Field(key: "label") public var label: String
    @Field(key: "standard_id") public var standardID: UUID
    @Field(key: "level") public var level: Int
    @Field(key: "part") public var part: String
    @Field(key: "blueprint_id") public var blueprintID: UUID
    @Field(key: "seed") public var seed: String
    @Field(key: "item_count") public var itemCount: Int
    @Field(key: "difficulty") public var difficulty: Double
    @Field(key: "sealed_content") public var sealedContent: String
    @Field(key: "wrapped_key") public var wrappedKey: String
    @OptionalField(key: "release_at") public var releaseAt: Date?
    @Field(key: "status") public var status: String
    @OptionalField(key: "unsealed_at") public var unsealedAt: Date?
    /// Authors of the paper's items, as a comma-separated list of ids: they may not open it.
    @Field(key: "excluded_readers") public var excludedReaders: String
    @Field(key: "created_by") public var createdBy: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// One person's consent to open a sealed paper early; two different people are needed.
public final class PaperUnsealApproval: Model, @unchecked Sendable {
    public static let schema = "paper_unseal_approvals"

    @ID(key: .id) public var id: UUID?
    @Field(key: "paper_id") public var paperID: UUID
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "reason") public var reason: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A use of an item version on a paper, without naming the paper (so the seal is not weakened): the exposure count.
public final class ItemUse: Model, @unchecked Sendable {
    public static let schema = "item_uses"

    @ID(key: .id) public var id: UUID?
    @Field(key: "item_version_id") public var itemVersionID: UUID
    @Field(key: "used_at") public var usedAt: Date

    public init() {}
}

struct CreateItemBank: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredItem.schema)
            .id()
            .field("standard_id", .uuid, .required, .references(StoredStandard.schema, .id))
            .field("level", .int, .required)
            .field("part", .string, .required)
            .field("scope_code", .string, .required)
            .field("element_code", .string, .required)
            .field("item_type", .string, .required)
            .field("author_id", .uuid, .required)
            .field("author_name", .string, .required)
            .field("latest_version", .int, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(StoredItemVersion.schema)
            .id()
            .field("item_id", .uuid, .required, .references(StoredItem.schema, .id))
            .field("version", .int, .required)
            .field("status", .string, .required)
            .field("difficulty", .double, .required)
            .field("importance", .string, .required)
            .field("source", .string, .required)
            .field("tags", .string, .required)
            .field("content_cipher", .string, .required)
            .field("observed_p", .double)
            .field("created_by", .uuid, .required)
            .field("editors", .string, .required)
            .field("created_at", .datetime, .required)
            .field("reviewed_by", .uuid)
            .field("reviewed_at", .datetime)
            .unique(on: "item_id", "version")
            .create()
        try await db.schema(ItemEnemyPair.schema)
            .id()
            .field("item_a", .uuid, .required, .references(StoredItem.schema, .id))
            .field("item_b", .uuid, .required, .references(StoredItem.schema, .id))
            .unique(on: "item_a", "item_b")
            .create()
        try await db.schema(StoredBlueprint.schema)
            .id()
            .field("standard_id", .uuid, .required, .references(StoredStandard.schema, .id))
            .field("level", .int, .required)
            .field("part", .string, .required)
            .field("plan_id", .uuid)
            .field("version", .int, .required)
            .field("body", .string, .required)
            .field("note", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(StoredPaper.schema)
            .id()
            .field("batch_id", .uuid, .required)
            .field("label", .string, .required)
            .field("standard_id", .uuid, .required, .references(StoredStandard.schema, .id))
            .field("level", .int, .required)
            .field("part", .string, .required)
            .field("blueprint_id", .uuid, .required, .references(StoredBlueprint.schema, .id))
            .field("seed", .string, .required)
            .field("item_count", .int, .required)
            .field("difficulty", .double, .required)
            .field("sealed_content", .string, .required)
            .field("wrapped_key", .string, .required)
            .field("release_at", .datetime)
            .field("status", .string, .required)
            .field("unsealed_at", .datetime)
            .field("excluded_readers", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(PaperUnsealApproval.schema)
            .id()
            .field("paper_id", .uuid, .required, .references(StoredPaper.schema, .id))
            .field("user_id", .uuid, .required)
            .field("reason", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "paper_id", "user_id")
            .create()
        try await db.schema(ItemUse.schema)
            .id()
            .field("item_version_id", .uuid, .required, .references(StoredItemVersion.schema, .id))
            .field("used_at", .datetime, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        for schema in [ItemUse.schema, PaperUnsealApproval.schema, StoredPaper.schema, StoredBlueprint.schema,
                       ItemEnemyPair.schema, StoredItemVersion.schema, StoredItem.schema] {
            try await db.schema(schema).delete()
        }
    }
}
