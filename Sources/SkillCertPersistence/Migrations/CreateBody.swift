import FluentKit

/// The certification body and its sites.
struct CreateBody: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(StoredBody.schema)
            .id()
            .field("body_type", .string, .required)
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("province_code", .string, .required)
            .create()
        try await db.schema(StoredSite.schema)
            .id()
            .field("body_id", .uuid, .required, .references(StoredBody.schema, .id, onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("address", .string, .required)
            .field("position", .int, .required)
            .unique(on: "code")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(StoredSite.schema).delete()
        try await db.schema(StoredBody.schema).delete()
    }
}

/// Body-configurable rule values.
struct CreateSettings: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Setting.schema)
            .id()
            .field("key", .string, .required)
            .field("value", .string, .required)
            .unique(on: "key")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Setting.schema).delete()
    }
}
