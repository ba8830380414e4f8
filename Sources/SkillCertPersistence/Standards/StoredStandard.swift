import FluentKit
import Foundation
import SkillCertCore

/// One edition of an occupational standard. The document is kept whole as canonical JSON; the columns beside it
/// are what lists and look-ups need.
public final class StoredStandard: Model, @unchecked Sendable {
    public static let schema = "standards"

    /// Life cycle of an edition: drafts are edited; an edition in use is frozen; a superseded one is kept for history.
    public enum Status: String, Sendable, CaseIterable {
        case draft
        case inUse = "in-use"
        case superseded

        public var nameZH: String {
            switch self {
            case .draft: "草稿"
            case .inUse: "使用中"
            case .superseded: "已替代"
            }
        }

        public var nameEN: String {
            switch self {
            case .draft: "Draft"
            case .inUse: "In use"
            case .superseded: "Superseded"
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "occupation_code") public var occupationCode: String
    @Field(key: "occupation_name") public var occupationName: String
    @Field(key: "classification_edition") public var classificationEdition: String
    @Field(key: "edition") public var edition: String
    @Field(key: "document_number") public var documentNumber: String
    @Field(key: "status") public var status: String
    @Field(key: "document") public var document: String
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    public var statusValue: Status { Status(rawValue: status) ?? .draft }

    public func standard() throws -> OccupationalStandard { try StandardCodec.fromJSON(document) }

    func apply(_ s: OccupationalStandard, at date: Date) throws {
        occupationCode = s.occupation.code
        occupationName = s.occupation.name
        classificationEdition = s.occupation.classificationEdition
        edition = s.edition.edition
        documentNumber = s.edition.documentNumber
        document = try StandardCodec.json(s)
        updatedAt = date
    }
}

/// The standards table.
struct CreateStandards: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredStandard.schema)
            .id()
            .field("occupation_code", .string, .required)
            .field("occupation_name", .string, .required)
            .field("classification_edition", .string, .required)
            .field("edition", .string, .required)
            .field("document_number", .string, .required)
            .field("status", .string, .required)
            .field("document", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "occupation_code", "edition")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(StoredStandard.schema).delete()
    }
}

/// Loads the standards shipped with the product, in use.
struct SeedShippedStandards: AsyncMigration {
    func prepare(on db: any Database) async throws {
        for standard in try StandardCodec.shipped() {
            _ = try await StandardStore.importStandard(standard, status: .inUse, replaceDraft: false, reason: "随产品发布的标准",
                                                       on: db, actor: .system("migration"), time: SystemTimeSource())
        }
    }

    func revert(on db: any Database) async throws {
        for standard in try StandardCodec.shipped() {
            try await StoredStandard.query(on: db).filter(\.$occupationCode == standard.occupation.code)
                .filter(\.$edition == standard.edition.edition).delete()
        }
    }
}
