import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Results of a plan (worked out, released on a date, exported), the candidate's results with score reviews (复核),
/// the reviewers' work, and publicity (公示): the public masked list with its objection form, and the staff page
/// that answers objections and ends the period.
enum ResultsController {
    static let affairs: Set<Role> = [.administrator, .examAffairs]
    /// Results stay with exam affairs until they are released (the scoring staff see their own sheets and task scores).
    static let resultReaders: Set<Role> = [.administrator, .examAffairs]
    static let reviewers: Set<Role> = [.administrator, .examAffairs, .examiner, .itemExaminer]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "plans/:id/results", access: .anyOf(resultReaders), use: results)
        r.endpoint(.POST, "plans/:id/results/compute", access: .anyOf(affairs), use: compute)
        r.endpoint(.POST, "plans/:id/results/release", access: .anyOf(affairs), use: release)
        r.endpoint(.GET, "plans/:id/results.xlsx", access: .anyOf(resultReaders), use: export)
        r.endpoint(.POST, "plans/:id/publicity", access: .anyOf(affairs), use: publish)
        r.endpoint(.GET, "me/results", access: .anyOf([.candidate]), use: myResults)
        r.endpoint(.POST, "me/results/:resultId/review", access: .anyOf([.candidate]), use: requestReview)
        r.endpoint(.GET, "score-reviews", access: .anyOf(reviewers), use: reviewList)
        r.endpoint(.POST, "score-reviews/:reviewId/assign", access: .anyOf(affairs), use: assign)
        r.endpoint(.POST, "score-reviews/:reviewId/answer", access: .anyOf(reviewers), use: answer)
        r.endpoint(.GET, "publicity", access: .everyone, use: publicIndex)
        r.endpoint(.GET, "publicity/:pid", access: .everyone, use: publicPage)
        r.endpoint(.POST, "publicity/:pid/objections", access: .everyone, use: object)
        r.endpoint(.GET, "publicity/:pid/manage", access: .anyOf(resultReaders), use: manage)
        r.endpoint(.POST, "objections/:objectionId", access: .anyOf(affairs), use: handle)
        r.endpoint(.POST, "publicity/:pid/finalize", access: .anyOf(affairs), use: finalize)
    }

    static func plan(_ req: Request) async throws -> StoredPlan {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)), let plan = try await StoredPlan.find(id, on: req.db) else {
            throw DomainError.notFound(what: "plan")
        }
        return plan
    }

    static func partText(_ req: Request, _ r: ResultRecord, _ part: AssessmentPartKind) -> String {
        if r.absent.contains(part) { return req.tr("缺考", "absent") }
        return r.score(part).map(scoreText) ?? "—"
    }

    static func verdictBadge(_ req: Request, _ r: ResultRecord) -> String {
        let (zh, cls) = switch r.verdict {
        case "passed": ("合格", "ok")
        case "failed": ("不合格", "bad")
        default: ("成绩未齐", "")
        }
        let parts = r.verdict == "passed" ? "" : r.verdictPartList.map { req.tr($0.nameZH, $0.rawValue) }.joined(separator: "、")
        return "<span class=\"badge \(cls)\">\(req.tr(zh, r.verdict))</span>\(parts.isEmpty ? "" : " <span class=\"muted\">\(esc(parts))</span>")"
    }

    // MARK: Staff: a plan's results

    @Sendable static func results(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let pid = try plan.requireID()
        let rows = try await ResultStore.rows(planID: pid, on: req.db)
        let verdict = req.query[String.self, at: "verdict"] ?? ""
        let search = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let shown = rows.filter { (verdict.isEmpty || $0.result.verdict == verdict) && (search.isEmpty || $0.candidateName.contains(search) || $0.ticketNumber.contains(search)) }
        let counts = Dictionary(grouping: rows, by: \.result.verdict).mapValues(\.count)
        let body = shown.map { row -> String in
            let r = row.result
            return "<tr data-verdict=\"\(r.verdict)\"><td class=\"mono\">\(esc(row.ticketNumber))</td><td>\(esc(row.candidateName))</td><td class=\"mono\">\(esc(row.maskedID))</td>"
                + "<td>\(Level(r.level).fullName)</td><td>\(partText(req, r, .theory))</td><td>\(partText(req, r, .skills))</td><td>\(partText(req, r, .comprehensiveReview))</td>"
                + "<td>\(verdictBadge(req, r))\(r.grade.map { " · \(esc($0))" } ?? "")</td><td>\(esc(r.releasedOn ?? "—"))\(r.final ? " <span class=\"badge ok\">\(req.tr("已确认", "final"))</span>" : "")</td></tr>"
        }.joined()
        let filters = [("", req.tr("全部", "All"), rows.count), ("passed", req.tr("合格", "Passed"), counts["passed"] ?? 0),
                       ("failed", req.tr("不合格", "Failed"), counts["failed"] ?? 0), ("incomplete", req.tr("成绩未齐", "Incomplete"), counts["incomplete"] ?? 0)]
            .map { v, label, n in "<a href=\"/plans/\(pid.uuidString)/results\(v.isEmpty ? "" : "?verdict=\(v)")\"\(verdict == v ? " class=\"active\" aria-current=\"page\"" : "")>\(esc(label)) \(n)</a>" }
            .joined(separator: " · ")
        let publicities = try await PublicityRecord.query(on: req.db).filter(\.$planID == pid).sort(\.$publishedAt).all()
        let listed = Set(publicities.flatMap(\.listed))
        let today = req.time.now().chinaLocalDate
        let isAffairs = !(try req.requireUser().roles.isDisjoint(with: affairs))
        let releasable = rows.filter { $0.result.releasedOn == nil && $0.result.verdict != "incomplete" }.count
        let incomplete = counts["incomplete"] ?? 0
        let publishable = rows.filter { $0.result.verdict == "passed" && $0.result.isReleased(on: today) && !listed.contains($0.result.id!) }.count
        var actions = ""
        if isAffairs {
            actions = """
                <div class="actions">
                <form method="post" action="/plans/\(pid.uuidString)/results/compute" class="inline">\(H.csrf(req))<button type="submit" id="compute" class="secondary">\(req.tr("汇总成绩", "Work out results"))</button></form>
                </div>
                """
            if releasable > 0 {
                actions += """
                    <form method="post" action="/plans/\(pid.uuidString)/results/release" class="filters" id="release-form" data-confirm="\(req.tr("发布后考生可在发布日查看成绩，之后只能通过复核更改。确认发布？", "Candidates see the results from that day; after release only a review changes a score. Release?"))">\(H.csrf(req))
                    \(H.field(req.tr("发布日期", "Release on"), name: "date", value: today.description, type: "date", required: true, req: req))
                    <button type="submit" id="release">\(req.tr("发布 \(releasable) 名考生的成绩", "Release \(releasable) results"))</button>
                    \(incomplete > 0 ? "<span class=\"muted\">\(req.tr("另有 \(incomplete) 名考生成绩未齐，暂不发布", "\(incomplete) not complete yet stay back"))</span>" : "")</form>
                    """
            }
            if publishable > 0 {
                actions += """
                    <form method="post" action="/plans/\(pid.uuidString)/publicity" class="inline" data-confirm="\(req.tr("公示 \(publishable) 名合格人员？", "Publish \(publishable) passing candidates?"))">\(H.csrf(req))
                    <button type="submit" id="publish">\(req.tr("公示合格人员名单（\(publishable) 人）", "Publish the passing list (\(publishable))"))</button></form>
                    """
            }
        }
        for publicity in publicities {
            actions += "<p class=\"publicity\">\(req.tr("公示", "Publicity")) \(esc(publicity.startedOn)) – \(esc(publicity.lastDay))（\(publicity.listed.count) \(req.tr("人", "listed"))）\(publicity.finalizedAt != nil ? req.tr("已结束，成绩已确认", " ended, results final") : "") · "
                + "<a href=\"/publicity/\(publicity.id!.uuidString)\">\(req.tr("公示页面", "Public page"))</a> · <a href=\"/publicity/\(publicity.id!.uuidString)/manage\" class=\"manage\">\(req.tr("异议处理", "Objections"))</a></p>"
        }
        return Layout.page(req, title: req.tr("认定成绩：\(plan.title)", "Results: \(plan.title)"), active: "/plans", """
            \(H.notice(req))
            <p><a href="/plans/\(pid.uuidString)">\(req.tr("返回计划", "Back to the plan"))</a> · <a href="/plans/\(pid.uuidString)/results.xlsx" id="export">\(req.tr("导出 XLSX", "Export XLSX"))</a> ·
            <a href="/score-reviews">\(req.tr("成绩复核", "Score reviews"))</a></p>
            <p>\(req.tr("各考核部分均达到标准规定的合格分数线（默认 60 分）为合格；缺考的部分按不合格计。成绩发布前，只有考务与评分人员能看到。",
                        "A candidate passes when every required part reaches its pass mark (60 by default); a missed part fails. Before release only exam affairs and scoring staff see results."))</p>
            \(actions)
            <form method="get" class="filters"><input type="hidden" name="verdict" value="\(esc(verdict))">\(H.field(req.tr("姓名或准考证号", "Name or ticket"), name: "q", value: search, req: req))<button type="submit" class="secondary">\(req.tr("查找", "Search"))</button></form>
            <p class="filters">\(filters)</p>
            <table id="results"><thead><tr><th>\(req.tr("准考证号", "Ticket"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID"))</th><th>\(req.tr("等级", "Level"))</th>
            <th>\(req.tr("理论", "Theory"))</th><th>\(req.tr("技能", "Skills"))</th><th>\(req.tr("综合评审", "Review"))</th><th>\(req.tr("结论", "Verdict"))</th><th>\(req.tr("发布日期", "Released"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"9\" class=\"muted\">\(req.tr("尚未汇总成绩", "No results yet"))</td></tr>" : body)</tbody></table>
            """)
    }

    @Sendable static func compute(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let s = try await ResultStore.compute(planID: plan.requireID(), actor: try req.requireUser().actor, sealer: req.application.contentSealer,
                                              on: req.db, time: req.time)
        let done = req.tr("已汇总：合格 \(s.passed)，不合格 \(s.failed)，成绩未齐 \(s.incomplete)\(s.released > 0 ? "；已发布的 \(s.released) 名未变动" : "")",
                          "Worked out: \(s.passed) passed, \(s.failed) failed, \(s.incomplete) incomplete\(s.released > 0 ? "; \(s.released) released left as they were" : "")")
        return req.redirect(to: "/plans/\(plan.id!.uuidString)/results?done=\(done.urlQueryEncoded)")
    }

    @Sendable static func release(req: Request) async throws -> Response {
        let plan = try await plan(req)
        struct Form: Content { var date: String? }
        guard let day = try req.content.decode(Form.self).date.flatMap(LocalDate.init(iso:)) else {
            throw ValidationFailure([FieldError(code: "invalid_date", field: "date", zh: "请填写发布日期（年-月-日）", en: "a release date is required")])
        }
        let n = try await ResultStore.release(planID: plan.requireID(), on: day, actor: try req.requireUser().actor, db: req.db, time: req.time)
        return req.redirect(to: "/plans/\(plan.id!.uuidString)/results?done=" + req.tr("\(n) 名考生的成绩将于 \(day) 向考生发布", "\(n) results released on \(day)").urlQueryEncoded)
    }

    @Sendable static func export(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let rows = try await ResultStore.rows(planID: plan.requireID(), on: req.db)
        let sheet = Worksheet(name: "成绩", header: ["准考证号", "姓名", "证件号码", "等级", "理论知识", "操作技能", "综合评审", "结论", "不合格/未齐部分", "技能等第", "发布日期", "已确认"],
                              rows: rows.map { row in
                                  let r = row.result
                                  func part(_ p: AssessmentPartKind) -> CellValue {
                                      r.absent.contains(p) ? .text("缺考") : r.score(p).map { CellValue.number($0) } ?? .empty
                                  }
                                  let texts: [String] = [row.ticketNumber, row.candidateName, row.maskedID, Level(r.level).fullName]
                                  let tail: [String] = [ResultRule.Verdict.name(r.verdict), r.verdictPartList.map(\.nameZH).joined(separator: "、"),
                                                        r.grade ?? "", r.releasedOn ?? "", r.final ? "是" : ""]
                                  return texts.map(CellValue.text) + [part(.theory), part(.skills), part(.comprehensiveReview)] + tail.map(CellValue.text)
                              })
        return try xlsxResponse(sheet, filename: "results-\(plan.number).xlsx")
    }

    @Sendable static func publish(req: Request) async throws -> Response {
        let plan = try await plan(req)
        let p = try await ResultStore.publish(planID: plan.requireID(), actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/publicity/\(p.id!.uuidString)/manage?done=" + req.tr("已公示，公示期至 \(p.lastDay)", "Published until \(p.lastDay)").urlQueryEncoded)
    }

    // MARK: The candidate

    @Sendable static func myResults(req: Request) async throws -> Response {
        try await renderMine(req, errors: [])
    }

    static func renderMine(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let me = try req.requireUser()
        let results = try await ResultStore.forCandidate(me.id, on: req.db, time: req.time)
        let reviews = try await ScoreReview.query(on: req.db).filter(\.$candidateID == me.id).all()
        let plans = Dictionary(try await StoredPlan.query(on: req.db).filter(\.$id ~~ results.map(\.planID)).all().map { ($0.id!, $0.title) },
                               uniquingKeysWith: { a, _ in a })
        let calendar = try await CalendarStore.calendar(on: req.db)
        let window = try await SettingsStore.value(.reviewRequestWorkingDays, on: req.db)
        let today = req.time.now().chinaLocalDate
        var html = H.notice(req) + H.errorSummary(errors, req: req)
        if results.isEmpty {
            html += "<p class=\"muted\" id=\"no-results\">\(req.tr("暂无已发布的成绩。成绩由考务部门在发布日向考生公布。", "No released results yet."))</p>"
        }
        for r in results {
            let rid = r.id!.uuidString
            let deadline = r.releasedOn.flatMap(LocalDate.init(iso:)).map { ResultWindows.reviewRequestDeadline(released: $0, workingDays: window, calendar: calendar) }
            let parts = AssessmentPartKind.allCases.filter { r.score($0) != nil || r.absent.contains($0) }
            let rows = parts.map { "<tr><td>\(req.tr($0.nameZH, $0.rawValue))</td><td class=\"part-score\" data-part=\"\($0.rawValue)\">\(partText(req, r, $0))</td></tr>" }.joined()
            let mine = reviews.filter { $0.resultID == r.id }
            let reviewRows = mine.map { v -> String in
                let outcome = v.statusValue == .answered
                    ? "\(esc(v.answer ?? ""))\(v.newScore.map { "（\(req.tr("成绩由", "changed from")) \(v.oldScore.map(scoreText) ?? "—") \(req.tr("更正为", "to")) \(scoreText($0))）" } ?? req.tr("（成绩不变）", " (unchanged)"))"
                    : req.tr("应于 \(v.dueOn) 前答复", "answer due by \(v.dueOn)")
                return "<tr class=\"review\" data-status=\"\(v.status)\"><td>\(req.tr(v.partValue.nameZH, v.part))</td><td>\(esc(v.requestedOn))</td><td><span class=\"badge\">\(req.tr(v.statusValue.nameZH, v.status))</span></td><td class=\"outcome\">\(outcome)</td></tr>"
            }.joined()
            let open = deadline.map { today <= $0 } ?? false
            let askable = parts.filter { p in r.score(p) != nil && !mine.contains { $0.part == p.rawValue } }
            let form = open && !askable.isEmpty ? """
                <form method="post" action="/me/results/\(rid)/review" id="review-form">\(H.csrf(req))
                \(H.select(req.tr("申请复核的部分", "Part to review"), name: "part", options: askable.map { ($0.rawValue, req.tr($0.nameZH, $0.rawValue)) }, selected: "", errors: errors, req: req))
                <div class="field"><label for="f-text">\(req.tr("复核理由", "Why"))</label><textarea id="f-text" name="text" rows="3" required></textarea>\(H.fieldErrors(errors, "text", req))</div>
                <div class="actions"><button type="submit" id="ask-review">\(req.tr("申请复核", "Ask for a review"))</button></div></form>
                """ : ""
            html += """
                <section class="card result" data-verdict="\(r.verdict)"><h2>\(esc(plans[r.planID] ?? "")) · \(Level(r.level).fullName)</h2>
                <p>\(req.tr("结论", "Verdict"))：<strong id="verdict">\(verdictBadge(req, r))</strong>\(r.grade.map { " · \(req.tr("技能等第", "grade")) \(esc($0))" } ?? "")\(r.final ? " · \(req.tr("公示结束，已确认", "final after publicity"))" : "")</p>
                <table><tbody>\(rows)</tbody></table>
                <p class="muted">\(req.tr("发布日期 \(r.releasedOn ?? "")；对成绩有异议的，可在 \(deadline?.description ?? "") 前（\(window) 个工作日内）申请复核。",
                                        "Released \(r.releasedOn ?? ""); a review may be asked for until \(deadline?.description ?? "") (\(window) working days)."))</p>
                \(reviewRows.isEmpty ? "" : "<table id=\"my-reviews\"><thead><tr><th>\(req.tr("部分", "Part"))</th><th>\(req.tr("申请日期", "Asked"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("复核结果", "Outcome"))</th></tr></thead><tbody>\(reviewRows)</tbody></table>")
                \(form)</section>
                """
        }
        let response = Layout.page(req, title: req.tr("我的成绩", "My results"), active: "/me/results", html)
        response.status = status
        return response
    }

    @Sendable static func requestReview(req: Request) async throws -> Response {
        guard let id = req.parameters.get("resultId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "result") }
        struct Form: Content { var part: String?; var text: String? }
        let f = try req.content.decode(Form.self)
        guard let part = f.part.flatMap(AssessmentPartKind.init(rawValue:)) else {
            return try await renderMine(req, errors: [.required("part", label: req.tr("复核部分", "part"))], status: .unprocessableEntity)
        }
        do {
            let r = try await ResultStore.requestReview(resultID: id, part: part, text: f.text ?? "", actor: try req.requireUser().actor, on: req.db, time: req.time)
            return req.redirect(to: "/me/results?done=" + req.tr("复核申请已提交，应于 \(r.dueOn) 前答复", "Review asked for; answer due by \(r.dueOn)").urlQueryEncoded)
        } catch let failure as ValidationFailure {
            return try await renderMine(req, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    // MARK: Reviews

    @Sendable static func reviewList(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let isAffairs = !me.roles.isDisjoint(with: affairs)
        let filter = req.query[String.self, at: "status"] ?? "open"
        var reviews = try await ResultStore.reviews(openOnly: filter == "open", on: req.db)
        if !isAffairs { reviews = reviews.filter { $0.reviewerIDs.contains(me.id) } }
        let today = req.time.now().chinaLocalDate
        if filter == "overdue" { reviews = reviews.filter { $0.overdue(on: today) } }
        let results = Dictionary(try await ResultRecord.query(on: req.db).filter(\.$id ~~ reviews.map(\.resultID)).all().map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
        let profiles = Dictionary(try await CandidateProfile.query(on: req.db).filter(\.$userID ~~ reviews.map(\.candidateID)).all().map { ($0.userID, $0.fullName) },
                                  uniquingKeysWith: { a, _ in a })
        let tickets = try await ScoringController.ticketNumbers(Set(reviews.map(\.candidateID)), on: req.db)
        // Reviewers to choose from: examiners in the registry (those who scored the candidate are refused on saving).
        let pool = try await User.query(on: req.db).filter(\.$isActive == true).with(\.$roleAssignments).sort(\.$displayName).all()
            .filter { !$0.roles.isDisjoint(with: [.examiner, .itemExaminer]) }
        let names = Dictionary(pool.map { ($0.id!, $0.displayName) }, uniquingKeysWith: { a, _ in a })
        let body = reviews.map { v -> String in
            let vid = v.id!.uuidString
            let r = results[v.resultID]
            let overdue = v.overdue(on: today) ? " <span class=\"badge bad\">\(req.tr("已逾期", "overdue"))</span>" : ""
            var work = ""
            if isAffairs && v.statusValue != .answered {
                let options = pool.map { "<option value=\"\($0.id!.uuidString)\"\(v.reviewerIDs.contains($0.id!) ? " selected" : "")>\(esc($0.displayName))</option>" }.joined()
                work += """
                    <form method="post" action="/score-reviews/\(vid)/assign" class="assign">\(H.csrf(req))<label for="r-\(vid)">\(req.tr("复核人员", "Reviewers"))</label>
                    <select id="r-\(vid)" name="reviewers[]" multiple size="3">\(options)</select> <button type="submit" class="secondary">\(req.tr("指派", "Assign"))</button></form>
                    """
            }
            if v.statusValue == .assigned && v.reviewerIDs.contains(me.id) {
                work += """
                    <form method="post" action="/score-reviews/\(vid)/answer" class="answer">\(H.csrf(req))
                    \(H.field(req.tr("复核后分数（不变则留空）", "Score after review (blank: unchanged)"), name: "score", req: req, attrs: "inputmode=\"decimal\""))
                    <div class="field"><label for="a-\(vid)">\(req.tr("复核结论（核对加分、漏评、登记错误的情况）", "Finding (adding up, omissions, recording errors)"))</label><textarea id="a-\(vid)" name="answer" rows="2" required></textarea></div>
                    <button type="submit">\(req.tr("答复", "Answer"))</button></form>
                    """
            }
            if v.statusValue == .answered {
                work += "\(esc(v.answer ?? ""))\(v.newScore.map { "（\(v.oldScore.map(scoreText) ?? "—") → \(scoreText($0))）" } ?? "")"
            }
            return "<tr data-status=\"\(v.status)\"><td class=\"mono\">\(esc(tickets[v.candidateID] ?? ""))</td><td>\(esc(profiles[v.candidateID] ?? ""))</td>"
                + "<td>\(req.tr(v.partValue.nameZH, v.part)) \(r.map { partText(req, $0, v.partValue) } ?? "")</td><td>\(esc(v.requestText))</td><td>\(esc(v.requestedOn))</td>"
                + "<td>\(esc(v.dueOn))\(overdue)</td><td><span class=\"badge\">\(req.tr(v.statusValue.nameZH, v.status))</span> \(v.reviewerIDs.compactMap { names[$0] }.map(esc).joined(separator: "、"))</td><td>\(work)</td></tr>"
        }.joined()
        let tabs = [("open", req.tr("未答复", "Open")), ("overdue", req.tr("已逾期", "Overdue")), ("all", req.tr("全部", "All"))]
            .map { "<a href=\"/score-reviews?status=\($0.0)\"\(filter == $0.0 ? " class=\"active\" aria-current=\"page\"" : "")>\($0.1)</a>" }.joined(separator: " · ")
        return Layout.page(req, title: req.tr("成绩复核", "Score reviews"), active: "/score-reviews", """
            \(H.notice(req))
            <p>\(req.tr("考生在成绩发布后规定的工作日内可申请复核；复核由未参与该考生评分的人员进行，核对加分、漏评和登记错误，并在期限内答复。",
                        "Reviews are handled by people who did not score the candidate: adding up, omissions and recording errors, answered within the deadline."))</p>
            <p class="filters">\(tabs)</p>
            <table id="reviews"><thead><tr><th>\(req.tr("准考证号", "Ticket"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("部分与原成绩", "Part and score"))</th><th>\(req.tr("理由", "Why"))</th>
            <th>\(req.tr("申请日期", "Asked"))</th><th>\(req.tr("答复期限", "Due"))</th><th>\(req.tr("状态", "Status"))</th><th></th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"8\" class=\"muted\">\(req.tr("暂无", "None"))</td></tr>" : body)</tbody></table>
            """)
    }

    static func reviewID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("reviewId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "review") }
        return id
    }

    @Sendable static func assign(req: Request) async throws -> Response {
        struct Form: Content { var reviewers: [String]? }
        let ids = (try req.content.decode(Form.self).reviewers ?? []).compactMap(UUID.init(uuidString:))
        try await ResultStore.assignReviewers(reviewID: try reviewID(req), reviewers: ids, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/score-reviews?done=" + req.tr("已指派复核人员", "Reviewers assigned").urlQueryEncoded)
    }

    @Sendable static func answer(req: Request) async throws -> Response {
        struct Form: Content { var score: String?; var answer: String? }
        let f = try req.content.decode(Form.self)
        let v = try await ResultStore.answerReview(reviewID: try reviewID(req), newScore: f.score ?? "", answer: f.answer ?? "", actor: try req.requireUser().actor,
                                                   on: req.db, time: req.time)
        let done = v.newScore.map { req.tr("已答复，成绩更正为 \(scoreText($0))", "Answered; score changed to \(scoreText($0))") } ?? req.tr("已答复，成绩不变", "Answered; unchanged")
        return req.redirect(to: "/score-reviews?status=all&done=\(done.urlQueryEncoded)")
    }

    // MARK: Publicity

    static func publicity(_ req: Request) async throws -> PublicityRecord {
        guard let id = req.parameters.get("pid").flatMap(UUID.init(uuidString:)), let p = try await PublicityRecord.find(id, on: req.db) else {
            throw DomainError.notFound(what: "publicity")
        }
        return p
    }

    @Sendable static func publicIndex(req: Request) async throws -> Response {
        let all = try await PublicityRecord.query(on: req.db).sort(\.$publishedAt, .descending).all()
        let plans = Dictionary(try await StoredPlan.query(on: req.db).filter(\.$id ~~ all.map(\.planID)).all().map { ($0.id!, $0.title) }, uniquingKeysWith: { a, _ in a })
        let rows = all.map { p in
            "<tr><td><a href=\"/publicity/\(p.id!.uuidString)\">\(esc(plans[p.planID] ?? ""))</a></td><td>\(esc(p.startedOn)) – \(esc(p.lastDay))</td>"
                + "<td>\(p.finalizedAt == nil ? req.tr("公示中", "open") : req.tr("已结束", "ended"))</td><td>\(p.listed.count)</td></tr>"
        }.joined()
        return Layout.page(req, title: req.tr("认定结果公示", "Results publicity"), """
            <table id="publicities"><thead><tr><th>\(req.tr("认定计划", "Plan"))</th><th>\(req.tr("公示期", "Period"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("合格人数", "Passed"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">\(req.tr("暂无公示", "Nothing published"))</td></tr>" : rows)</tbody></table>
            """)
    }

    @Sendable static func publicPage(req: Request) async throws -> Response {
        try await renderPublic(req, errors: [])
    }

    static func renderPublic(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let p = try await publicity(req)
        let plan = try await StoredPlan.find(p.planID, on: req.db)
        let lines = try await ResultStore.publicList(p, on: req.db)
        let body = try await BodyStore.load(on: req.db)
        let rows = lines.enumerated().map { i, l in
            "<tr><td>\(i + 1)</td><td>\(esc(l.name))</td><td class=\"mono\">\(esc(l.maskedID))</td><td>\(esc(l.occupation))</td><td>\(esc(l.level))</td><td>\(esc(l.result))</td></tr>"
        }.joined()
        let open = p.finalizedAt == nil
        let form = open ? """
            <h2>\(req.tr("提出异议", "Raise an objection"))</h2>
            <p>\(req.tr("对公示名单有异议的，请在公示期内实名提出，我们将登记、调查并答复。", "Objections are registered, investigated and answered; please give a name and a way to reach you."))</p>
            <form method="post" action="/publicity/\(p.id!.uuidString)/objections" id="objection-form">\(H.csrf(req))
            \(H.field(req.tr("异议对象（姓名或序号）", "About (name or line number)"), name: "subject", required: true, errors: errors, req: req))
            <div class="field\(errors.contains { $0.field == "text" } ? " has-error" : "")"><label for="f-text">\(req.tr("异议内容", "Objection")) <span class="req">*</span></label><textarea id="f-text" name="text" rows="4" required></textarea>\(H.fieldErrors(errors, "text", req))</div>
            \(H.field(req.tr("联系人", "Your name"), name: "contactName", required: true, errors: errors, req: req))
            \(H.field(req.tr("联系方式（电话或邮箱）", "Phone or e-mail"), name: "contact", required: true, errors: errors, req: req))
            <div class="actions"><button type="submit" id="object">\(req.tr("提交异议", "Submit"))</button></div></form>
            """ : "<p>\(req.tr("公示已结束。", "The publicity period has ended."))</p>"
        let response = Layout.page(req, title: req.tr("职业技能等级认定合格人员公示", "Passing candidates (publicity)"), """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p>\(esc(body?.name ?? ""))\(req.tr("现将", " publishes ")) <strong>\(esc(plan?.title ?? ""))</strong> \(req.tr("认定合格人员名单予以公示，公示期为", "passing candidates for objections from")) \(esc(p.startedOn)) \(req.tr("至", "to")) \(esc(p.lastDay))。</p>
            <table id="public-list"><thead><tr><th>\(req.tr("序号", "#"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("证件号码", "ID number"))</th><th>\(req.tr("职业（工种）", "Occupation"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("结果", "Result"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("无", "None"))</td></tr>" : rows)</tbody></table>
            \(form)
            """)
        response.status = status
        return response
    }

    @Sendable static func object(req: Request) async throws -> Response {
        let p = try await publicity(req)
        struct Form: Content { var subject: String?; var text: String?; var contactName: String?; var contact: String? }
        let f = try req.content.decode(Form.self)
        do {
            let o = try await ResultStore.raiseObjection(publicityID: p.requireID(), subject: f.subject ?? "", text: f.text ?? "", contactName: f.contactName ?? "",
                                                         contact: f.contact ?? "", on: req.db, time: req.time)
            return req.redirect(to: "/publicity/\(p.id!.uuidString)?done=" + req.tr("异议已登记，编号 \(o.number)，我们将调查后答复", "Registered as \(o.number); we will answer").urlQueryEncoded)
        } catch let failure as ValidationFailure {
            return try await renderPublic(req, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    @Sendable static func manage(req: Request) async throws -> Response {
        let p = try await publicity(req)
        let objections = try await ObjectionRecord.query(on: req.db).filter(\.$publicityID == p.requireID()).sort(\.$receivedAt).all()
        let today = req.time.now().chinaLocalDate
        let isAffairs = !(try req.requireUser().roles.isDisjoint(with: affairs))
        let rows = objections.map { o -> String in
            let form = isAffairs && o.statusValue.isOpen ? """
                <form method="post" action="/objections/\(o.id!.uuidString)" class="handle">\(H.csrf(req))
                <div class="field"><label>\(req.tr("调查情况", "Investigation"))</label><textarea name="investigation" rows="2" required>\(esc(o.investigation ?? ""))</textarea></div>
                <div class="field"><label>\(req.tr("答复（填写后异议办结）", "Answer (closes the objection)"))</label><textarea name="answer" rows="2"></textarea></div>
                <button type="submit" class="secondary">\(req.tr("保存", "Save"))</button></form>
                """ : "\(esc(o.investigation ?? ""))\(o.answer.map { "<br>\(req.tr("答复", "Answer"))：" + esc($0) } ?? "")"
            return "<tr data-status=\"\(o.status)\"><td class=\"mono\">\(esc(o.number))</td><td>\(H.time(o.receivedAt))</td><td>\(esc(o.subject))</td><td>\(esc(o.text))</td>"
                + "<td>\(esc(o.contactName)) \(esc(o.contact))</td><td><span class=\"badge\">\(req.tr(o.statusValue.nameZH, o.status))</span></td><td>\(form)</td></tr>"
        }.joined()
        let open = objections.filter(\.statusValue.isOpen).count
        let ended = LocalDate(iso: p.lastDay).map { today > $0 } ?? false
        let finalize = isAffairs && p.finalizedAt == nil ? """
            <form method="post" action="/publicity/\(p.id!.uuidString)/finalize" data-confirm="\(req.tr("结束公示并确认成绩？", "End the publicity and make the results final?"))">\(H.csrf(req))
            <button type="submit" id="finalize"\(ended && open == 0 ? "" : " class=\"secondary\"")>\(req.tr("结束公示，确认成绩", "End publicity, results final"))</button>
            <span class="muted">\(ended ? "" : req.tr("公示期至 \(p.lastDay)，期满后方可结束。", "Runs until \(p.lastDay)."))\(open > 0 ? req.tr(" 还有 \(open) 件异议未办结。", " \(open) objections open.") : "")</span></form>
            """ : p.finalizedAt.map { "<p>\(req.tr("公示已于", "Ended")) \(H.time($0)) \(req.tr("结束，合格人员成绩已确认，可制发证书。", "; results final, ready for certificates."))</p>" } ?? ""
        return Layout.page(req, title: req.tr("公示异议处理", "Publicity objections"), active: "/plans", """
            \(H.notice(req))
            <p><a href="/plans/\(p.planID.uuidString)/results">\(req.tr("返回成绩", "Back to results"))</a> · <a href="/publicity/\(p.id!.uuidString)">\(req.tr("公示页面", "Public page"))</a> ·
            \(req.tr("公示期", "Period")) \(esc(p.startedOn)) – \(esc(p.lastDay))</p>
            \(finalize)
            <h2>\(req.tr("异议（\(objections.count)）", "Objections (\(objections.count))"))</h2>
            <table id="objections"><thead><tr><th>\(req.tr("编号", "No."))</th><th>\(req.tr("收到时间", "Received"))</th><th>\(req.tr("对象", "About"))</th><th>\(req.tr("内容", "Text"))</th>
            <th>\(req.tr("联系人", "Contact"))</th><th>\(req.tr("状态", "Status"))</th><th>\(req.tr("调查与答复", "Handling"))</th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("暂无异议", "None"))</td></tr>" : rows)</tbody></table>
            """)
    }

    @Sendable static func handle(req: Request) async throws -> Response {
        guard let id = req.parameters.get("objectionId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "objection") }
        struct Form: Content { var investigation: String?; var answer: String? }
        let f = try req.content.decode(Form.self)
        let o = try await ResultStore.handleObjection(id, investigation: f.investigation ?? "", answer: f.answer ?? "", actor: try req.requireUser().actor,
                                                      on: req.db, time: req.time)
        return req.redirect(to: "/publicity/\(o.publicityID.uuidString)/manage?done=" + req.tr("异议 \(o.number)：\(o.statusValue.nameZH)", "\(o.number): \(o.status)").urlQueryEncoded)
    }

    @Sendable static func finalize(req: Request) async throws -> Response {
        let p = try await publicity(req)
        try await ResultStore.finalize(publicityID: p.requireID(), actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/publicity/\(p.id!.uuidString)/manage?done=" + req.tr("公示已结束，成绩已确认", "Publicity ended; results final").urlQueryEncoded)
    }
}
