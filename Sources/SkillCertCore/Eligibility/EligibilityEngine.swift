/// The outcome of checking one condition, with the values a reviewer needs to see why.
public struct ConditionOutcome: Sendable, Equatable {
    public var satisfied: Bool
    /// What is checked, e.g. `四级证书后本职业工作年限`.
    public var condition: String
    /// e.g. `60 个月`.
    public var required: String
    /// e.g. `38 个月`.
    public var actual: String
    /// Set when required and actual share a unit (`个月`), for the short form `38 / 60 个月`.
    public var unit: String?

    /// `四级证书后本职业工作年限：38 / 60 个月`.
    public var summary: String {
        if let unit, actual.hasSuffix(unit), required.hasSuffix(unit) {
            return "\(condition)：\(actual.dropLast(unit.count).trimmingCharacters(in: .whitespaces)) / \(required)"
        }
        if required == "是" {
            return ["否", "无"].contains(actual) ? "\(condition)：不满足" : "\(condition)：不满足（现有：\(actual)）"
        }
        return "\(condition)：现有 \(actual)，要求 \(required)"
    }
}

/// The outcome of one alternative.
public struct AlternativeOutcome: Sendable, Equatable {
    /// From 1, as the standard numbers them.
    public var index: Int
    public var description: String
    public var satisfied: Bool
    public var outcomes: [ConditionOutcome]
    public var unmet: [ConditionOutcome] { outcomes.filter { !$0.satisfied } }
}

/// An explained eligibility decision.
public struct EligibilityDecision: Sendable, Equatable {
    public var eligible: Bool
    /// The first alternative that is met (from 1), or nil.
    public var matchedAlternative: Int?
    public var alternatives: [AlternativeOutcome]
    public var occupationName: String
    public var level: Level

