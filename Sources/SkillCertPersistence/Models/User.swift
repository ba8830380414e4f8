import FluentKit
import Foundation
import SkillCertCore

/// A person who signs in: staff, examiner, supervisor or candidate.
public final class User: Model, @unchecked Sendable {
    public static let schema = "users"

    @ID(key: .id) public var id: UUID?
    @Field(key: "username") public var username: String
    @Field(key: "display_name") public var displayName: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "is_active") public var isActive: Bool
    @Field(key: "failed_logins") public var failedLogins: Int
    @OptionalField(key: "locked_until") public var lockedUntil: Date?
    @OptionalField(key: "last_login_at") public var lastLoginAt: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Children(for: \.$user) public var roleAssignments: [UserRoleAssignment]

    public init() {}

    public init(id: UUID? = nil, username: String, displayName: String, passwordHash: String, createdAt: Date) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.isActive = true
        self.failedLogins = 0
        self.createdAt = createdAt
    }

    /// The roles, when `roleAssignments` was eager-loaded.
    public var roles: Set<Role> {
        Set(($roleAssignments.value ?? []).compactMap { Role(rawValue: $0.role) })
    }

    /// The audited state of an account: what a change to it is digested from. Never the password hash.
    public struct AuditedState: Codable, Sendable {
        public var username: String
        public var displayName: String
        public var isActive: Bool
        public var roles: [String]
        public var locked: Bool
    }

    public func auditedState(roles: Set<Role>, now: Date) -> AuditedState {
        AuditedState(username: username, displayName: displayName, isActive: isActive,
                     roles: roles.sorted().map(\.rawValue),
                     locked: LoginLockout.isLocked(until: lockedUntil, at: now))
    }
}

/// One role held by one user.
public final class UserRoleAssignment: Model, @unchecked Sendable {
    public static let schema = "user_roles"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "role") public var role: String

    public init() {}

    public init(userID: UUID, role: Role) {
        self.$user.id = userID
        self.role = role.rawValue
    }
}

/// A signed-in session: a browser cookie or an API bearer token. Only the token's SHA-256 is stored.
public final class AuthSession: Model, @unchecked Sendable {
    public static let schema = "auth_sessions"

    public enum Kind: String, Sendable { case web, api }

    @ID(key: .id) public var id: UUID?
    @Field(key: "token_hash") public var tokenHash: String
    @Parent(key: "user_id") public var user: User
    @Field(key: "kind") public var kind: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "expires_at") public var expiresAt: Date
    @OptionalField(key: "remote_address") public var remoteAddress: String?

    public init() {}

    public init(tokenHash: String, userID: UUID, kind: Kind, createdAt: Date, expiresAt: Date, remoteAddress: String?) {
        self.tokenHash = tokenHash
        self.$user.id = userID
        self.kind = kind.rawValue
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.remoteAddress = remoteAddress
    }
}
