import Foundation

/// The facts about an applicant that eligibility depends on (`shared/domain.md`, applicant profile).
public struct ApplicantProfile: Sendable, Equatable {
    public var asOf: LocalDate
    public var birthDate: LocalDate?
    public var apprenticeshipCompleted: Bool
    public var intendsToWork: Bool
    public var work: [WorkPeriod]
    public var certificates: [HeldCertificate]
    public var education: [Education]
    public var titles: [Title]

    public init(asOf: LocalDate, birthDate: LocalDate? = nil, apprenticeshipCompleted: Bool = false,
                intendsToWork: Bool = false, work: [WorkPeriod] = [], certificates: [HeldCertificate] = [],
                education: [Education] = [], titles: [Title] = []) {
        self.asOf = asOf
        self.birthDate = birthDate
        self.apprenticeshipCompleted = apprenticeshipCompleted
        self.intendsToWork = intendsToWork
        self.work = work
        self.certificates = certificates
        self.education = education
        self.titles = titles
    }

    public struct WorkPeriod: Sendable, Equatable {
        public var relation: Relation
        public var from: LocalDate
        /// nil: still working (runs to `asOf`).
        public var to: LocalDate?
        public init(relation: Relation, from: LocalDate, to: LocalDate?) {
            self.relation = relation
            self.from = from
            self.to = to
        }
    }

    public enum CertificateKind: String, Sendable, CaseIterable {
        /// 职业技能等级证书.
        case skillLevel = "skill-level"
        /// 职业资格证书 (including old 16-digit numbers).
        case qualification
    }

    public struct HeldCertificate: Sendable, Equatable {
        public var kind: CertificateKind
        public var relation: Relation
        public var level: Level
        public var issuedOn: LocalDate
        public var number: String?
        public init(kind: CertificateKind = .skillLevel, relation: Relation, level: Level, issuedOn: LocalDate,
                    number: String? = nil) {
            self.kind = kind
            self.relation = relation
            self.level = level
            self.issuedOn = issuedOn
            self.number = number
        }
    }

    public enum EducationStatus: String, Sendable, CaseIterable {
        case graduated
        case finalYear = "final-year"
        case enrolled
    }

    public struct Education: Sendable, Equatable {
        public var type: SchoolType
        public var majorRelation: Relation
        public var status: EducationStatus
        public var assessed: Bool
        public var graduatedOn: LocalDate?
        public init(type: SchoolType, majorRelation: Relation, status: EducationStatus, assessed: Bool = false,
                    graduatedOn: LocalDate? = nil) {
            self.type = type
            self.majorRelation = majorRelation
            self.status = status
            self.assessed = assessed
            self.graduatedOn = graduatedOn
        }
    }

    public struct Title: Sendable, Equatable {
        public var grade: TitleGrade
        public var relation: Relation
        public var obtainedOn: LocalDate
        public init(grade: TitleGrade, relation: Relation, obtainedOn: LocalDate) {
            self.grade = grade
            self.relation = relation
            self.obtainedOn = obtainedOn
        }
    }
}

/// The profile exactly as it arrives in JSON, every value optional and loosely typed, so that `parse` can name
/// each bad value by its path instead of failing on the first.
public struct RawApplicantProfile: Codable, Sendable {
    public var asOf: String?
    public var birthDate: String?
    public var apprenticeshipCompleted: Bool?
    public var intendsToWork: Bool?
    public var work: [RawWork]?
    public var certificates: [RawCertificate]?
    public var education: [RawEducation]?
    public var titles: [RawTitle]?

    public struct RawWork: Codable, Sendable {
        public var relation: String?
        public var from: String?
        public var to: String?
        public init(relation: String?, from: String?, to: String?) {
            self.relation = relation
            self.from = from
            self.to = to
        }
    }

    public struct RawCertificate: Codable, Sendable {
        public var kind: String?
        public var relation: String?
        public var level: Int?
        public var issuedOn: String?
        public var number: String?
        public init(kind: String?, relation: String?, level: Int?, issuedOn: String?, number: String?) {
            self.kind = kind
            self.relation = relation
            self.level = level
            self.issuedOn = issuedOn
            self.number = number
        }
    }