    /// The decision in Chinese, as the page and the command line show it.
    public var explanationZH: String {
        var lines: [String] = []
        let head = "\(occupationName) \(level.fullName)"
        if let m = matchedAlternative, let alt = alternatives.first(where: { $0.index == m }) {
            lines.append("结论：符合 \(head) 申报条件（第 \(m) 条：\(alt.description)）")
        } else {
            lines.append("结论：不符合 \(head) 申报条件，\(alternatives.count) 条申报条件均未满足：")
            for alt in alternatives {
                lines.append("第 \(alt.index) 条：\(alt.description)")
                for u in alt.unmet { lines.append("    ✗ \(u.summary)") }
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// Decides eligibility by a level's rules, explaining every alternative.
public enum EligibilityEngine {
    public static func evaluate(_ profile: ApplicantProfile, standard: OccupationalStandard, level: Level) -> EligibilityDecision? {
        evaluate(profile, standard: standard, level: level, explained: true)
    }

    /// The decision and its explanation (`explanationZH`), as `evaluate` gives them. The texts of each condition's
    /// outcome, which only a profile that meets no alternative shows, are built only for such a profile: a batch
    /// import decides 100,000 profiles, and most meet one.
    public static func decide(_ profile: ApplicantProfile, standard: OccupationalStandard, level: Level) -> (eligible: Bool, explanationZH: String)? {
        guard let bare = evaluate(profile, standard: standard, level: level, explained: false) else { return nil }
        let decision = bare.eligible ? bare : evaluate(profile, standard: standard, level: level, explained: true)!
        return (decision.eligible, decision.explanationZH)
    }

    /// With `explained` false every outcome has only `satisfied`, its texts left empty.
    static func evaluate(_ profile: ApplicantProfile, standard: OccupationalStandard, level: Level, explained: Bool) -> EligibilityDecision? {
        guard let spec = standard.spec(for: level) else { return nil }
        let alternatives = spec.eligibility.enumerated().map { i, alt -> AlternativeOutcome in
            let outcomes = alt.all.map { check($0, profile: profile, explained: explained) }
            return AlternativeOutcome(index: i + 1, description: alt.text ?? describe(alt),
                                      satisfied: outcomes.allSatisfy(\.satisfied), outcomes: outcomes)
        }
        let matched = alternatives.first(where: \.satisfied)?.index
        return EligibilityDecision(eligible: matched != nil, matchedAlternative: matched, alternatives: alternatives,
                                   occupationName: standard.occupation.name, level: level)
    }

    /// The standard with every alternative's sentence written out, so that evaluating many applicants against it
    /// (a batch import) builds each sentence once instead of once per applicant. Evaluates exactly as `standard`.
    public static func described(_ standard: OccupationalStandard) -> OccupationalStandard {
        var copy = standard
        for l in copy.levels.indices {
            for a in copy.levels[l].eligibility.indices where copy.levels[l].eligibility[a].text == nil {
                copy.levels[l].eligibility[a].text = describe(copy.levels[l].eligibility[a])
            }
        }
        return copy
    }

    /// A sentence for an alternative built from its conditions.
    public static func describe(_ alt: EligibilityAlternative) -> String {
        alt.all.map(phrase).joined(separator: "，")
    }

    static func certificateName(_ r: CertificateRequirement) -> String {
        "\(r.relation == .same ? "本职业" : "本职业或相关职业")\(r.level.fullName)及以上证书"
    }

    static func schoolsName(_ schools: [SchoolType], assessedOnly: [SchoolType]) -> String {
        schools.map { assessedOnly.contains($0) ? "经评估论证的\($0.nameZH)" : $0.nameZH }.joined(separator: "、")
    }

    static func phrase(_ c: EligibilityCondition) -> String {
        switch c {
        case .work(let years, let relation, let after):
            if let after { return "取得\(after.level.shortName)证书后累计从事\(relation.occupationZH)工作满 \(years) 年" }
            return "累计从事\(relation.occupationZH)工作满 \(years) 年"
        case .certificate(let r): return "取得\(certificateName(r))"
        case .apprenticeship: return "学徒期满"
        case .graduate(let schools, let major, let finalYear, let assessedOnly):
            return "取得\(schoolsName(schools, assessedOnly: assessedOnly))\(major.majorZH)毕业证书\(finalYear ? "（含应届毕业生）" : "")"
        case .enrolled(let schools, let major):
            return "\(schools.map(\.nameZH).joined(separator: "、"))\(major.majorZH)在校生"
        case .title(let grade, let relation):
            return "取得\(relation == .same ? "本专业" : "本专业或相关专业")\(grade.nameZH)及以上专业技术职称"
        case .minimumAge(let age): return "年满 \(age) 周岁"
        case .worksOrIntendsToWork: return "从事或准备从事本职业"
        }
    }

    static func check(_ c: EligibilityCondition, profile p: ApplicantProfile, explained: Bool) -> ConditionOutcome {
        /// The outcome without its texts, when they are not wanted.
        func bare(_ satisfied: Bool) -> ConditionOutcome? {
            explained ? nil : ConditionOutcome(satisfied: satisfied, condition: "", required: "", actual: "")
        }
        switch c {
        case .work(let years, let relation, let after):
            let periods = p.work.filter { relation.accepts($0.relation) }
            let months: Int
            if let after {
                let qualifying = p.certificates.filter { $0.level.satisfies(after.level) && after.relation.accepts($0.relation) }
                months = qualifying.map { WorkTime.months(of: periods, asOf: p.asOf, after: $0.issuedOn) }.max() ?? 0
            } else {
                months = WorkTime.months(of: periods, asOf: p.asOf)
            }
            let met = months >= years * 12
            if let outcome = bare(met) { return outcome }
            let label = after.map { "\($0.level.shortName)证书后\(relation.occupationZH)工作年限" } ?? "\(relation.occupationZH)工作年限"
            return ConditionOutcome(satisfied: met, condition: label, required: "\(years * 12) 个月",
                                    actual: "\(months) 个月", unit: "个月")
        case .certificate(let r):
            let held = p.certificates.filter { r.relation.accepts($0.relation) }
            let best = held.map(\.level).max()  // the highest level held (Level orders a higher level as greater)
            let met = best.map { $0.satisfies(r.level) } ?? false
            if let outcome = bare(met) { return outcome }
            return ConditionOutcome(satisfied: met, condition: certificateName(r),
                                    required: "\(r.level.fullName)或更高", actual: best?.fullName ?? "无")
        case .apprenticeship:
            return ConditionOutcome(satisfied: p.apprenticeshipCompleted, condition: "学徒期满", required: "是",
                                    actual: p.apprenticeshipCompleted ? "是" : "否")
        case .graduate(let schools, let major, let finalYear, let assessedOnly):
            let match = p.education.first { e in
                schools.contains(e.type) && major.accepts(e.majorRelation)
                    && (!assessedOnly.contains(e.type) || e.assessed)
                    && (e.status == .graduated || (finalYear && e.status == .finalYear))
            }
            if let outcome = bare(match != nil) { return outcome }
            let label = "\(schoolsName(schools, assessedOnly: assessedOnly))\(major.majorZH)毕业\(finalYear ? "（含应届）" : "")"
            return ConditionOutcome(satisfied: match != nil, condition: label, required: "是",
                                    actual: match.map(describeEducation) ?? nearestEducation(p.education))
        case .enrolled(let schools, let major):
            let match = p.education.first { e in
                schools.contains(e.type) && major.accepts(e.majorRelation) && e.status != .graduated
            }
            if let outcome = bare(match != nil) { return outcome }
            return ConditionOutcome(satisfied: match != nil,
                                    condition: "\(schools.map(\.nameZH).joined(separator: "、"))\(major.majorZH)在校生",
                                    required: "是", actual: match.map(describeEducation) ?? nearestEducation(p.education))
        case .title(let grade, let relation):
            let best = p.titles.filter { relation.accepts($0.relation) }.map(\.grade).max()
            let met = best.map { $0 >= grade } ?? false
            if let outcome = bare(met) { return outcome }
            return ConditionOutcome(satisfied: met,
                                    condition: "\(relation == .same ? "本专业" : "本专业或相关专业")专业技术职称",
                                    required: "\(grade.nameZH)或更高", actual: best.map { "\($0.nameZH)职称" } ?? "无")
        case .minimumAge(let age):
            guard let born = p.birthDate else {
                return ConditionOutcome(satisfied: false, condition: "年龄", required: "≥ \(age) 周岁", actual: "未提供出生日期")
            }
            let years = WorkTime.age(born: born, on: p.asOf)
            if let outcome = bare(years >= age) { return outcome }
            return ConditionOutcome(satisfied: years >= age, condition: "年龄", required: "\(age) 周岁",
                                    actual: "\(years) 周岁", unit: "周岁")
        case .worksOrIntendsToWork:
            let working = p.work.contains { $0.relation == .same && ($0.to == nil || $0.to! >= p.asOf) }
            if let outcome = bare(working || p.intendsToWork) { return outcome }
            return ConditionOutcome(satisfied: working || p.intendsToWork, condition: "从事或准备从事本职业", required: "是",
                                    actual: working ? "在职从事本职业" : p.intendsToWork ? "准备从事本职业" : "否")
        }
    }

    static func describeEducation(_ e: ApplicantProfile.Education) -> String {
        let status = switch e.status {
        case .graduated: "已毕业"
        case .finalYear: "应届"
        case .enrolled: "在读"
        }
        let major = switch e.majorRelation {
        case .same: "本专业"
        case .related: "相关专业"
        case .other: "其他专业"
        }
        return "\(e.assessed ? "经评估论证的" : "")\(e.type.nameZH)（\(major)，\(status)）"
    }

    static func nearestEducation(_ list: [ApplicantProfile.Education]) -> String {
        list.isEmpty ? "无" : list.map(describeEducation).joined(separator: "；")
    }
}
