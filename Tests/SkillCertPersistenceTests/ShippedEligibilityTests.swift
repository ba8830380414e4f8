import Foundation
import SkillCertCore
import Testing
@testable import SkillCertPersistence

/// Every alternative of every level of the three shipped standards, each with a profile that just meets it and one
/// that just misses it. Dates are counted to the evaluation date 2026-11-27.
@Suite("Eligibility of the shipped standards")
struct ShippedEligibilityTests {
    static let standards: [String: OccupationalStandard] = {
        Dictionary(uniqueKeysWithValues: ((try? StandardCodec.shipped()) ?? []).map { ($0.occupation.code, $0) })
    }()

    static let electrician = "6-31-01-03"
    static let labour = "4-07-03-02"
    static let trainer = "4-04-05-05"

    /// What a case expects of its alternative.
    enum Expect: Sendable, CustomStringConvertible {
        /// The alternative is met and the applicant is eligible.
        case met
        /// The alternative is not met; one unmet condition's label contains `condition` and shows `actual`.
        case unmet(condition: String, actual: String)

        var description: String {
            switch self {
            case .met: "met"
            case .unmet(let c, let a): "unmet \(c) = \(a)"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var code: String
        var level: Int
        var alternative: Int
        var expect: Expect
        var profile: ApplicantProfile
        var testDescription: String { "\(code) L\(level) #\(alternative) \(expect)" }
    }

    // Profile builders.
    static func d(_ s: String) -> LocalDate { LocalDate(iso: s)! }
    static func p(birth: String? = nil, apprentice: Bool = false, intends: Bool = false,
                  work: [(Relation, String, String?)] = [], certs: [(Int, String, Relation)] = [],
                  edu: [(SchoolType, ApplicantProfile.EducationStatus, Relation, Bool)] = [],
                  titles: [(TitleGrade, Relation)] = []) -> ApplicantProfile {
        ApplicantProfile(
            asOf: d("2026-11-27"), birthDate: birth.map(d), apprenticeshipCompleted: apprentice, intendsToWork: intends,
            work: work.map { .init(relation: $0.0, from: d($0.1), to: $0.2.map(d)) },
            certificates: certs.map { .init(kind: .skillLevel, relation: $0.2, level: Level($0.0), issuedOn: d($0.1)) },
            education: edu.map { .init(type: $0.0, majorRelation: $0.2, status: $0.1, assessed: $0.3,
                                       graduatedOn: $0.1 == .graduated ? d("2015-06-30") : nil) },
            titles: titles.map { .init(grade: $0.0, relation: $0.1, obtainedOn: d("2020-01-01")) })
    }
    static func work(since: String, _ r: Relation = .same) -> [(Relation, String, String?)] { [(r, since, nil)] }
    static let long = work(since: "2005-01-01")
    static let longRelated = work(since: "2005-01-01", .related)

    static func c(_ code: String, _ level: Int, _ alt: Int, _ expect: Expect, _ profile: ApplicantProfile) -> Case {
        Case(code: code, level: level, alternative: alt, expect: expect, profile: profile)
    }

    static let electricianCases: [Case] = {
        let E = electrician
        return [
            // 五级
            c(E, 5, 1, .met, p(work: work(since: "2025-11-28"))),
            c(E, 5, 1, .unmet(condition: "本职业工作年限", actual: "11 个月"), p(work: work(since: "2025-11-29"))),
            c(E, 5, 2, .met, p(apprentice: true)),
            c(E, 5, 2, .unmet(condition: "学徒期满", actual: "否"), p(work: work(since: "2025-11-29"))),
            // 四级
            c(E, 4, 1, .met, p(work: long, certs: [(5, "2022-11-27", .same)])),
            c(E, 4, 1, .unmet(condition: "五级证书后本职业工作年限", actual: "47 个月"), p(work: long, certs: [(5, "2022-11-28", .same)])),
            c(E, 4, 2, .met, p(work: work(since: "2020-11-28"))),
            c(E, 4, 2, .unmet(condition: "本职业工作年限", actual: "71 个月"), p(work: work(since: "2020-11-29"))),
            c(E, 4, 3, .met, p(edu: [(.secondaryVocational, .finalYear, .related, true)])),
            c(E, 4, 3, .unmet(condition: "毕业", actual: "中职（相关专业，已毕业）"), p(edu: [(.secondaryVocational, .graduated, .related, false)])),
            // 三级
            c(E, 3, 1, .met, p(work: long, certs: [(4, "2021-11-27", .same)])),
            c(E, 3, 1, .unmet(condition: "四级证书后本职业工作年限", actual: "59 个月"), p(work: long, certs: [(4, "2021-11-28", .same)])),
            c(E, 3, 2, .met, p(certs: [(4, "2026-01-01", .same)], edu: [(.technicianCollege, .finalYear, .same, false)])),
            c(E, 3, 2, .unmet(condition: "本职业四级/中级工及以上证书", actual: "五级/初级工"),
              p(certs: [(5, "2026-01-01", .same)], edu: [(.technicianCollege, .finalYear, .same, false)])),
            c(E, 3, 3, .met, p(certs: [(4, "2026-01-01", .same)], edu: [(.higherVocational, .graduated, .same, true)])),
            c(E, 3, 3, .unmet(condition: "经评估论证的高职", actual: "高职（本专业，已毕业）"),
              p(certs: [(4, "2026-01-01", .same)], edu: [(.higherVocational, .graduated, .same, false)])),
            c(E, 3, 4, .met, p(work: long, certs: [(4, "2024-11-27", .same)], edu: [(.bachelor, .graduated, .related, false)])),
            c(E, 3, 4, .unmet(condition: "四级证书后本职业工作年限", actual: "23 个月"),
              p(work: long, certs: [(4, "2024-11-28", .same)], edu: [(.bachelor, .graduated, .related, false)])),
            // 二级
            c(E, 2, 1, .met, p(work: long, certs: [(3, "2022-11-27", .same)])),
            c(E, 2, 1, .unmet(condition: "三级证书后本职业工作年限", actual: "47 个月"), p(work: long, certs: [(3, "2022-11-28", .same)])),
            c(E, 2, 2, .met, p(work: work(since: "2023-11-28"), certs: [(3, "2026-01-01", .same)],
                               edu: [(.seniorTechnicalSchool, .graduated, .same, false)])),
            c(E, 2, 2, .unmet(condition: "本职业工作年限", actual: "35 个月"), p(work: work(since: "2023-11-29"), certs: [(3, "2026-01-01", .same)],
                                                                        edu: [(.seniorTechnicalSchool, .graduated, .same, false)])),
            c(E, 2, 3, .met, p(work: work(since: "2024-11-28"), edu: [(.preparatoryTechnician, .graduated, .same, false)])),
            c(E, 2, 3, .unmet(condition: "预备技师班", actual: "预备技师班/技师班（本专业，应届）"),
              p(work: work(since: "2024-11-28"), edu: [(.preparatoryTechnician, .finalYear, .same, false)])),
            // 一级
            c(E, 1, 1, .met, p(work: long, certs: [(2, "2022-11-27", .same)])),
            c(E, 1, 1, .unmet(condition: "本职业二级/技师及以上证书", actual: "三级/高级工"), p(work: long, certs: [(3, "2010-01-01", .same)])),
        ]
    }()

    static let labourCases: [Case] = {
        let L = labour
        return [
            // 四级
            c(L, 4, 1, .met, p(work: work(since: "2022-11-28", .related))),
            c(L, 4, 1, .unmet(condition: "本职业或相关职业工作年限", actual: "47 个月"), p(work: work(since: "2022-11-29", .related))),
            c(L, 4, 2, .met, p(edu: [(.technicalSchool, .finalYear, .related, false)])),
            c(L, 4, 2, .unmet(condition: "技工学校", actual: "技工学校（相关专业，在读）"), p(edu: [(.technicalSchool, .enrolled, .related, false)])),
            c(L, 4, 3, .met, p(edu: [(.bachelor, .enrolled, .related, false)])),
            c(L, 4, 3, .unmet(condition: "在校生", actual: "本科（其他专业，在读）"), p(edu: [(.bachelor, .enrolled, .other, false)])),
            // 三级
            c(L, 3, 1, .met, p(work: longRelated, certs: [(4, "2021-11-27", .same)])),
            c(L, 3, 1, .unmet(condition: "四级证书后本职业或相关职业工作年限", actual: "59 个月"), p(work: longRelated, certs: [(4, "2021-11-28", .same)])),
            c(L, 3, 2, .met, p(certs: [(4, "2026-01-01", .same)], edu: [(.seniorTechnicalSchool, .finalYear, .same, false)])),
            c(L, 3, 2, .unmet(condition: "本职业四级/中级工及以上证书", actual: "无"),
              p(certs: [(4, "2026-01-01", .related)], edu: [(.seniorTechnicalSchool, .finalYear, .same, false)])),
            c(L, 3, 3, .met, p(certs: [(4, "2026-01-01", .same)], edu: [(.higherVocational, .finalYear, .related, true)])),
            c(L, 3, 3, .unmet(condition: "经评估论证的高职", actual: "高职（相关专业，应届）"),
              p(certs: [(4, "2026-01-01", .same)], edu: [(.higherVocational, .finalYear, .related, false)])),
            c(L, 3, 4, .met, p(work: longRelated, certs: [(4, "2024-11-27", .same)], edu: [(.juniorCollege, .graduated, .same, false)])),
            c(L, 3, 4, .unmet(condition: "四级证书后本职业或相关职业工作年限", actual: "23 个月"),
              p(work: longRelated, certs: [(4, "2024-11-28", .same)], edu: [(.juniorCollege, .graduated, .same, false)])),
            c(L, 3, 5, .met, p(work: longRelated, certs: [(4, "2025-11-27", .same)], edu: [(.bachelor, .graduated, .same, false)])),
            c(L, 3, 5, .unmet(condition: "四级证书后本职业或相关职业工作年限", actual: "11 个月"),
              p(work: longRelated, certs: [(4, "2025-11-28", .same)], edu: [(.bachelor, .graduated, .same, false)])),
            c(L, 3, 6, .met, p(edu: [(.master, .finalYear, .related, false)])),
            c(L, 3, 6, .unmet(condition: "硕士", actual: "硕士（相关专业，在读）"), p(edu: [(.master, .enrolled, .related, false)])),
            // 二级
            c(L, 2, 1, .met, p(work: longRelated, certs: [(3, "2022-11-27", .same)])),
            c(L, 2, 1, .unmet(condition: "三级证书后本职业或相关职业工作年限", actual: "47 个月"), p(work: longRelated, certs: [(3, "2022-11-28", .same)])),
            c(L, 2, 2, .met, p(work: work(since: "2023-11-28", .related), certs: [(3, "2026-01-01", .same)],
                               edu: [(.technicianCollege, .graduated, .same, false)])),
            c(L, 2, 2, .unmet(condition: "本职业或相关职业工作年限", actual: "35 个月"),
              p(work: work(since: "2023-11-29", .related), certs: [(3, "2026-01-01", .same)], edu: [(.technicianCollege, .graduated, .same, false)])),
            c(L, 2, 3, .met, p(work: work(since: "2024-11-28", .related), edu: [(.preparatoryTechnician, .graduated, .related, false)])),
            c(L, 2, 3, .unmet(condition: "本职业或相关职业工作年限", actual: "23 个月"),
              p(work: work(since: "2024-11-29", .related), edu: [(.preparatoryTechnician, .graduated, .related, false)])),
            c(L, 2, 4, .met, p(work: longRelated, certs: [(3, "2024-11-27", .same)], edu: [(.bachelor, .graduated, .same, false)])),
            c(L, 2, 4, .unmet(condition: "三级证书后本职业或相关职业工作年限", actual: "23 个月"),
              p(work: longRelated, certs: [(3, "2024-11-28", .same)], edu: [(.bachelor, .graduated, .same, false)])),
            c(L, 2, 5, .met, p(work: longRelated, certs: [(3, "2025-11-27", .same)], edu: [(.master, .graduated, .same, false)])),
            c(L, 2, 5, .unmet(condition: "三级证书后本职业或相关职业工作年限", actual: "11 个月"),
              p(work: longRelated, certs: [(3, "2025-11-28", .same)], edu: [(.master, .graduated, .same, false)])),
            c(L, 2, 6, .met, p(work: work(since: "2024-11-28", .related), edu: [(.doctor, .graduated, .related, false)])),
            c(L, 2, 6, .unmet(condition: "博士", actual: "博士（相关专业，应届）"),
              p(work: work(since: "2024-11-28", .related), edu: [(.doctor, .finalYear, .related, false)])),
            // 一级
            c(L, 1, 1, .met, p(work: longRelated, certs: [(2, "2022-11-27", .same)])),
            c(L, 1, 1, .unmet(condition: "二级证书后本职业或相关职业工作年限", actual: "47 个月"), p(work: longRelated, certs: [(2, "2022-11-28", .same)])),
        ]
    }()

    static let trainerCases: [Case] = {
        let A = trainer
        return [
            // 五级
            c(A, 5, 1, .met, p(birth: "2010-11-27", intends: true)),
            c(A, 5, 1, .unmet(condition: "年龄", actual: "15 周岁"), p(birth: "2010-11-28", intends: true)),
            // 四级
            c(A, 4, 1, .met, p(work: work(since: "2021-11-28", .related))),
            c(A, 4, 1, .unmet(condition: "本职业或相关职业工作年限", actual: "59 个月"), p(work: work(since: "2021-11-29", .related))),
            c(A, 4, 2, .met, p(work: long, certs: [(5, "2023-11-27", .same)])),
            c(A, 4, 2, .unmet(condition: "五级证书后本职业或相关职业工作年限", actual: "35 个月"), p(work: long, certs: [(5, "2023-11-28", .same)])),
            c(A, 4, 3, .met, p(edu: [(.secondaryVocational, .finalYear, .same, false)])),
            c(A, 4, 3, .unmet(condition: "毕业", actual: "中职（其他专业，应届）"), p(edu: [(.secondaryVocational, .finalYear, .other, false)])),
            // 三级
            c(A, 3, 1, .met, p(work: work(since: "2016-11-28", .related))),
            c(A, 3, 1, .unmet(condition: "本职业或相关职业工作年限", actual: "119 个月"), p(work: work(since: "2016-11-29", .related))),
            c(A, 3, 2, .met, p(work: long, certs: [(4, "2022-11-27", .same)])),
            c(A, 3, 2, .unmet(condition: "四级证书后本职业或相关职业工作年限", actual: "47 个月"), p(work: long, certs: [(4, "2022-11-28", .same)])),
            c(A, 3, 3, .met, p(work: work(since: "2025-11-28", .related), titles: [(.junior, .related)])),
            c(A, 3, 3, .unmet(condition: "本职业或相关职业工作年限", actual: "11 个月"), p(work: work(since: "2025-11-29", .related), titles: [(.junior, .related)])),
            c(A, 3, 4, .met, p(edu: [(.technicianCollege, .finalYear, .same, false)])),
            c(A, 3, 4, .unmet(condition: "毕业", actual: "技工学校（本专业，已毕业）"), p(edu: [(.technicalSchool, .graduated, .same, false)])),
            c(A, 3, 5, .met, p(certs: [(4, "2026-01-01", .same)], edu: [(.juniorCollege, .graduated, .same, false)])),
            c(A, 3, 5, .unmet(condition: "本职业四级/中级工及以上证书", actual: "五级/初级工"),
              p(certs: [(5, "2026-01-01", .same)], edu: [(.juniorCollege, .graduated, .same, false)])),
            c(A, 3, 6, .met, p(edu: [(.bachelor, .graduated, .same, true)])),
            c(A, 3, 6, .unmet(condition: "经评估论证的本科", actual: "本科（本专业，已毕业）"), p(edu: [(.bachelor, .graduated, .same, false)])),
            // 二级
            c(A, 2, 1, .met, p(work: long, certs: [(3, "2021-11-27", .same)])),
            c(A, 2, 1, .unmet(condition: "三级证书后本职业或相关职业工作年限", actual: "59 个月"), p(work: long, certs: [(3, "2021-11-28", .same)])),
            c(A, 2, 2, .met, p(work: long, certs: [(3, "2025-11-27", .same)], titles: [(.junior, .same)])),
            c(A, 2, 2, .unmet(condition: "三级证书后本职业或相关职业工作年限", actual: "11 个月"),
              p(work: long, certs: [(3, "2025-11-28", .same)], titles: [(.junior, .same)])),
            c(A, 2, 3, .met, p(work: work(since: "2025-11-28", .related), titles: [(.intermediate, .same)])),
            c(A, 2, 3, .unmet(condition: "专业技术职称", actual: "初级职称"), p(work: work(since: "2025-11-28", .related), titles: [(.junior, .same)])),
            c(A, 2, 4, .met, p(work: work(since: "2024-11-28", .related), certs: [(3, "2026-01-01", .same)],
                               edu: [(.technicianCollege, .graduated, .same, false)])),
            c(A, 2, 4, .unmet(condition: "本职业或相关职业工作年限", actual: "23 个月"),
              p(work: work(since: "2024-11-29", .related), certs: [(3, "2026-01-01", .same)], edu: [(.technicianCollege, .graduated, .same, false)])),
            // 一级
            c(A, 1, 1, .met, p(work: long, certs: [(2, "2021-11-27", .same)])),
            c(A, 1, 1, .unmet(condition: "二级证书后本职业或相关职业工作年限", actual: "59 个月"), p(work: long, certs: [(2, "2021-11-28", .same)])),
            c(A, 1, 2, .met, p(work: long, certs: [(2, "2025-11-27", .same)], titles: [(.intermediate, .related)])),
            c(A, 1, 2, .unmet(condition: "专业技术职称", actual: "初级职称"), p(work: long, certs: [(2, "2025-11-27", .same)], titles: [(.junior, .related)])),
            c(A, 1, 3, .met, p(work: work(since: "2025-11-28", .related), titles: [(.senior, .related)])),
            c(A, 1, 3, .unmet(condition: "专业技术职称", actual: "无"), p(work: work(since: "2025-11-28", .related), titles: [(.senior, .other)])),
        ]
    }()

    static let allCases = electricianCases + labourCases + trainerCases

    @Test("each case meets or just misses its alternative", arguments: allCases)
    func alternative(_ c: Case) throws {
        let standard = try #require(Self.standards[c.code])
        let decision = try #require(EligibilityEngine.evaluate(c.profile, standard: standard, level: Level(c.level)))
        let alt = try #require(decision.alternatives.first { $0.index == c.alternative })
        // The batch import evaluates against the standard with its sentences written out once: the same decision.
        #expect(EligibilityEngine.evaluate(c.profile, standard: EligibilityEngine.described(standard), level: Level(c.level)) == decision)
        // It decides without the conditions' texts unless no alternative is met: the same verdict and explanation.
        let decided = try #require(EligibilityEngine.decide(c.profile, standard: EligibilityEngine.described(standard), level: Level(c.level)))
        #expect(decided.eligible == decision.eligible && decided.explanationZH == decision.explanationZH)
        switch c.expect {
        case .met:
            #expect(alt.satisfied, "unmet: \(alt.unmet.map(\.summary))")
            #expect(decision.eligible)
            #expect(decision.matchedAlternative != nil)
        case .unmet(let condition, let actual):
            #expect(!alt.satisfied)
            #expect(alt.unmet.contains { $0.condition.contains(condition) && $0.actual == actual },
                    "unmet conditions were: \(alt.unmet.map { "\($0.condition) = \($0.actual)" })")
        }
    }

