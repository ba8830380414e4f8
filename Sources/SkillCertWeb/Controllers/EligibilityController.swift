import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// `POST /api/v1/eligibility/check` body.
struct EligibilityCheckRequest: Content {
    var occupationCode: String
    var edition: String
    var level: Int
    var profile: RawApplicantProfile
}

struct UnmetConditionDTO: Content {
    var condition: String
    var required: String
    var actual: String
}

struct AlternativeDTO: Content {
    var index: Int
    var description: String
    var satisfied: Bool
    var unmet: [UnmetConditionDTO]
}

/// The explained decision.
struct EligibilityDecisionDTO: Content {
    var eligible: Bool
    var matchedAlternative: Int?
    var alternatives: [AlternativeDTO]
    var explanation: String

    init(_ d: EligibilityDecision) {
        eligible = d.eligible
        matchedAlternative = d.matchedAlternative
        alternatives = d.alternatives.map { a in
            AlternativeDTO(index: a.index, description: a.description, satisfied: a.satisfied,
                           unmet: a.unmet.map { UnmetConditionDTO(condition: $0.condition, required: $0.required, actual: $0.actual) })
        }
        explanation = d.explanationZH
    }

    func encode(to encoder: any Encoder) throws {
        // matchedAlternative is always present: null when nothing matched.
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(eligible, forKey: .eligible)
        try c.encode(matchedAlternative, forKey: .matchedAlternative)
        try c.encode(alternatives, forKey: .alternatives)
        try c.encode(explanation, forKey: .explanation)
    }
}

