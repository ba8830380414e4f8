import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Blueprints, assembly of sealed parallel papers, and opening them.
enum PapersController {
    static let assemblers: Set<Role> = [.administrator, .itemExaminer]
    static let unsealers: Set<Role> = [.administrator, .itemExaminer, .examAffairs, .leadership]
    static let readers: Set<Role> = [.administrator, .itemExaminer, .examAffairs]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "papers", access: .anyOf(unsealers), use: list)
        r.endpoint(.GET, "papers/blueprint", access: .anyOf(assemblers), use: blueprintPage)
        r.endpoint(.POST, "papers/blueprint", access: .anyOf(assemblers), use: saveBlueprint)
        r.endpoint(.POST, "papers/assemble", access: .anyOf(assemblers), use: assemble)
        r.endpoint(.GET, "papers/:id", access: .anyOf(unsealers), use: show)
        r.endpoint(.POST, "papers/:id/unseal", access: .anyOf(unsealers), use: unseal)
        r.endpoint(.GET, "papers/:id/paper.pdf", access: .anyOf(readers), use: paperPDF)
        r.endpoint(.GET, "papers/:id/answer-key.pdf", access: .anyOf(readers), use: answerKeyPDF)
    }

    /// (standard, level, part) for theory parts with an element table and every skills part, as `standardID|level|part`.
    static func targets(_ req: Request) async throws -> [(String, String)] {
        var out: [(String, String)] = []
        for row in try await StandardStore.list(status: .inUse, on: req.db) {
            let s = try row.standard()
            for spec in s.levels.sorted(by: { $0.level.number > $1.level.number }) {
                if spec.elementTables?.contains(where: { $0.part == .theory }) == true {
                    out.append(("\(row.id!.uuidString)|\(spec.level.number)|theory", "\(s.occupation.name) \(s.edition.edition) · \(spec.level.fullName) · 理论知识"))
                }
                if spec.parts.contains(where: { $0.part == .skills }) {
                    out.append(("\(row.id!.uuidString)|\(spec.level.number)|skills", "\(s.occupation.name) \(s.edition.edition) · \(spec.level.fullName) · 操作技能"))
                }
            }
        }
        return out
    }

    /// Plans, as options, for adjusting a blueprint or assembling papers for one plan.
    static func planOptions(_ req: Request) async throws -> [(String, String)] {
        let plans = try await StoredPlan.query(on: req.db).sort(\.$number, .descending).all()
        return [("", req.tr("（标准默认，不针对具体计划）", "(the standard's default)"))] + plans.map { ($0.id!.uuidString, "\($0.number) \($0.title)") }
    }

    static func parsePlan(_ text: String?) -> UUID? { text.flatMap(UUID.init(uuidString:)) }

    static func parseTarget(_ text: String?) throws -> (UUID, Int, AssessmentPartKind) {
        let p = (text ?? "").split(separator: "|").map(String.init)
        guard p.count >= 2, let id = UUID(uuidString: p[0]), let level = Int(p[1]) else {
            throw ValidationFailure([.required("target", label: "标准与等级")])
        }
        let part = p.count > 2 ? AssessmentPartKind(rawValue: p[2]) ?? .theory : .theory
        return (id, level, part)
    }

    @Sendable static func list(req: Request) async throws -> Response {
        try await renderList(req, errors: [])
    }

    static func renderList(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let papers = try await StoredPaper.query(on: req.db).sort(\.$createdAt, .descending).limit(200).all()
        let standards = Dictionary(try await StandardStore.list(on: req.db).map { ($0.id!, "\($0.occupationName) \($0.edition)") },
                                   uniquingKeysWith: { a, _ in a })
        let rows = papers.map { p -> String in
            "<tr><td><a href=\"/papers/\(p.id!.uuidString)\">\(esc(p.label)) · \(p.batchID.uuidString.prefix(8))</a></td><td>\(esc(standards[p.standardID] ?? ""))</td><td>\(Level(p.level).shortName)</td><td>\(p.itemCount)</td><td>\(String(format: "%.3f", p.difficulty))</td><td>\(p.status == "sealed" ? "<span class=\"badge bad\">\(req.tr("密封", "sealed"))</span>" : "<span class=\"badge ok\">\(req.tr("已启封", "open"))</span>")</td><td>\(H.time(p.releaseAt))</td><td>\(H.time(p.createdAt))</td></tr>"
        }.joined()
        let canAssemble = !(req.signedIn?.roles ?? []).isDisjoint(with: assemblers)
        let form = canAssemble ? """
            <h2>\(req.tr("组卷", "Assemble"))</h2>
            \(H.errorSummary(errors, req: req))
            <p class="muted">\(req.tr("按蓝图（未调整时由鉴定要素细目表生成）从已审核通过的试题中抽取平行卷，生成后立即加密密封。", "Draws parallel forms from approved items by the blueprint and seals them at once."))</p>
            <form method="post" action="/papers/assemble" class="filters">\(H.csrf(req))
            \(H.select(req.tr("标准与等级", "Standard and level"), name: "target", options: try await targets(req), selected: "", errors: errors, req: req))
            \(H.select(req.tr("认定计划（使用该计划调整后的蓝图）", "Plan (uses its adjusted blueprint)"), name: "plan", options: try await planOptions(req), selected: "", req: req))
            \(H.field(req.tr("平行卷数", "Forms"), name: "forms", value: "2", type: "number", errors: errors, req: req, attrs: "min=\"1\" max=\"26\" style=\"min-width:5rem\""))
            \(H.field(req.tr("随机种子", "Seed"), name: "seed", value: String(UInt64.random(in: 1...UInt64.max)), errors: errors, req: req, attrs: "style=\"min-width:8rem\""))
            \(H.field(req.tr("开考时间（到时自动启封，可空）", "Release at session start (optional)"), name: "releaseAt", type: "datetime-local", errors: errors, req: req))
            <button type="submit" id="assemble">\(req.tr("组卷并密封", "Assemble and seal"))</button></form>
            <p><a href="/papers/blueprint">\(req.tr("查看或调整蓝图", "View or adjust the blueprint"))</a></p>
            """ : ""
        let content = """
            \(H.notice(req))\(form)
            <h2>\(req.tr("试卷", "Papers"))</h2>
            <table><thead><tr><th>\(req.tr("卷别 · 批次", "Form · batch"))</th><th>\(req.tr("标准", "Standard"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("题数", "Items"))</th><th>\(req.tr("难度", "Difficulty"))</th><th>\(req.tr("状态", "State"))</th><th>\(req.tr("开考启封", "Release"))</th><th>\(req.tr("生成时间", "Created"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"8\" class=\"muted\">\(req.tr("尚无试卷", "No papers yet"))</td></tr>" : rows)</tbody></table>
            """
        let response = Layout.page(req, title: req.tr("组卷与试卷", "Papers"), active: "/items", content)
        response.status = status
        return response
    }

    struct AssembleForm: Content {
        var target: String?
        var plan: String?
        var forms: String?
        var seed: String?
        var releaseAt: String?
    }

    /// China time `YYYY-MM-DDTHH:MM` from a datetime-local input.
    static func parseLocal(_ text: String?) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        f.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return f.date(from: text)
    }

    @Sendable static func assemble(req: Request) async throws -> Response {
        let form = try req.content.decode(AssembleForm.self)
        do {
            let (standardID, level, part) = try parseTarget(form.target)
            guard let forms = Int(form.forms ?? ""), let seed = UInt64(form.seed ?? "") else {
                throw ValidationFailure([FieldError(code: "invalid_number", field: "forms", zh: "平行卷数与随机种子应为整数",
                                                    en: "forms and seed must be whole numbers")])
            }
            if let text = form.releaseAt, !text.isEmpty, parseLocal(text) == nil {
                throw ValidationFailure([FieldError(code: "invalid_date", field: "releaseAt", zh: "开考时间无效", en: "invalid time")])
            }
            let papers = try await PaperStore.assemble(standardID: standardID, level: level, part: part,
                                                       planID: parsePlan(form.plan), forms: forms, seed: seed,
                                                       releaseAt: parseLocal(form.releaseAt), actor: try req.requireUser().actor,
                                                       sealer: try req.sealer(), on: req.db, time: req.time)
            return req.redirect(to: "/papers?done=\(req.tr("已生成并密封 \(papers.count) 套平行卷", "\(papers.count) forms assembled and sealed").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await renderList(req, errors: failure.errors, status: .unprocessableEntity)
        } catch let error as AssemblyError {
            return try await renderList(req, errors: [FieldError(code: "assembly_failed", field: "target", zh: error.messageZH,
                                                                 en: error.messageEN)], status: .unprocessableEntity)
        }
    }

    /// The blueprint for a standard and level: the saved version or the one the element table gives.
    @Sendable static func blueprintPage(req: Request) async throws -> Response {
        let options = try await targets(req)
        let selected = req.query[String.self, at: "target"] ?? options.first?.0 ?? ""
        let planID = parsePlan(req.query[String.self, at: "plan"])
        var body = ""
        if let (standardID, level, part) = try? parseTarget(selected) {
            let saved = try await PaperStore.effectiveBlueprint(standardID: standardID, level: level, part: part, planID: planID, on: req.db)
            let bp: Blueprint
            if let saved { bp = try saved.blueprint() } else {
                bp = try await PaperStore.derivedBlueprint(standardID: standardID, level: level, part: part, on: req.db)
            }
            let rows = bp.cells.enumerated().map { i, c in
                "<tr><td>\(c.scope == Blueprint.anyScope ? req.tr("任意", "any") : esc(c.scope))</td><td>\(req.tr(c.type.nameZH, c.type.nameEN))</td><td><input type=\"number\" name=\"count[\(i)]\" value=\"\(c.count)\" min=\"0\" style=\"min-width:5rem\"></td><td><input type=\"number\" name=\"pointsEach[\(i)]\" value=\"\(c.pointsEach)\" min=\"1\" style=\"min-width:5rem\"></td><td>\(c.points)</td></tr>"
            }.joined()
            body = """
                <p>\(saved.map { req.tr("已保存版本 v\($0.version)（\($0.createdBy)，\(H.time($0.createdAt))）", "Saved version v\($0.version)") } ?? req.tr("尚未保存：由鉴定要素细目表生成", "Not saved yet: derived from the element table")) · \(req.tr("总分", "total")) \(bp.totalPoints) · \(bp.itemCount) \(req.tr("题", "items"))</p>
                <p class="muted">\(planID != nil && saved?.planID != planID ? req.tr("该计划尚未单独调整，以下为标准默认蓝图；保存后成为该计划专用版本。", "This plan has no adjusted blueprint yet; saving creates one for it.") : "")</p>
                <form method="post" action="/papers/blueprint">\(H.csrf(req))<input type="hidden" name="target" value="\(esc(selected))"><input type="hidden" name="plan" value="\(planID?.uuidString ?? "")">
                <table><thead><tr><th>\(req.tr("鉴定范围", "Scope"))</th><th>\(req.tr("题型", "Type"))</th><th>\(req.tr("题量", "Count"))</th><th>\(req.tr("每题分值", "Points each"))</th><th>\(req.tr("分值", "Points"))</th></tr></thead><tbody>\(rows)</tbody></table>
                <div class="filters">\(H.field(req.tr("难度目标", "Difficulty target"), name: "difficultyTarget", value: String(bp.difficultyTarget), req: req))
                \(H.field(req.tr("容差", "Tolerance"), name: "difficultyTolerance", value: String(bp.difficultyTolerance), req: req))
                \(H.field(req.tr("任意两卷重复题上限", "Max shared items between forms"), name: "maxOverlap", value: String(bp.maxOverlap), req: req))
                \(H.field(req.tr("曝光上限（近一年使用次数）", "Exposure limit (uses in a year)"), name: "exposureLimit", value: String(bp.exposureLimit), req: req))
                \(H.field(req.tr("核心要素（X）分值占比目标", "Core (X) share of points"), name: "corePointsShare", value: String(bp.corePointsShare), req: req))</div>
                \(H.field(req.tr("调整说明", "Why"), name: "note", required: true, req: req))
                <div class="actions"><button type="submit">\(req.tr("保存为新版本", "Save as a new version"))</button></div></form>
                """
        }
        let content = """
            <form method="get" action="/papers/blueprint" class="filters">\(H.select(req.tr("标准与等级", "Standard and level"), name: "target", options: options, selected: selected, req: req))\(H.select(req.tr("认定计划", "Plan"), name: "plan", options: try await planOptions(req), selected: planID?.uuidString ?? "", req: req))<button type="submit">\(req.tr("查看", "Show"))</button></form>
            \(body)
            """
        return Layout.page(req, title: req.tr("组卷蓝图", "Blueprint"), active: "/items", content)
    }

    @Sendable static func saveBlueprint(req: Request) async throws -> Response {
        let target = try req.content.get(String.self, at: "target")
        let (standardID, level, part) = try parseTarget(target)
        let planID = parsePlan(try? req.content.get(String.self, at: "plan"))
        if let planID {
            guard let plan = try await StoredPlan.find(planID, on: req.db), plan.standardID == standardID,
                  try plan.plan().levels.contains(level) else {
                throw WebError.badField("plan", zh: "该计划不属于所选标准或不含该等级", en: "the plan is not for this standard and level")
            }
        }
        let saved = try await PaperStore.effectiveBlueprint(standardID: standardID, level: level, part: part, planID: planID, on: req.db)
        var bp: Blueprint
        if let saved { bp = try saved.blueprint() } else {
            bp = try await PaperStore.derivedBlueprint(standardID: standardID, level: level, part: part, on: req.db)
        }
        for i in bp.cells.indices {
            if let n = (try? req.content.get(String.self, at: "count[\(i)]")).flatMap({ Int($0) }) { bp.cells[i].count = n }
            if let n = (try? req.content.get(String.self, at: "pointsEach[\(i)]")).flatMap({ Int($0) }) { bp.cells[i].pointsEach = n }
        }
        if let v = (try? req.content.get(String.self, at: "corePointsShare")).flatMap({ Double($0) }) { bp.corePointsShare = v }
        if let v = (try? req.content.get(String.self, at: "difficultyTarget")).flatMap({ Double($0) }) { bp.difficultyTarget = v }
        if let v = (try? req.content.get(String.self, at: "difficultyTolerance")).flatMap({ Double($0) }) { bp.difficultyTolerance = v }
        if let v = (try? req.content.get(String.self, at: "maxOverlap")).flatMap({ Int($0) }) { bp.maxOverlap = v }
        if let v = (try? req.content.get(String.self, at: "exposureLimit")).flatMap({ Int($0) }) { bp.exposureLimit = v }
        let note = (try? req.content.get(String.self, at: "note")) ?? ""
        try await PaperStore.saveBlueprint(bp, standardID: standardID, level: level, part: part, planID: planID, note: note,
                                           actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/papers/blueprint?target=\(target.urlQueryEncoded)&plan=\(planID?.uuidString ?? "")")
    }

    /// A paper: its state, the consents to open it, and (when open and allowed) its content and answer key.
    @Sendable static func show(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let paper = try await StoredPaper.find(id, on: req.db) else { throw DomainError.notFound(what: "paper") }
        let user = try req.requireUser()
        var html = H.notice(req)
        html += "<p>\(req.tr("卷别", "Form")) <strong>\(esc(paper.label))</strong> · \(paper.itemCount) \(req.tr("题", "items")) · \(req.tr("难度", "difficulty")) \(paper.status == StoredPaper.Status.sealed.rawValue ? "—" : String(format: "%.3f", paper.difficulty)) · \(req.tr("种子", "seed")) \(paper.status == StoredPaper.Status.sealed.rawValue ? req.tr("（启封后显示）", "(shown once open)") : esc(paper.seed)) · \(req.tr("开考启封", "release")) \(H.time(paper.releaseAt))</p>"
        let approvals = try await PaperUnsealApproval.query(on: req.db).filter(\.$paperID == id).all()
        let mayRead = !user.roles.isDisjoint(with: readers)
        do {
            guard mayRead else { throw DomainError.forbidden(code: "forbidden", zh: "您的角色不能查看试卷内容", en: "your roles cannot read papers") }
            let content = try await PaperStore.open(paperID: id, reader: user.actor, sealer: try req.sealer(), on: req.db, time: req.time)
            html += "<div class=\"alert alert-ok\">\(req.tr("试卷已启封；本次查看已记入审计日志。", "The paper is open; this view is audited."))</div>"
            html += "<div class=\"actions\"><a class=\"button\" id=\"paper-pdf\" href=\"/papers/\(id.uuidString)/paper.pdf\">\(req.tr("下载试卷 PDF（含答题卡）", "Paper PDF with answer sheet"))</a> <a class=\"button secondary\" href=\"/papers/\(id.uuidString)/answer-key.pdf\">\(req.tr("下载标准答案 PDF", "Answer key PDF"))</a></div><ol>"
            for e in content.entries {
                html += "<li><span class=\"badge\">\(req.tr(e.type.nameZH, e.type.nameEN)) · \(e.points) \(req.tr("分", "pt"))</span> \(esc(e.content.stem))"
                if let options = e.content.options {
                    html += "<ol type=\"A\">" + options.map { "<li>\(esc($0))</li>" }.joined() + "</ol>"
                }
                html += "</li>"
            }
            html += "</ol><h2>\(req.tr("答案", "Answer key"))</h2><p class=\"mono\">"
            html += content.entries.map { e -> String in
                "\(e.position). \(esc(ItemAnswer.format(e.content, type: e.type)))"
            }.joined(separator: "　")
            html += "</p>"
        } catch let e as DomainError {
            guard case .forbidden(_, let zh, let en) = e else { throw e }
            html += "<div class=\"alert alert-error\" id=\"sealed\">\(esc(req.tr(zh, en)))</div>"
            if paper.status == StoredPaper.Status.sealed.rawValue {
                html += "<p>\(req.tr("已同意提前启封", "Consents to open early"))：\(approvals.count) / 2</p>"
                html += """
                    <form method="post" action="/papers/\(id.uuidString)/unseal" data-confirm="\(req.tr("提前启封需两名授权人员分别同意，并记入审计日志。确定同意？", "Opening early needs two authorised people and is audited. Consent?"))">\(H.csrf(req))
                    \(H.field(req.tr("启封原因", "Reason"), name: "reason", required: true, req: req))
                    <button type="submit" id="consent">\(req.tr("同意启封", "Consent to open"))</button></form>
                    """
            }
        }
        return Layout.page(req, title: "\(req.tr("试卷", "Paper")) \(paper.label)", active: "/items", html)
    }

    /// The paper's printable content, opened (and audited) for this reader.
    static func printable(_ req: Request) async throws -> (PrintablePaper, StoredPaper) {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let paper = try await StoredPaper.find(id, on: req.db) else { throw DomainError.notFound(what: "paper") }
        let content = try await PaperStore.open(paperID: id, reader: try req.requireUser().actor, sealer: try req.sealer(),
                                                on: req.db, time: req.time)
        let standard = try await StandardStore.find(id: paper.standardID, on: req.db).standard()
        let part = AssessmentPartKind(rawValue: paper.part) ?? .theory
        let minutes = standard.spec(for: Level(paper.level))?.parts.first { $0.part == part }?.minutes ?? 90
        let body = try await BodyStore.load(on: req.db)?.name ?? "职业技能等级认定"
        let items = content.entries.map { PrintablePaper.Item(number: $0.position, type: $0.type, points: $0.points, content: $0.content) }
        return (PrintablePaper(bodyName: body, title: "\(content.occupation) \(Level(content.level).fullName) \(part == .theory ? "理论知识考试试卷" : "操作技能考核试卷")",
                               formLabel: content.label, minutes: minutes, items: items), paper)
    }

    static func pdfResponse(_ bytes: [UInt8], filename: String) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes)))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "pdf")
        response.headers.contentDisposition = .init(.attachment, filename: filename)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// The paper with its answer sheet, for paper-based sessions.
    @Sendable static func paperPDF(req: Request) async throws -> Response {
        let (printable, paper) = try await printable(req)
        return pdfResponse(try PaperPDF.paper(printable), filename: "paper-\(paper.label).pdf")
    }

    /// The answer key, printed apart from the papers.
    @Sendable static func answerKeyPDF(req: Request) async throws -> Response {
        let (printable, paper) = try await printable(req)
        return pdfResponse(try PaperPDF.answerKey(printable), filename: "answer-key-\(paper.label).pdf")
    }

    @Sendable static func unseal(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "paper") }
        let reason = (try? req.content.get(String.self, at: "reason")) ?? ""
        let paper = try await PaperStore.approveUnseal(paperID: id, reason: reason, actor: try req.requireUser().actor,
                                                       sealer: try req.sealer(), on: req.db, time: req.time)
        let done = paper.status == StoredPaper.Status.unsealed.rawValue ? req.tr("试卷已启封", "The paper is open")
            : req.tr("已记录您的同意，还需另一名授权人员同意", "Consent recorded; a second person is needed")
        return req.redirect(to: "/papers/\(id.uuidString)?done=\(done.urlQueryEncoded)")
    }
}