    @Test("the table covers every alternative of every level of the three shipped standards, met and unmet")
    func coverage() throws {
        #expect(Self.standards.count == 3)
        for (code, standard) in Self.standards {
            for spec in standard.levels {
                for index in 1...spec.eligibility.count {
                    let cases = Self.allCases.filter { $0.code == code && $0.level == spec.level.number && $0.alternative == index }
                    #expect(cases.contains { if case .met = $0.expect { true } else { false } }, "\(code) L\(spec.level.number) #\(index) has no met case")
                    #expect(cases.contains { if case .unmet = $0.expect { true } else { false } }, "\(code) L\(spec.level.number) #\(index) has no unmet case")
                }
            }
        }
    }

    @Test("a higher certificate satisfies a condition asking for a lower one, and old qualification certificates count")
    func higherCertificate() throws {
        let standard = try #require(Self.standards[Self.electrician])
        let profile = Self.p(work: Self.long, certs: [(2, "2019-01-01", .same)])
        let decision = try #require(EligibilityEngine.evaluate(profile, standard: standard, level: Level(3)))
        #expect(decision.matchedAlternative == 1)  // level 2 certificate counts as level 4, work after it ≥ 5 years
        var old = profile
        old.certificates = [.init(kind: .qualification, relation: .same, level: Level(4), issuedOn: Self.d("2012-05-01"),
                                  number: "1234567890123456")]
        #expect(EligibilityEngine.evaluate(old, standard: standard, level: Level(3))?.matchedAlternative == 1)
    }

