import FluentKit

/// Users, their roles and their sessions.
struct CreateUsers: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(User.schema)
            .id()
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("password_hash", .string, .required)
            .field("is_active", .bool, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("last_login_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "username")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(User.schema).delete()
    }
}

struct CreateUserRoles: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(UserRoleAssignment.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("role", .string, .required)
            .unique(on: "user_id", "role")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(UserRoleAssignment.schema).delete()
    }
}

struct CreateAuthSessions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AuthSession.schema)
            .id()
            .field("token_hash", .string, .required)
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("kind", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("remote_address", .string)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(AuthSession.schema).delete()
    }
}
