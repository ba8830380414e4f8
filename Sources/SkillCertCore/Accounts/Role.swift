/// A role a user holds. Staff roles are the body's departments (`shared/domain.md`); a user may hold several.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    case administrator
    case leadership
    case coordination
    case examAffairs = "exam-affairs"
    case itemExaminer = "item-examiner"
    case certificate
    case supervision
    case examiner
    case supervisor
    case candidate

    /// The name the Chinese pages show.
    public var nameZH: String {
        switch self {
        case .administrator: "系统管理员"
        case .leadership: "认定工作领导小组"
        case .coordination: "统筹部门"
        case .examAffairs: "考务部门"
        case .itemExaminer: "命题与考评部门"
        case .certificate: "证书管理部门"
        case .supervision: "监督与质控部门"
        case .examiner: "考评员"
        case .supervisor: "督导员"
        case .candidate: "考生"
        }
    }

    /// The name the English pages show.
    public var nameEN: String {
        switch self {
        case .administrator: "Administrator"
        case .leadership: "Leadership group"
        case .coordination: "Coordination"
        case .examAffairs: "Exam affairs"
        case .itemExaminer: "Items & examiners"
        case .certificate: "Certificates"
        case .supervision: "Supervision & QC"
        case .examiner: "Examiner"
        case .supervisor: "Supervisor"
        case .candidate: "Candidate"
        }
    }

    /// Roles held by the body's own staff (departments and administration).
    public static let staff: Set<Role> = [.administrator, .leadership, .coordination, .examAffairs,
                                          .itemExaminer, .certificate, .supervision]

    public static func < (a: Role, b: Role) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Who may use a route. Declared once per route; the web layer enforces it and the authorisation test reads it.
public enum Access: Sendable, Equatable, CustomStringConvertible {
    /// Anyone, signed in or not.
    case everyone
    /// Any signed-in user.
    case signedIn
    /// A signed-in user holding at least one of these roles.
    case anyOf(Set<Role>)
    /// The holder of an exam token from the exam sign-in (checked by the route itself, not by account roles).
    case examToken

    /// Whether a user holding `roles` (nil: not signed in) may pass.
    public func allows(_ roles: Set<Role>?) -> Bool {
        switch self {
        case .everyone, .examToken: return true
        case .signedIn: return roles != nil
        case .anyOf(let required):
            guard let roles else { return false }
            return !required.isDisjoint(with: roles)
        }
    }

    public var description: String {
        switch self {
        case .everyone: "everyone"
        case .signedIn: "signed-in"
        case .examToken: "exam-token"
        case .anyOf(let roles): roles.sorted().map(\.rawValue).joined(separator: "|")
        }
    }
}