/// Deciding eligibility by a standard's rules: the shared check, the API and the staff page.
enum EligibilityController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "eligibility", access: .anyOf(Roles.staff), use: page)
        r.endpoint(.POST, "eligibility", access: .anyOf(Roles.staff), use: pageCheck)
        r.endpoint(.POST, "api/v1/eligibility/check", access: .signedIn,
                   api: APIDoc("Decide an applicant's eligibility for a level, explaining every alternative",
                               tag: "eligibility", request: "EligibilityCheckRequest", response: "EligibilityDecision",
                               errors: [400, 415, 422]),
                   use: apiCheck)
    }

    /// Looks up the standard and level and evaluates; every bad input is a `ValidationFailure` naming its path.
    static func check(occupationCode: String, edition: String, level: Int, profile raw: RawApplicantProfile,
                      req: Request) async throws -> EligibilityDecision {
        let row = try await StandardStore.find(code: occupationCode, edition: edition, on: req.db)
        let standard = try row.standard()
        let lvl = Level(level)
        guard standard.spec(for: lvl) != nil else {
            let offered = standard.offeredLevels.map(\.shortName).joined(separator: "、")
            throw ValidationFailure([FieldError(code: "level_not_offered", field: "level",
                                                zh: "\(standard.occupation.name) \(edition) 版标准不设 \(lvl.isKnown ? lvl.shortName : "\(level) 级")（设有：\(offered)）",
                                                en: "\(occupationCode) edition \(edition) does not offer level \(level) (offers \(standard.offeredLevels.map { String($0.number) }.joined(separator: ", ")))")])
        }
        let profile = try raw.parse(today: req.time.now().chinaLocalDate)
        guard let decision = EligibilityEngine.evaluate(profile, standard: standard, level: lvl) else {
            throw DomainError.notFound(what: "level")
        }
        return decision
    }

    /// `POST /api/v1/eligibility/check`.
    @Sendable static func apiCheck(req: Request) async throws -> EligibilityDecisionDTO {
        let body = try req.decodeJSON(EligibilityCheckRequest.self)
        return EligibilityDecisionDTO(try await check(occupationCode: body.occupationCode, edition: body.edition,
                                                      level: body.level, profile: body.profile, req: req))
    }

    struct CheckForm: Content {
        var standard: String?
        var level: String?
        var profileJSON: String?
        var mode: String?
        var asOf: String?
        var birthDate: String?
        var apprenticeshipCompleted: String?
        var intendsToWork: String?
        var work: [WorkRow]?
        var certificates: [CertificateRow]?
        var education: [EducationRow]?
        var titles: [TitleRow]?

        struct WorkRow: Content { var relation: String?; var from: String?; var to: String? }
        struct CertificateRow: Content {
            var kind: String?; var relation: String?; var level: String?; var issuedOn: String?; var number: String?
        }
        struct EducationRow: Content {
            var type: String?; var majorRelation: String?; var status: String?; var assessed: String?; var graduatedOn: String?
        }
        struct TitleRow: Content { var grade: String?; var relation: String?; var obtainedOn: String? }

        static func blank(_ s: String?) -> String? {
            guard let s = s?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }

        /// The profile the fill-in form describes; rows left empty are skipped. Bad values are kept as typed, so the
        /// parser names them by their path.
        var filledProfile: RawApplicantProfile {
            var p = RawApplicantProfile()
            p.asOf = Self.blank(asOf)
            p.birthDate = Self.blank(birthDate)
            p.apprenticeshipCompleted = apprenticeshipCompleted == "on"
            p.intendsToWork = intendsToWork == "on"
            p.work = (work ?? []).filter { Self.blank($0.from) != nil || Self.blank($0.to) != nil }
                .map { .init(relation: $0.relation, from: Self.blank($0.from), to: Self.blank($0.to)) }
            p.certificates = (certificates ?? []).filter { Self.blank($0.issuedOn) != nil || Self.blank($0.level) != nil }
                .map { .init(kind: $0.kind, relation: $0.relation, level: Self.blank($0.level).flatMap { Int($0) },
                             issuedOn: Self.blank($0.issuedOn), number: Self.blank($0.number)) }
            p.education = (education ?? []).filter { Self.blank($0.type) != nil }
                .map { .init(type: $0.type, majorRelation: $0.majorRelation, status: $0.status, assessed: $0.assessed == "on",
                             graduatedOn: Self.blank($0.graduatedOn)) }
            p.titles = (titles ?? []).filter { Self.blank($0.obtainedOn) != nil || Self.blank($0.grade) != nil }
                .map { .init(grade: $0.grade, relation: $0.relation, obtainedOn: Self.blank($0.obtainedOn)) }
            return p
        }
    }

    static let example = """
        {
          "asOf": "2026-11-27",
          "birthDate": "1995-03-02",
          "apprenticeshipCompleted": false,
          "intendsToWork": true,
          "work": [{"relation": "same", "from": "2016-07-01", "to": null}],
          "certificates": [{"kind": "skill-level", "relation": "same", "level": 4, "issuedOn": "2023-09-30"}],
          "education": [{"type": "junior-college", "majorRelation": "related", "status": "graduated", "assessed": false, "graduatedOn": "2016-06-30"}],
          "titles": []
        }
        """

    /// The page: choose a standard and level, paste or edit a profile, see the explained decision.
    @Sendable static func page(req: Request) async throws -> Response {
        try await render(req, form: CheckForm(level: "3", asOf: req.time.now().chinaLocalDate.description), decision: nil, errors: [])
    }

    static func render(_ req: Request, form: CheckForm, decision: EligibilityDecision?, errors: [FieldError],
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let standards = try await StandardStore.list(on: req.db).filter { $0.statusValue != .draft }
        let options = standards.map { ($0.id?.uuidString ?? "", "\($0.occupationCode) \($0.occupationName)（\($0.edition) 版）") }
        let selected = form.standard ?? standards.first { $0.occupationCode == "6-31-01-03" }?.id?.uuidString ?? ""
        let levels = (1...5).reversed().map { (String($0), Level($0).fullName) }
        var result = ""
        if let d = decision {
            let rows = d.alternatives.map { a -> String in
                let unmet = a.unmet.map { "<li>\(esc($0.summary))</li>" }.joined()
                return "<tr class=\"\(a.satisfied ? "ok" : "")\"><td>\(a.index)</td><td>\(esc(a.description))</td><td>\(a.satisfied ? "<span class=\"badge ok\">\(req.tr("满足", "met"))</span>" : "<span class=\"badge bad\">\(req.tr("未满足", "not met"))</span>")</td><td><ul>\(unmet)</ul></td></tr>"
            }.joined()
            result = """
                <div class="alert \(d.eligible ? "alert-ok" : "alert-error")" id="decision"><strong>\(d.eligible ? req.tr("符合申报条件", "Eligible") : req.tr("不符合申报条件", "Not eligible"))</strong>
                <pre class="explanation">\(esc(d.explanationZH))</pre></div>
                <table id="alternatives"><thead><tr><th>#</th><th>\(req.tr("申报条件", "Alternative"))</th><th>\(req.tr("结果", "Result"))</th><th>\(req.tr("未满足的条件（实际 / 要求）", "Unmet (actual / required)"))</th></tr></thead><tbody>\(rows)</tbody></table>
                """
        }
        let content = """
            <p class="muted">\(req.tr("按职业技能标准的申报条件逐条判定，并说明每一条满足与否。资料格式见申报人信息格式说明（JSON）。", "Checks each alternative of the standard's eligibility rules and explains the outcome."))</p>
            \(H.errorSummary(errors, req: req))\(result)
            <form method="post" action="/eligibility">\(H.csrf(req))
            \(H.select(req.tr("职业与标准版本", "Occupation and edition"), name: "standard", options: options, selected: selected, errors: errors, req: req))
            \(H.select(req.tr("申报等级", "Level"), name: "level", options: levels, selected: form.level ?? "3", errors: errors, req: req))
            \(fillInForm(req, form))
            <details\(form.mode == "json" ? " open" : "")><summary>\(req.tr("或粘贴 JSON（格式见申报人信息格式说明）", "Or paste JSON (applicant-profile format)"))</summary>
            <div class="field"><label><input type="radio" name="mode" value="json"\(form.mode == "json" ? " checked" : "")> \(req.tr("按 JSON 判定", "Use the JSON"))</label>
            <label><input type="radio" name="mode" value="form"\(form.mode == "json" ? "" : " checked")> \(req.tr("按上方表单判定", "Use the form above"))</label></div>
            <textarea id="f-profileJSON" name="profileJSON" rows="14" cols="100" class="mono">\(esc(form.profileJSON ?? example))</textarea></details>
            <div class="actions"><button type="submit" id="check">\(req.tr("判定", "Check"))</button></div></form>
            """
        let response = Layout.page(req, title: req.tr("申报条件判定", "Eligibility check"), active: "/eligibility", content)
        response.status = status
        return response
    }

    /// The fill-in form: dates, flags, and a few rows each of work, certificates, education and titles.
    static func fillInForm(_ req: Request, _ f: CheckForm, datesFromProfile: Bool = false) -> String {
        func opt(_ pairs: [(String, String)], _ selected: String?) -> String {
            pairs.map { "<option value=\"\($0.0)\"\($0.0 == selected ? " selected" : "")>\(esc($0.1))</option>" }.joined()
        }
        let relations = [("same", req.tr("本职业/本专业", "same")), ("related", req.tr("相关", "related")), ("other", req.tr("其他", "other"))]
        let levels = (1...5).reversed().map { (String($0), Level($0).fullName) }
        let schools = SchoolType.allCases.map { ($0.rawValue, $0.nameZH) }
        let statuses = [("graduated", req.tr("已毕业", "graduated")), ("final-year", req.tr("应届", "final year")), ("enrolled", req.tr("在读", "enrolled"))]
        let grades = TitleGrade.allCases.map { ($0.rawValue, $0.nameZH) }
        func input(_ name: String, _ value: String?, type: String = "date") -> String {
            "<input type=\"\(type)\" name=\"\(name)\" value=\"\(esc(value ?? ""))\">"
        }
        var work = ""
        for i in 0..<3 {
            let r = f.work?[safe: i]
            work += "<tr><td><select name=\"work[\(i)][relation]\">\(opt(relations, r?.relation))</select></td><td>\(input("work[\(i)][from]", r?.from))</td><td>\(input("work[\(i)][to]", r?.to))</td></tr>"
        }
        var certs = ""
        for i in 0..<3 {
            let r = f.certificates?[safe: i]
            certs += "<tr><td><select name=\"certificates[\(i)][kind]\">\(opt([("skill-level", req.tr("技能等级证书", "skill level")), ("qualification", req.tr("职业资格证书", "qualification"))], r?.kind))</select></td><td><select name=\"certificates[\(i)][relation]\">\(opt(relations, r?.relation))</select></td><td><select name=\"certificates[\(i)][level]\"><option value=\"\"></option>\(opt(levels, r?.level))</select></td><td>\(input("certificates[\(i)][issuedOn]", r?.issuedOn))</td><td>\(input("certificates[\(i)][number]", r?.number, type: "text"))</td></tr>"
        }
        var edu = ""
        for i in 0..<2 {
            let r = f.education?[safe: i]
            edu += "<tr><td><select name=\"education[\(i)][type]\"><option value=\"\"></option>\(opt(schools, r?.type))</select></td><td><select name=\"education[\(i)][majorRelation]\">\(opt(relations, r?.majorRelation))</select></td><td><select name=\"education[\(i)][status]\">\(opt(statuses, r?.status))</select></td><td><input type=\"checkbox\" name=\"education[\(i)][assessed]\"\(r?.assessed == "on" ? " checked" : "")></td><td>\(input("education[\(i)][graduatedOn]", r?.graduatedOn))</td></tr>"
        }
        var titles = ""
        for i in 0..<2 {
            let r = f.titles?[safe: i]
            titles += "<tr><td><select name=\"titles[\(i)][grade]\"><option value=\"\"></option>\(opt(grades, r?.grade))</select></td><td><select name=\"titles[\(i)][relation]\">\(opt(relations, r?.relation))</select></td><td>\(input("titles[\(i)][obtainedOn]", r?.obtainedOn))</td></tr>"
        }
        return """
            <h2>\(datesFromProfile ? req.tr("学历、工作经历、证书和职称", "Education, work, certificates and titles") : req.tr("申报人信息", "Applicant"))</h2>
            <div class="filters">\(datesFromProfile ? "" : H.field(req.tr("评估日期", "Evaluated on"), name: "asOf", value: f.asOf ?? "", type: "date", req: req))
            \(datesFromProfile ? "" : H.field(req.tr("出生日期", "Birth date"), name: "birthDate", value: f.birthDate ?? "", type: "date", req: req))
            <label><input type="checkbox" name="apprenticeshipCompleted"\(f.apprenticeshipCompleted == "on" ? " checked" : "")> \(req.tr("学徒期满", "Apprenticeship completed"))</label>
            <label><input type="checkbox" name="intendsToWork"\(f.intendsToWork == "on" ? " checked" : "")> \(req.tr("从事或准备从事本职业", "Works or intends to work in it"))</label></div>
            <h3>\(req.tr("工作经历（结束日期留空表示至今）", "Work (leave the end empty if ongoing)"))</h3>
            <table class="form-grid"><thead><tr><th>\(req.tr("与本职业关系", "Relation"))</th><th>\(req.tr("开始", "From"))</th><th>\(req.tr("结束", "To"))</th></tr></thead><tbody>\(work)</tbody></table>
            <h3>\(req.tr("已取得的证书", "Certificates held"))</h3>
            <table class="form-grid"><thead><tr><th>\(req.tr("证书类型", "Kind"))</th><th>\(req.tr("职业关系", "Relation"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("发证日期", "Issued on"))</th><th>\(req.tr("证书编号（可选，旧版 16 位职业资格证书编号亦可）", "Number (optional; old 16-digit numbers accepted)"))</th></tr></thead><tbody>\(certs)</tbody></table>
            <h3>\(req.tr("学历", "Education"))</h3>
            <table class="form-grid"><thead><tr><th>\(req.tr("学校类型", "School"))</th><th>\(req.tr("专业关系", "Major"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("经评估论证", "Assessed"))</th><th>\(req.tr("毕业日期", "Graduated on"))</th></tr></thead><tbody>\(edu)</tbody></table>
            <h3>\(req.tr("专业技术职称", "Professional titles"))</h3>
            <table class="form-grid"><thead><tr><th>\(req.tr("级别", "Grade"))</th><th>\(req.tr("专业关系", "Relation"))</th><th>\(req.tr("取得日期", "Obtained on"))</th></tr></thead><tbody>\(titles)</tbody></table>
            """
    }

    /// Evaluates the pasted profile and shows the decision (or the named problems).
    @Sendable static func pageCheck(req: Request) async throws -> Response {
        let form = try req.content.decode(CheckForm.self)
        do {
            guard let id = form.standard.flatMap(UUID.init(uuidString:)) else {
                throw ValidationFailure([.required("standard", label: req.tr("职业与标准版本", "standard"))])
            }
            guard let level = form.level.flatMap({ Int($0) }) else {
                throw ValidationFailure([.required("level", label: req.tr("申报等级", "level"))])
            }
            let row = try await StandardStore.find(id: id, on: req.db)
            var raw = form.filledProfile
            if form.mode == "json" {
                do {
                    raw = try JSONDecoder().decode(RawApplicantProfile.self, from: Data((form.profileJSON ?? "").utf8))
                } catch let e as DecodingError {
                    var error = ErrorMapper.decodingError(e)
                    error.field = "profileJSON"
                    throw ValidationFailure([error])
                }
            }
            let decision = try await check(occupationCode: row.occupationCode, edition: row.edition, level: level,
                                           profile: raw, req: req)
            return try await render(req, form: form, decision: decision, errors: [])
        } catch let failure as ValidationFailure {
            return try await render(req, form: form, decision: nil, errors: failure.errors, status: .unprocessableEntity)
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension EligibilityController.CheckForm {
    /// The form showing a recorded profile (the candidate's background).
    init(level: String? = nil, raw p: RawApplicantProfile) {
        self.level = level
        asOf = p.asOf
        birthDate = p.birthDate
        apprenticeshipCompleted = p.apprenticeshipCompleted == true ? "on" : nil
        intendsToWork = p.intendsToWork == true ? "on" : nil
        work = p.work?.map { WorkRow(relation: $0.relation, from: $0.from, to: $0.to) }
        certificates = p.certificates?.map { CertificateRow(kind: $0.kind, relation: $0.relation, level: $0.level.map(String.init),
                                                            issuedOn: $0.issuedOn, number: $0.number) }
        education = p.education?.map { EducationRow(type: $0.type, majorRelation: $0.majorRelation, status: $0.status,
                                                    assessed: $0.assessed == true ? "on" : nil, graduatedOn: $0.graduatedOn) }
        titles = p.titles?.map { TitleRow(grade: $0.grade, relation: $0.relation, obtainedOn: $0.obtainedOn) }
    }
}