    public struct RawEducation: Codable, Sendable {
        public var type: String?
        public var majorRelation: String?
        public var status: String?
        public var assessed: Bool?
        public var graduatedOn: String?
        public init(type: String?, majorRelation: String?, status: String?, assessed: Bool?, graduatedOn: String?) {
            self.type = type
            self.majorRelation = majorRelation
            self.status = status
            self.assessed = assessed
            self.graduatedOn = graduatedOn
        }
    }

    public struct RawTitle: Codable, Sendable {
        public var grade: String?
        public var relation: String?
        public var obtainedOn: String?
        public init(grade: String?, relation: String?, obtainedOn: String?) {
            self.grade = grade
            self.relation = relation
            self.obtainedOn = obtainedOn
        }
    }

    public init() {}

    /// Validates every field and builds the profile; `prefix` is the JSON path of the profile (`profile`).
    /// `today` fills a missing `asOf`.
    public func parse(prefix: String = "profile", today: LocalDate) throws -> ApplicantProfile {
        var errors: [FieldError] = []
        func path(_ p: String) -> String { prefix.isEmpty ? p : "\(prefix).\(p)" }
        func date(_ text: String?, _ field: @autoclosure () -> String, required: Bool) -> LocalDate? {
            guard let text else {
                if required { errors.append(FieldError(code: "required", field: path(field()), zh: "\(path(field())) 不能为空", en: "\(path(field())) is required")) }
                return nil
            }
            guard let d = LocalDate(iso: text) else {
                errors.append(FieldError(code: "invalid_date", field: path(field()),
                                         zh: "\(path(field())) 不是有效日期（应为 YYYY-MM-DD）：\(text)",
                                         en: "\(path(field())) is not a valid YYYY-MM-DD date: \(text)"))
                return nil
            }
            return d
        }
        func choice<E: RawRepresentable>(_ text: String?, _ field: @autoclosure () -> String, _: E.Type, default def: E? = nil) -> E?
            where E.RawValue == String, E: CaseIterable {
            guard let text else {
                if let def { return def }
                errors.append(FieldError(code: "required", field: path(field()), zh: "\(path(field())) 不能为空", en: "\(path(field())) is required"))
                return nil
            }
            guard let v = E(rawValue: text) else {
                let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
                errors.append(FieldError(code: "unknown_value", field: path(field()),
                                         zh: "\(path(field())) 的取值“\(text)”无效，可选：\(allowed)",
                                         en: "\(path(field())) has an unknown value '\(text)'; expected one of \(allowed)"))
                return nil
            }
            return v
        }
        func notAfter(_ d: LocalDate?, _ limit: LocalDate?, _ field: @autoclosure () -> String, zh: String, en: String) {
            if let d, let limit, d > limit {
                errors.append(FieldError(code: "in_future", field: path(field()), zh: "\(path(field()))：\(zh)", en: "\(path(field())): \(en)"))
            }
        }

        let asOf = asOf == nil ? today : date(asOf, "asOf", required: true)
        if let a = asOf, a.dayNumber > today.dayNumber + 366 || a.year < 1950 {
            errors.append(FieldError(code: "out_of_range", field: path("asOf"),
                                     zh: "\(path("asOf"))：评估日期应在 1950 年之后、今天起一年以内",
                                     en: "\(path("asOf")) must be after 1950 and at most a year from today"))
        }
        let birth = date(birthDate, "birthDate", required: false)
        notAfter(birth, asOf, "birthDate", zh: "出生日期晚于评估日期", en: "birth date is after asOf")

        var work: [ApplicantProfile.WorkPeriod] = []
        for (i, w) in (self.work ?? []).enumerated() {
            let relation = choice(w.relation, "work[\(i)].relation", Relation.self)
            let from = date(w.from, "work[\(i)].from", required: true)
            let to = date(w.to, "work[\(i)].to", required: false)
            if let from, let to, to < from {
                errors.append(FieldError(code: "range_reversed", field: path("work[\(i)].to"),
                                         zh: "\(path("work[\(i)].to"))：结束日期 \(to) 早于开始日期 \(from)",
                                         en: "\(path("work[\(i)].to")): the period ends (\(to)) before it starts (\(from))"))
            }
            notAfter(from, asOf, "work[\(i)].from", zh: "开始日期晚于评估日期", en: "starts after asOf")
            if let relation, let from { work.append(.init(relation: relation, from: from, to: to)) }
        }
        var certificates: [ApplicantProfile.HeldCertificate] = []
        for (i, c) in (self.certificates ?? []).enumerated() {
            let kind = choice(c.kind, "certificates[\(i)].kind", ApplicantProfile.CertificateKind.self, default: .skillLevel)
            let relation = choice(c.relation, "certificates[\(i)].relation", Relation.self)
            var level: Level?
            if let n = c.level {
                if Level(n).isKnown { level = Level(n) } else {
                    errors.append(FieldError(code: "unknown_level", field: path("certificates[\(i)].level"),
                                             zh: "\(path("certificates[\(i)].level"))：未知等级 \(n)",
                                             en: "\(path("certificates[\(i)].level")): unknown level \(n)"))
                }
            } else {
                errors.append(FieldError(code: "required", field: path("certificates[\(i)].level"),
                                         zh: "\(path("certificates[\(i)].level")) 不能为空", en: "\(path("certificates[\(i)].level")) is required"))
            }
            let issued = date(c.issuedOn, "certificates[\(i)].issuedOn", required: true)
            notAfter(issued, asOf.map { min($0, today) } ?? today, "certificates[\(i)].issuedOn",
                     zh: "发证日期晚于今天或评估日期", en: "the certificate is issued in the future or after asOf")
            if let number = c.number, number.count > 40 || number.isEmpty {
                errors.append(FieldError(code: "invalid_format", field: path("certificates[\(i)].number"),
                                         zh: "\(path("certificates[\(i)].number"))：证书编号应为 1–40 个字符",
                                         en: "\(path("certificates[\(i)].number")) must be 1–40 characters"))
            }
            if let kind, let relation, let level, let issued {
                certificates.append(.init(kind: kind, relation: relation, level: level, issuedOn: issued, number: c.number))
            }
        }
        var education: [ApplicantProfile.Education] = []
        for (i, e) in (self.education ?? []).enumerated() {
            let type = choice(e.type, "education[\(i)].type", SchoolType.self)
            let major = choice(e.majorRelation, "education[\(i)].majorRelation", Relation.self)
            let status = choice(e.status, "education[\(i)].status", ApplicantProfile.EducationStatus.self)
            let graduated = date(e.graduatedOn, "education[\(i)].graduatedOn", required: false)
            if status == .graduated {
                notAfter(graduated, asOf, "education[\(i)].graduatedOn", zh: "已毕业但毕业日期晚于评估日期",
                         en: "graduated, but the graduation date is after asOf")
            }
            if let type, let major, let status {
                education.append(.init(type: type, majorRelation: major, status: status, assessed: e.assessed ?? false,
                                       graduatedOn: graduated))
            }
        }
        var titles: [ApplicantProfile.Title] = []
        for (i, t) in (self.titles ?? []).enumerated() {
            let grade = choice(t.grade, "titles[\(i)].grade", TitleGrade.self)
            let relation = choice(t.relation, "titles[\(i)].relation", Relation.self)
            let obtained = date(t.obtainedOn, "titles[\(i)].obtainedOn", required: true)
            notAfter(obtained, asOf, "titles[\(i)].obtainedOn", zh: "取得日期晚于评估日期", en: "obtained after asOf")
            if let grade, let relation, let obtained { titles.append(.init(grade: grade, relation: relation, obtainedOn: obtained)) }
        }
        if !errors.isEmpty { throw ValidationFailure(errors) }
        guard let asOf else { throw ValidationFailure(errors) }
        return ApplicantProfile(asOf: asOf, birthDate: birth, apprenticeshipCompleted: apprenticeshipCompleted ?? false,
                                intendsToWork: intendsToWork ?? false, work: work, certificates: certificates,
                                education: education, titles: titles)
    }
}
