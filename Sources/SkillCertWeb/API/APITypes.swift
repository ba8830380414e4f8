import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// `POST /api/v1/auth/login` body.
struct LoginRequest: Content {
    var username: String
    var password: String
}

/// An account as the API shows it.
struct UserDTO: Content {
    var id: UUID
    var username: String
    var displayName: String
    var roles: [String]
    var isActive: Bool
    var locked: Bool
    var lastLoginAt: Date?
    var createdAt: Date?

    init(_ u: SignedInUser) {
        id = u.id
        username = u.username
        displayName = u.displayName
        roles = u.roles.sorted().map(\.rawValue)
        isActive = true
        locked = false
    }

    init(_ u: User, now: Date) throws {
        id = try u.requireID()
        username = u.username
        displayName = u.displayName
        roles = u.roles.sorted().map(\.rawValue)
        isActive = u.isActive
        locked = LoginLockout.isLocked(until: u.lockedUntil, at: now)
        lastLoginAt = u.lastLoginAt
        createdAt = u.createdAt
    }
}

struct LoginResponse: Content {
    var token: String
    var tokenType: String
    var expiresAt: Date
    var user: UserDTO
}

struct UserCreateRequest: Content {
    var username: String
    var displayName: String
    var password: String
    var roles: [String]
}

struct UserUpdateRequest: Content {
    var displayName: String
    var isActive: Bool
    var roles: [String]
    var reason: String?
}

struct UserPage: Content {
    var items: [UserDTO]
    var total: Int
    var page: Int
    var perPage: Int
}

struct BodyUpdateRequest: Content {
    var type: String
    var code: String
    var name: String
    var provinceCode: String
    var sites: [CertificationBody.Site]
    var reason: String?
}

struct SettingDTO: Content {
    var key: String
    var value: Int
    var defaultValue: Int
    var minimum: Int
    var maximum: Int
    var label: String
}

struct SettingUpdateRequest: Content {
    var value: Int
    var reason: String?
}

struct CalendarDayDTO: Content {
    var date: String
    var kind: String
    var name: String
}

struct CalendarYearDTO: Content {
    var year: Int
    var days: [CalendarDayDTO]
}

struct WorkingDaysDTO: Content {
    var from: String
    var to: String
    var workingDays: Int?
    var addedWorkingDays: Int?
}

struct AuditEntryDTO: Content {
    var sequence: Int
    var occurredAt: String
    var actorId: String?
    var actorName: String
    var action: String
    var targetType: String
    var targetId: String?
    var reason: String?
    var beforeDigest: String?
    var afterDigest: String?
    var details: String
    var previousHash: String
    var hash: String

    init(_ r: AuditRecord) {
        sequence = r.sequence
        occurredAt = r.occurredAt
        actorId = r.actorID
        actorName = r.actorName
        action = r.action
        targetType = r.targetType
        targetId = r.targetID
        reason = r.reason
        beforeDigest = r.beforeDigest
        afterDigest = r.afterDigest
        details = r.details
        previousHash = r.previousHash
        hash = r.hash
    }
}

struct AuditPage: Content {
    var items: [AuditEntryDTO]
    var total: Int
    var page: Int
    var perPage: Int
}

struct AuditVerification: Content {
    var ok: Bool
    var checked: Int
    var brokenAt: Int?
    var problem: String?
}

struct HealthDTO: Content {
    var status: String
    var database: String?
}

extension Request {
    /// Decodes a JSON body, turning a wrong content type into a clear 415.
    func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        guard headers.first(name: .contentType).map(Self.isJSONMediaType) == true else {
            throw WebError(.unsupportedMediaType, code: "unsupported_media_type", zh: "请求内容须为 JSON",
                           en: "the body must be application/json")
        }
        // The configured JSON decoder straight on the body: `content.decode` would parse the content type again to
        // find the same decoder (a tenth of an autosave's time).
        guard let body = body.data else { return try content.decode(T.self) }
        return try ContentConfiguration.global.requireDecoder(for: .json).decode(T.self, from: body, headers: headers)
    }

    /// `application/json`, with or without parameters, in any letter case.
    static func isJSONMediaType(_ value: String) -> Bool {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}

/// Parses role names, naming the bad one.
func parseRoles(_ names: [String], field: String = "roles") throws -> Set<Role> {
    var roles = Set<Role>()
    for (i, name) in names.enumerated() {
        guard let role = Role(rawValue: name) else {
            throw WebError.badField("\(field)[\(i)]", code: "unknown_role", zh: "未知角色 \(name)",
                                    en: "unknown role '\(name)'; expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        roles.insert(role)
    }
    return roles
}
