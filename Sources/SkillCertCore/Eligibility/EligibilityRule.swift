/// How closely a piece of work, a certificate, a major or a title must match the occupation.
public enum MatchScope: String, Codable, Sendable, CaseIterable {
    /// 本职业 / 本专业.
    case same
    /// 本职业或相关职业 / 本专业或相关专业.
    case sameOrRelated = "same-or-related"
    /// Any (no requirement).
    case any

    /// Whether an entry with relation `relation` counts.
    public func accepts(_ relation: Relation) -> Bool {
        switch self {
        case .same: relation == .same
        case .sameOrRelated: relation != .other
        case .any: true
        }
    }

    var occupationZH: String {
        switch self {
        case .same: "本职业"
        case .sameOrRelated: "本职业或相关职业"
        case .any: "任意职业"
        }
    }

    var majorZH: String {
        switch self {
        case .same: "本专业"
        case .sameOrRelated: "本专业或相关专业"
        case .any: ""
        }
    }
}

/// How an applicant's work, certificate, major or title relates to the occupation.
public enum Relation: String, Codable, Sendable, CaseIterable {
    case same, related, other
}

/// School types of the applicant-profile format.
public enum SchoolType: String, Codable, Sendable, CaseIterable {
    case technicalSchool = "technical-school"
    case seniorTechnicalSchool = "senior-technical-school"
    case technicianCollege = "technician-college"
    case preparatoryTechnician = "preparatory-technician"
    case secondaryVocational = "secondary-vocational"
    case higherVocational = "higher-vocational"
    case juniorCollege = "junior-college"
    case bachelor
    case master
    case doctor

    public var nameZH: String {
        switch self {
        case .technicalSchool: "技工学校"
        case .seniorTechnicalSchool: "高级技工学校"
        case .technicianCollege: "技师学院"
        case .preparatoryTechnician: "预备技师班/技师班"
        case .secondaryVocational: "中职"
        case .higherVocational: "高职"
        case .juniorCollege: "大专/专科"
        case .bachelor: "本科"
        case .master: "硕士"
        case .doctor: "博士"
        }
    }
}

/// Professional title grades, lowest first.
public enum TitleGrade: String, Codable, Sendable, CaseIterable, Comparable {
    case junior, intermediate, senior

    public var nameZH: String {
        switch self {
        case .junior: "初级"
        case .intermediate: "中级"
        case .senior: "高级"
        }
    }

    public static func < (a: TitleGrade, b: TitleGrade) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A certificate a condition refers to: of `level` or higher, matching the occupation within `relation`.
public struct CertificateRequirement: Codable, Sendable, Equatable {
    public var level: Level
    public var relation: MatchScope

    public init(level: Level, relation: MatchScope = .same) {
        self.level = level
        self.relation = relation
    }

    enum CodingKeys: String, CodingKey { case level, relation }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        level = try c.decode(Level.self, forKey: .level)
        relation = try c.decodeIfPresent(MatchScope.self, forKey: .relation) ?? .same
    }
}

/// One condition of an eligibility alternative.
public enum EligibilityCondition: Sendable, Equatable {
    /// Cumulative work of at least `years` in the scope; counted only after a qualifying certificate when `after` is set.
    case work(years: Int, relation: MatchScope, after: CertificateRequirement?)
    /// Holds a 职业资格 or 职业技能等级 certificate of the level or higher.
    case certificate(CertificateRequirement)
    /// 学徒期满.
    case apprenticeship
    /// Graduate of one of `schools` with a major in scope; `finalYear` admits 应届 students;
    /// the types in `assessedOnly` count only when 经评估论证.
    case graduate(schools: [SchoolType], major: MatchScope, finalYear: Bool, assessedOnly: [SchoolType])
    /// Enrolled (or final-year) student of one of `schools` with a major in scope.
    case enrolled(schools: [SchoolType], major: MatchScope)
    /// Holds a professional title of the grade or higher in scope.
    case title(grade: TitleGrade, relation: MatchScope)
    /// At least this age in whole years.
    case minimumAge(Int)
    /// Works in, or intends to work in, the occupation.
    case worksOrIntendsToWork
}

extension EligibilityCondition: Codable {
    private enum Key: String, CodingKey, CaseIterable {
        case work, certificate, apprenticeship, graduate, enrolled, title, minimumAge, worksOrIntendsToWork
    }

    private struct WorkBody: Codable {
        var years: Int
        var relation: MatchScope?
        var afterCertificate: CertificateRequirement?
    }

    private struct GraduateBody: Codable {
        var schools: [SchoolType]
        var major: MatchScope?
        var finalYear: Bool?
        var assessedOnly: [SchoolType]?
    }

    private struct EnrolledBody: Codable {
        var schools: [SchoolType]
        var major: MatchScope?
    }

    private struct TitleBody: Codable {
        var grade: TitleGrade
        var relation: MatchScope?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a condition is a map with exactly one of: \(Key.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        switch key {
        case .work:
            let b = try c.decode(WorkBody.self, forKey: .work)
            self = .work(years: b.years, relation: b.relation ?? .same, after: b.afterCertificate)
        case .certificate:
            self = .certificate(try c.decode(CertificateRequirement.self, forKey: .certificate))
        case .apprenticeship:
            self = .apprenticeship
        case .graduate:
            let b = try c.decode(GraduateBody.self, forKey: .graduate)
            self = .graduate(schools: b.schools, major: b.major ?? .sameOrRelated, finalYear: b.finalYear ?? false,
                             assessedOnly: b.assessedOnly ?? [])
        case .enrolled:
            let b = try c.decode(EnrolledBody.self, forKey: .enrolled)
            self = .enrolled(schools: b.schools, major: b.major ?? .sameOrRelated)
        case .title:
            let b = try c.decode(TitleBody.self, forKey: .title)
            self = .title(grade: b.grade, relation: b.relation ?? .sameOrRelated)
        case .minimumAge:
            self = .minimumAge(try c.decode(Int.self, forKey: .minimumAge))
        case .worksOrIntendsToWork:
            self = .worksOrIntendsToWork
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .work(let years, let relation, let after):
            try c.encode(WorkBody(years: years, relation: relation, afterCertificate: after), forKey: .work)
        case .certificate(let r):
            try c.encode(r, forKey: .certificate)
        case .apprenticeship:
            try c.encode(true, forKey: .apprenticeship)
        case .graduate(let schools, let major, let finalYear, let assessedOnly):
            try c.encode(GraduateBody(schools: schools, major: major, finalYear: finalYear,
                                      assessedOnly: assessedOnly.isEmpty ? nil : assessedOnly), forKey: .graduate)
        case .enrolled(let schools, let major):
            try c.encode(EnrolledBody(schools: schools, major: major), forKey: .enrolled)
        case .title(let grade, let relation):
            try c.encode(TitleBody(grade: grade, relation: relation), forKey: .title)
        case .minimumAge(let age):
            try c.encode(age, forKey: .minimumAge)
        case .worksOrIntendsToWork:
            try c.encode(true, forKey: .worksOrIntendsToWork)
        }
    }
}

/// One alternative of a level's 申报条件: all of its conditions must hold.
public struct EligibilityAlternative: Codable, Sendable, Equatable {
    /// The standard's own wording, where it is worth keeping; otherwise one is generated.
    public var text: String?
    public var all: [EligibilityCondition]

    public init(text: String? = nil, all: [EligibilityCondition]) {
        self.text = text
        self.all = all
    }
}