    @Test("with several qualifying certificates the one giving the most months is used")
    func bestCertificate() throws {
        let standard = try #require(Self.standards[Self.electrician])
        // Level 4 issued 2023 (too recent) and level 3 issued 2020: the level 3 one gives 5+ years after it.
        let profile = Self.p(work: Self.long, certs: [(4, "2023-01-01", .same), (3, "2020-06-30", .same)])
        let decision = try #require(EligibilityEngine.evaluate(profile, standard: standard, level: Level(3)))
        #expect(decision.matchedAlternative == 1)
    }

    @Test("the explanation names each unmet condition with its actual and required value")
    func explanation() throws {
        let standard = try #require(Self.standards[Self.electrician])
        let profile = Self.p(work: Self.long, certs: [(4, "2023-09-30", .same)])
        let decision = try #require(EligibilityEngine.evaluate(profile, standard: standard, level: Level(3)))
        #expect(!decision.eligible)
        #expect(decision.explanationZH.contains("不符合 电工 三级/高级工 申报条件"))
        #expect(decision.explanationZH.contains("四级证书后本职业工作年限：37 / 60 个月"))
    }
}

@Suite("Several certificates")
struct SeveralCertificatesTests {
    @Test("the highest certificate held is the one a certificate condition sees")
    func highestCounts() throws {
        let standard = try #require(try StandardCodec.shipped().first { $0.occupation.code == "6-31-01-03" })
        // 五级 and 三级 held: the 三级 one satisfies "四级 or higher".
        let profile = ShippedEligibilityTests.p(certs: [(5, "2010-01-01", .same), (3, "2026-01-01", .same)],
                                                edu: [(.technicianCollege, .finalYear, .same, false)])
        let decision = try #require(EligibilityEngine.evaluate(profile, standard: standard, level: Level(3)))
        let alt = try #require(decision.alternatives.first { $0.index == 2 })
        #expect(alt.satisfied, "\(alt.unmet.map(\.summary))")
        #expect(alt.outcomes.first?.actual == "三级/高级工")
    }
}
