import Crypto
import FluentKit
import Foundation
import SkillCertCore

/// Hashes and checks passwords (bcrypt in the application); injected so the persistence layer needs no web framework.
public protocol PasswordHashing: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async throws -> Bool
}

/// A signed-in user as the rest of the product sees one.
public struct SignedInUser: Sendable, Equatable {
    public var id: UUID
    public var username: String
    public var displayName: String
    public var roles: Set<Role>

    public var actor: AuditActor { AuditActor(id: id, name: username) }
}

/// Accounts: creation, roles, passwords, sign-in with lockout, and sessions.
public enum Accounts {
    /// What a sign-in attempt came to.
    public enum SignInResult: Sendable, Equatable {
        case success(SignedInUser)
        case invalidCredentials
        case locked(until: Date)
        case inactive
    }

    /// Input for a new account.
    public struct NewUser: Sendable {
        public var username: String
        public var displayName: String
        public var password: String
        public var roles: Set<Role>

        public init(username: String, displayName: String, password: String, roles: Set<Role>) {
            self.username = username
            self.displayName = displayName
            self.password = password
            self.roles = roles
        }
    }

    /// Creates an account; fails with field errors for a bad or taken username, or a weak password.
    public static func create(_ input: NewUser, hasher: any PasswordHashing, on db: any Database,
                              actor: AuditActor, time: any TimeSource) async throws -> SignedInUser {
        let username = input.username.trimmingCharacters(in: .whitespaces).lowercased()
        var v = FieldValidator()
        PasswordPolicy.usernameProblems(username).forEach { v.add($0) }
        let displayName = v.require(input.displayName, field: "displayName", label: "姓名", maxLength: 100)
        PasswordPolicy.problems(input.password, username: username).forEach { v.add($0) }
        if input.roles.isEmpty {
            v.add(FieldError(code: "required", field: "roles", zh: "至少选择一个角色", en: "at least one role is required"))
        }
        try v.check()
        if try await User.query(on: db).filter(\.$username == username).first() != nil {
            throw ValidationFailure([FieldError(code: "taken", field: "username", zh: "用户名 \(username) 已被使用",
                                                en: "username \(username) is taken")])
        }
        let hash = try await hasher.hash(input.password)
        let roles = input.roles
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let user = User(username: username, displayName: displayName, passwordHash: hash, createdAt: time.now())
            try await user.create(on: audit.db)
            let id = try user.requireID()
            for role in roles { try await UserRoleAssignment(userID: id, role: role).create(on: audit.db) }
            try await audit.record(AuditEvent(
                action: "user.create", targetType: "user", targetID: id.uuidString,
                before: User.AuditedState?.none, after: user.auditedState(roles: roles, now: time.now()),
                details: "roles: \(roles.sorted().map(\.rawValue).joined(separator: ","))"))
            return SignedInUser(id: id, username: username, displayName: displayName, roles: roles)
        }
    }

    /// Changes an account's name, active flag and roles. A change of roles or of the active flag needs a reason.
    public static func update(userID: UUID, displayName: String, isActive: Bool, roles: Set<Role>, reason: String,
                              on db: any Database, actor: AuditActor, time: any TimeSource) async throws {
        var v = FieldValidator()
        let name = v.require(displayName, field: "displayName", label: "姓名", maxLength: 100)
        if roles.isEmpty {
            v.add(FieldError(code: "required", field: "roles", zh: "至少选择一个角色", en: "at least one role is required"))
        }
        try v.check()
        let reasonText = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let user = try await User.query(on: audit.db).filter(\.$id == userID).with(\.$roleAssignments).first()
            else { throw DomainError.notFound(what: "user") }
            let oldRoles = user.roles
            let before = user.auditedState(roles: oldRoles, now: time.now())
            if (oldRoles != roles || user.isActive != isActive) && reasonText.isEmpty {
                throw ValidationFailure([FieldError(code: "reason_required", field: "reason",
                                                    zh: "变更角色或启用状态须填写原因",
                                                    en: "a reason is required to change roles or the active flag")])
            }
            if actor.id == userID && oldRoles.contains(.administrator) && !roles.contains(.administrator) {
                throw DomainError.conflict(code: "own_admin_role", zh: "不能移除自己的系统管理员角色",
                                           en: "you cannot remove your own administrator role")
            }
            user.displayName = name
            user.isActive = isActive
            try await user.save(on: audit.db)
            for assignment in user.roleAssignments where !roles.contains(Role(rawValue: assignment.role) ?? .candidate) {
                try await assignment.delete(on: audit.db)
            }
            for role in roles.subtracting(oldRoles) {
                try await UserRoleAssignment(userID: userID, role: role).create(on: audit.db)
            }
            if !isActive { try await AuthSession.query(on: audit.db).filter(\.$user.$id == userID).delete() }
            let added = roles.subtracting(oldRoles).sorted().map { "+\($0.rawValue)" }
            let removed = oldRoles.subtracting(roles).sorted().map { "-\($0.rawValue)" }
            try await audit.record(AuditEvent(
                action: "user.update", targetType: "user", targetID: userID.uuidString,
                reason: reasonText.isEmpty ? nil : reasonText, before: before,
                after: user.auditedState(roles: roles, now: time.now()),
                details: (["roles: " + (added + removed).joined(separator: " ")] + (before.isActive != isActive
                    ? ["active: \(isActive)"] : [])).joined(separator: "; ")))
        }
    }

    /// Sets a new password for an account (by an administrator, with a reason, or by its owner after checking
    /// the current one). Ends the account's other sessions and clears a lockout.
    public static func setPassword(userID: UUID, newPassword: String, currentPassword: String? = nil, reason: String?,
                                   hasher: any PasswordHashing, on db: any Database, actor: AuditActor,
                                   time: any TimeSource) async throws {
        guard let user = try await User.find(userID, on: db) else { throw DomainError.notFound(what: "user") }
        if let currentPassword, !(try await hasher.verify(currentPassword, against: user.passwordHash)) {
            throw ValidationFailure([FieldError(code: "wrong_password", field: "currentPassword",
                                                zh: "当前密码不正确", en: "the current password is wrong")])
        }
        let problems = PasswordPolicy.problems(newPassword, username: user.username, field: "newPassword")
        if !problems.isEmpty { throw ValidationFailure(problems) }
        let hash = try await hasher.hash(newPassword)
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let user = try await User.find(userID, on: audit.db) else { throw DomainError.notFound(what: "user") }
            user.passwordHash = hash
            user.failedLogins = 0
            user.lockedUntil = nil
            try await user.save(on: audit.db)
            try await AuthSession.query(on: audit.db).filter(\.$user.$id == userID).delete()
            try await audit.record(AuditEvent(action: currentPassword == nil ? "user.password-reset" : "user.password-change",
                                              targetType: "user", targetID: userID.uuidString, reason: reason))
        }
    }

    /// Lifts a lockout before it expires.
    public static func unlock(userID: UUID, reason: String, on db: any Database, actor: AuditActor,
                              time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let user = try await User.find(userID, on: audit.db) else { throw DomainError.notFound(what: "user") }
            user.failedLogins = 0
            user.lockedUntil = nil
            try await user.save(on: audit.db)
            try await audit.record(AuditEvent(action: "user.unlock", targetType: "user", targetID: userID.uuidString,
                                              reason: reason.isEmpty ? nil : reason))
        }
    }

    /// Checks a username and password, applying the lockout rule. Lockouts are audited.
    public static func signIn(username: String, password: String, lockout: LoginLockout, hasher: any PasswordHashing,
                              on db: any Database, time: any TimeSource) async throws -> SignInResult {
        let name = username.trimmingCharacters(in: .whitespaces).lowercased()
        guard let user = try await User.query(on: db).filter(\.$username == name).with(\.$roleAssignments).first(),
              let id = user.id else {
            // Spend the same effort as a real check so that timing does not reveal which usernames exist.
            _ = try? await hasher.verify(password, against: dummyHash)
            return .invalidCredentials
        }
        let now = time.now()
        if LoginLockout.isLocked(until: user.lockedUntil, at: now), let until = user.lockedUntil {
            return .locked(until: until)
        }
        // Accounts created by batch registration have no password until the candidate claims them.
        let matches = user.passwordHash == Accounts.unclaimedPasswordHash ? false : try await hasher.verify(password, against: user.passwordHash)
        guard matches else {
            let failuresBefore = user.lockedUntil == nil ? user.failedLogins : 0
            switch lockout.fail(previousFailures: failuresBefore, at: now) {
            case .counted(let failures):
                user.failedLogins = failures
                user.lockedUntil = nil
                try await user.save(on: db)
                return .invalidCredentials
            case .locked(let until, let failures):
                try await AuditLog.transaction(on: db, actor: .system("login-throttle"), time: time) { audit in
                    user.failedLogins = failures
                    user.lockedUntil = until
                    try await user.save(on: audit.db)
                    try await audit.record(AuditEvent(
                        action: "auth.lockout", targetType: "user", targetID: id.uuidString,
                        details: "\(failures) consecutive failed sign-ins; locked until \(AuditRecord.timestamp(until))"))
                }
                return .locked(until: until)
            }
        }
        guard user.isActive else { return .inactive }
        user.failedLogins = 0
        user.lockedUntil = nil
        user.lastLoginAt = now
        try await user.save(on: db)
        return .success(SignedInUser(id: id, username: user.username, displayName: user.displayName, roles: user.roles))
    }

    /// Opens a session and returns its token (shown once; only its hash is stored).
    public static func openSession(for user: SignedInUser, kind: AuthSession.Kind, lifetime: TimeInterval,
                                   remoteAddress: String?, on db: any Database,
                                   time: any TimeSource) async throws -> (token: String, expiresAt: Date) {
        let token = randomToken()
        let now = time.now()
        let session = AuthSession(tokenHash: tokenHash(token), userID: user.id, kind: kind, createdAt: now,
                                  expiresAt: now + lifetime, remoteAddress: remoteAddress)
        try await session.create(on: db)
        return (token, session.expiresAt)
    }

    /// The user behind a session token of the given kind, if the session is live and the account active.
    public static func resolveSession(token: String, kind: AuthSession.Kind, on db: any Database,
                                      time: any TimeSource) async throws -> SignedInUser? {
        guard !token.isEmpty, token.count <= 200,
              let session = try await AuthSession.query(on: db).filter(\.$tokenHash == tokenHash(token))
                .filter(\.$kind == kind.rawValue).first(),
              session.expiresAt > time.now(),
              let user = try await User.query(on: db).filter(\.$id == session.$user.id).with(\.$roleAssignments).first(),
              user.isActive, let id = user.id
        else { return nil }
        return SignedInUser(id: id, username: user.username, displayName: user.displayName, roles: user.roles)
    }

    /// Ends a session.
    public static func closeSession(token: String, on db: any Database) async throws {
        try await AuthSession.query(on: db).filter(\.$tokenHash == tokenHash(token)).delete()
    }

    /// A page of accounts, newest first, optionally filtered by a search text and a role.
    public static func page(search: String?, role: Role?, page: Int, perPage: Int,
                            on db: any Database) async throws -> (users: [User], total: Int) {
        let query = User.query(on: db).with(\.$roleAssignments)
        if let s = search?.trimmingCharacters(in: .whitespaces), !s.isEmpty {
            query.group(.or) { $0.filter(\.$username ~~ s.lowercased()).filter(\.$displayName ~~ s) }
        }
        if let role {
            query.join(UserRoleAssignment.self, on: \UserRoleAssignment.$user.$id == \User.$id)
                .filter(UserRoleAssignment.self, \.$role == role.rawValue)
        }
        let total = try await query.count()
        let users = try await query.sort(\.$createdAt, .descending).sort(\.$username)
            .range(((page - 1) * perPage)..<(page * perPage)).all()
        return (users, total)
    }

    public static func randomToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func tokenHash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).hexString }

    /// A bcrypt hash of a random string, checked against when the username is unknown.
    /// The password hash of an account a batch registration created: nothing signs in with it.
    public static let unclaimedPasswordHash = "!unclaimed"

    static let dummyHash = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5Qf3v/3Y0dQzD9i5kH3l3b2CzFJz6u."
}
