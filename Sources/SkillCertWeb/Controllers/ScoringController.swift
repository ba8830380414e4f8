import Fluent
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// Skills and comprehensive-review scoring by examiner panels: the examiner's list and phone-sized score sheet
/// (kept in the browser until the server has it), corrections, photos of the work product, and the chief
/// examiner's arbitrations and approvals. Sheets are blind until the whole panel has submitted — on the pages and
/// in the API alike, because both read them through `ScoringStore.sheets`.
enum ScoringController {
    static let scorers: Set<Role> = [.examiner]
    static let readers: Set<Role> = [.administrator, .examAffairs, .examiner]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "static/scoring.js", access: .everyone) { _ in
            SystemController.asset(script, type: .init(type: "text", subType: "javascript", parameters: ["charset": "utf-8"]), maxAge: 300)
        }
        r.endpoint(.GET, "scoring", access: .anyOf(scorers), use: home)
        r.endpoint(.GET, "scoring/sessions/:id", access: .anyOf(scorers), use: queue)
        r.endpoint(.GET, "scoring/sessions/:id/sheet", access: .anyOf(readers), use: sheetPage)
        r.endpoint(.POST, "scoring/sessions/:id/sheets", access: .anyOf(scorers), use: submit)
        r.endpoint(.POST, "scoring/sheets/:sheetId/correction", access: .anyOf(scorers), use: requestCorrection)
        r.endpoint(.POST, "scoring/sheets/:sheetId/photos", access: .anyOf(scorers), body: .collect(maxSize: "30mb"), use: addPhotos)
        r.endpoint(.GET, "scoring/sheets/:sheetId/photos/:n", access: .anyOf(readers), use: photo)
        r.endpoint(.GET, "scoring/chief", access: .anyOf(scorers), use: chief)
        r.endpoint(.POST, "scoring/tasks/:taskId/arbitrate", access: .anyOf(scorers), use: arbitrate)
        r.endpoint(.POST, "scoring/corrections/:correctionId", access: .anyOf(scorers), use: decide)
        r.endpoint(.GET, "scoring/sessions/:id/dossier/:material", access: .anyOf(readers), use: dossierFile)
        r.endpoint(.GET, "me/dossier", access: .anyOf([.candidate]), use: dossier)
        r.endpoint(.POST, "me/dossier/:applicationId", access: .anyOf([.candidate]), body: .collect(maxSize: "30mb"), use: addToDossier)
        r.endpoint(.GET, "api/v1/scoring/sessions/:id/sheets", access: .anyOf(readers),
                   api: APIDoc("The score sheets of one candidate and task that the caller may read: only their own until the whole panel has submitted",
                               tag: "scoring", response: "ScoreSheets",
                               query: [.init("candidateId", "string", format: "uuid", required: true, "The candidate"),
                                       .init("itemId", "string", format: "uuid", required: true, "The task card's item (or the review rubric)")],
                               errors: [400, 404, 409]),
                   use: apiSheets)
        r.endpoint(.POST, "api/v1/scoring/sessions/:id/sheets", access: .anyOf(scorers),
                   api: APIDoc("Submit the caller's score sheet (locked once stored; a replay with the same clientRef returns the stored sheet)",
                               tag: "scoring", request: "ScoreSheetSubmission", status: 201, response: "ScoreSheetStored", errors: [400, 403, 404, 409, 415, 422]),
                   use: apiSubmit)
    }

    // MARK: The examiner's pages

    @Sendable static func home(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let posts = try await StaffAssignment.query(on: req.db).filter(\.$userID == me.id)
            .filter(\.$role ~~ [StaffRole.examiner.rawValue, StaffRole.chiefExaminer.rawValue]).all()
        let sessions = try await ExamSession.query(on: req.db).filter(\.$id ~~ posts.map(\.sessionID))
            .filter(\.$mode ~~ [ExamSession.Mode.practical.rawValue, ExamSession.Mode.review.rawValue]).sort(\.$heldOn, .descending).all()
        let rows = sessions.map { s -> String in
            let roles = posts.filter { $0.sessionID == s.id }.map { req.tr($0.roleValue.nameZH, $0.role) }.joined(separator: "、")
            let chief = posts.contains { $0.sessionID == s.id && $0.roleValue == .chiefExaminer }
            let link = chief ? "<a href=\"/scoring/chief\">\(req.tr("仲裁与更正审批", "Arbitration & corrections"))</a>"
                : "<a class=\"button\" href=\"/scoring/sessions/\(s.id!.uuidString)\">\(req.tr("开始评分", "Score"))</a>"
            return "<tr><td>\(esc(s.heldOn)) \(s.slot.timeText)</td><td>\(req.tr(s.modeValue.nameZH, s.mode))</td><td>\(Level(s.level).fullName)</td><td>\(esc(roles))</td><td>\(link)</td></tr>"
        }.joined()
        return Layout.page(req, title: req.tr("考评评分", "Scoring"), active: "/scoring", """
            <p>\(req.tr("您被安排为考评员或考评组长的实操、综合评审场次。考评员各自独立评分，全组提交前看不到他人的评分表。",
                        "Skills and review sessions you are assigned to. Examiners score independently; nobody sees another's sheet before the whole panel has submitted."))</p>
            <table id="sessions"><thead><tr><th>\(req.tr("时间", "When"))</th><th>\(req.tr("方式", "Mode"))</th><th>\(req.tr("等级", "Level"))</th><th>\(req.tr("职责", "Role"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("暂无评分任务", "Nothing to score"))</td></tr>" : rows)</tbody></table>
            """)
    }

    static func sessionID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "session") }
        return id
    }

    @Sendable static func queue(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let sid = try sessionID(req)
        let session = try await ScoringStore.scoringSession(sid, on: req.db)
        let rows = try await ScoringStore.queue(sessionID: sid, examinerID: me.id, sealer: req.application.contentSealer, on: req.db, time: req.time)
        let body = rows.map { row -> String in
            let mine = row.mine.map { "<span class=\"badge ok\">\(req.tr("已提交", "submitted")) \(scoreText($0.score))</span>" }
                ?? (row.absent ? "<span class=\"badge bad\">\(req.tr("缺考", "absent"))</span>" : "<span class=\"badge\">\(req.tr("未评", "to score"))</span>")
            let state = "<span class=\"badge\(row.state == .arbitration ? " bad" : row.state == .settled ? " ok" : "")\">\(req.tr(row.state.nameZH, row.state.rawValue))</span>"
            let href = "/scoring/sessions/\(sid.uuidString)/sheet?candidate=\(row.candidateID.uuidString)&item=\(row.task.itemID.uuidString)"
            let action = row.absent ? "" : "<a href=\"\(href)\"\(row.mine == nil ? " class=\"button\"" : "")>\(row.mine == nil ? req.tr("评分", "Score") : req.tr("查看", "View"))</a>"
            return "<tr data-ticket=\"\(esc(row.ticketNumber))\" data-task=\"\(row.task.number)\"><td>\(row.seat)</td><td class=\"mono\">\(esc(row.ticketNumber))</td><td>\(row.task.number). \(esc(row.task.title))</td><td>\(mine)</td><td>\(row.submitted)/\(row.panelSize) \(state)</td><td>\(action)</td></tr>"
        }.joined()
        let todo = rows.filter { $0.mine == nil && !$0.absent }.count
        return Layout.page(req, title: req.tr("评分：\(session.heldOn) \(session.modeValue.nameZH)", "Scoring: \(session.heldOn) \(session.mode)"), active: "/scoring", """
            <p><a href="/scoring">\(req.tr("返回", "Back"))</a> · \(req.tr("待评 \(todo) 项", "\(todo) to score"))</p>
            <p id="pending-sheets" class="alert alert-error" hidden data-text="\(req.tr("有评分表尚未送达服务器，已保存在本机，网络恢复后自动重发：", "Sheets not yet on the server (kept here, resent when online): "))"></p>
            <table id="queue"><thead><tr><th>\(req.tr("工位/座号", "Seat"))</th><th>\(req.tr("准考证号", "Ticket"))</th><th>\(req.tr("任务", "Task"))</th><th>\(req.tr("我的评分", "Mine"))</th><th>\(req.tr("全组进度", "Panel"))</th><th></th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"6\" class=\"muted\">\(req.tr("您不是本场次的考评员", "You are not an examiner of this session"))</td></tr>" : body)</tbody></table>
            <script src="/static/scoring.js" defer></script>
            """)
    }

    struct SheetQuery { var candidateID: UUID; var itemID: UUID }

    static func sheetQuery(_ req: Request, candidate: String?, item: String?) throws -> SheetQuery {
        guard let c = candidate.flatMap(UUID.init(uuidString:)) else {
            throw WebError.badField("candidate", zh: "请指定考生", en: "candidate is required")
        }
        guard let i = item.flatMap(UUID.init(uuidString:)) else { throw WebError.badField("item", zh: "请指定任务", en: "item is required") }
        return SheetQuery(candidateID: c, itemID: i)
    }

    @Sendable static func sheetPage(req: Request) async throws -> Response {
        let q = try sheetQuery(req, candidate: req.query[String.self, at: "candidate"], item: req.query[String.self, at: "item"])
        return try await renderSheet(req, q, errors: [], entries: [], status: .ok)
    }

    static func renderSheet(_ req: Request, _ q: SheetQuery, errors: [FieldError], entries: [String], vetoed: [Int] = [], comment: String = "",
                            status: HTTPResponseStatus) async throws -> Response {
        let me = try req.requireUser()
        let sid = try sessionID(req)
        let session = try await ScoringStore.scoringSession(sid, on: req.db)
        guard let task = try await ScoringStore.tasks(of: session, sealer: req.application.contentSealer, on: req.db, time: req.time)
            .first(where: { $0.itemID == q.itemID }) else { throw DomainError.notFound(what: "task") }
        let view = try await ScoringStore.sheets(sessionID: sid, candidateID: q.candidateID, itemID: q.itemID, viewer: me.id, on: req.db)
        let ticket = try await ScoringController.ticketNumbers([q.candidateID], on: req.db)[q.candidateID] ?? ""
        let mine = view.visible.first { $0.examinerID == me.id }
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ view.visible.map(\.examinerID)).all().map { ($0.id!, $0.displayName) },
                               uniquingKeysWith: { a, _ in a })
        var html = """
            <p><a href="/scoring/sessions/\(sid.uuidString)">\(req.tr("返回评分列表", "Back to the list"))</a></p>
            <p><strong>\(req.tr("准考证号", "Ticket"))</strong> <span class="mono" id="ticket">\(esc(ticket))</span> ·
             <strong>\(req.tr("任务", "Task")) \(task.number)</strong> \(esc(task.title)) · \(req.tr("权重 \(task.weight) 分", "weight \(task.weight)"))</p>
            \(H.errorSummary(errors, req: req))\(H.notice(req))
            """
        if session.modeValue == .review {
            let files = try await DossierStore.forSession(sessionID: sid, candidateID: q.candidateID, on: req.db)
            let list = files.map { m in
                "<li><a href=\"/scoring/sessions/\(sid.uuidString)/dossier/\(m.id!.uuidString)\" target=\"_blank\">\(esc(m.name))：\(esc(m.fileName))</a> <span class=\"muted\">\(max(1, m.size / 1024)) KB</span></li>"
            }.joined()
            html += "<h2>\(req.tr("考生评审材料", "The candidate's dossier"))</h2><ul id=\"dossier\">\(list.isEmpty ? "<li class=\"muted\">\(req.tr("考生未提交评审材料", "No dossier handed in"))</li>" : list)</ul>"
        }
        if let mine {
            html += "<h2>\(req.tr("我的评分表（已提交，已锁定）", "My sheet (submitted, locked)"))</h2>" + sheetTable(req, mine, card: task.card, names: names)
            html += correctionForm(req, mine, card: task.card, errors: errors)
            html += photoForm(req, mine)
        } else if !view.allIn || view.visible.isEmpty,
                  try await ScoringStore.panel(sessionID: sid, candidateID: q.candidateID, on: req.db).members.contains(me.id) {
            // Only the panel's examiners get the form; exam affairs sees the progress alone.
            html += sheetForm(req, sid: sid, q: q, card: task.card, errors: errors, entries: entries, vetoed: vetoed, comment: comment)
        }
        if view.allIn {
            html += "<h2>\(req.tr("全组评分表", "The panel's sheets"))</h2>"
            for sheet in view.visible where sheet.examinerID != me.id { html += sheetTable(req, sheet, card: task.card, names: names) }
            if let score = view.score {
                let figure = score.score.map(scoreText) ?? "—"
                let badge = "<span class=\"badge\(score.stateValue == .arbitration ? " bad" : " ok")\">\(req.tr(score.stateValue.nameZH, score.state))</span>"
                let why = score.arbitrationReason.map { " · " + esc($0) } ?? ""
                let decision = score.decisionReason.map { " · " + req.tr("仲裁理由", "decision") + ": " + esc($0) } ?? ""
                html += "<p id=\"task-score\">" + req.tr("任务得分", "Task score") + ": <strong>\(figure)</strong> · \(badge) "
                    + req.tr("评分差", "spread") + " \(scoreText(score.spread))\(why)\(decision)</p>"
            }
        } else {
            let waiting = req.tr("全组 \(view.panelSize) 名考评员中已有 \(view.submitted) 名提交；全部提交前看不到他人的评分。",
                                 "\(view.submitted) of \(view.panelSize) examiners have submitted; other sheets stay hidden until all have.")
            html += "<p class=\"muted\" id=\"blind\">\(waiting)</p>"
        }
        let response = Layout.page(req, title: req.tr("考核评分记录表", "Score sheet"), active: "/scoring", html + "<script src=\"/static/scoring.js\" defer></script>")
        response.status = status
        return response
    }

    static func sheetForm(_ req: Request, sid: UUID, q: SheetQuery, card: TaskCard, errors: [FieldError], entries: [String], vetoed: [Int],
                          comment: String, action: String? = nil, reason: Bool = false) -> String {
        let ref = UUID().uuidString
        let criteria = card.criteria.enumerated().map { i, c -> String in
            let name = "c\(i + 1)"
            let own = errors.filter { $0.field == name }
            let veto = c.veto ? "<label class=\"veto\"><input type=\"checkbox\" name=\"veto[]\" value=\"\(i)\"\(vetoed.contains(i) ? " checked" : "")> \(req.tr("否决项不合格", "veto failed"))</label>" : ""
            return """
                <div class="crit field\(own.isEmpty ? "" : " has-error")"><label for="f-\(name)">\(i + 1). \(esc(c.text)) <span class="muted">（\(c.points) \(req.tr("分", "pts"))）</span></label>\
                \(c.deduction.map { "<p class=\"hint\">\(esc($0))</p>" } ?? "")\
                <input id="f-\(name)" name="\(name)" inputmode="decimal" autocomplete="off" required value="\(esc(i < entries.count ? entries[i] : ""))" placeholder="\(req.tr("得分，或 -扣分", "points, or -deduction"))">\(veto)\
                \(H.fieldErrors(errors, name, req))</div>
                """
        }.joined()
        let target = action ?? "/scoring/sessions/\(sid.uuidString)/sheets"
        return """
            <form method="post" action="\(target)" id="sheet-form" class="sheet" data-ref="\(ref)" \
            data-lock="\(req.tr("提交后评分表即锁定，确认提交？", "The sheet locks once submitted. Submit?"))" data-sending="\(req.tr("正在提交…", "Sending…"))" data-pending="\(req.tr("未送达：评分表已保存在本机，网络恢复后自动重发", "Not sent yet: kept on this device, resent when online"))">\(H.csrf(req))
            <input type="hidden" name="candidate" value="\(q.candidateID.uuidString)"><input type="hidden" name="item" value="\(q.itemID.uuidString)">
            <input type="hidden" name="clientRef" value="\(ref)">
            \(criteria)
            <div class="field"><label for="f-comment">\(req.tr("评语", "Comment"))</label><textarea id="f-comment" name="comment" rows="2">\(esc(comment))</textarea></div>
            \(reason ? H.field(req.tr("更正理由", "Reason for the correction"), name: "reason", required: true, errors: errors, req: req) : "")
            <div class="actions"><button type="submit" id="submit-sheet">\(reason ? req.tr("提交更正申请", "Ask for the correction") : req.tr("提交评分", "Submit"))</button>
            <span id="sheet-state" class="badge" role="status"></span></div></form>
            """
    }

    static func sheetTable(_ req: Request, _ sheet: ScoreSheetRecord, card: TaskCard, names: [UUID: String]) -> String {
        let marks = sheet.marksValue
        let rows = card.criteria.enumerated().map { i, c in
            "<tr><td>\(i + 1). \(esc(c.text))</td><td>\(c.points)</td><td>\(i < marks.points.count ? scoreText(marks.points[i]) : "—")\(marks.vetoed.contains(i) ? " <span class=\"badge bad\">\(req.tr("否决", "veto"))</span>" : "")</td></tr>"
        }.joined()
        let photos = sheet.photoNames.indices.map { "<a href=\"/scoring/sheets/\(sheet.id!.uuidString)/photos/\($0)\">\(req.tr("照片", "photo")) \($0 + 1)</a>" }.joined(separator: " ")
        return """
            <table class="sheet-table" data-examiner="\(esc(names[sheet.examinerID] ?? ""))"><caption>\(esc(names[sheet.examinerID] ?? "")) · \(H.time(sheet.submittedAt))\
            \(sheet.correctedAt.map { " · \(req.tr("已更正", "corrected")) \(H.time($0))" } ?? "")</caption>
            <thead><tr><th>\(req.tr("评分项", "Criterion"))</th><th>\(req.tr("配分", "Points"))</th><th>\(req.tr("得分", "Awarded"))</th></tr></thead><tbody>\(rows)
            <tr><th colspan="2">\(req.tr("得分（百分制）", "Score (of 100)"))</th><th class="sheet-score">\(scoreText(sheet.score))</th></tr></tbody></table>
            \(marks.comment.isEmpty ? "" : "<p>\(req.tr("评语", "Comment"))：\(esc(marks.comment))</p>")\(photos.isEmpty ? "" : "<p>\(photos)</p>")
            """
    }

    static func correctionForm(_ req: Request, _ sheet: ScoreSheetRecord, card: TaskCard, errors: [FieldError]) -> String {
        let marks = sheet.marksValue
        let form = sheetForm(req, sid: sheet.sessionID, q: SheetQuery(candidateID: sheet.candidateID, itemID: sheet.itemID), card: card, errors: errors,
                             entries: marks.points.map(scoreText), vetoed: marks.vetoed, comment: marks.comment,
                             action: "/scoring/sheets/\(sheet.id!.uuidString)/correction", reason: true)
            .replacingOccurrences(of: "id=\"sheet-form\"", with: "id=\"correction-form\"")
        return "<details><summary>\(req.tr("申请更正（须写明理由，经考评组长批准，原评分保留）", "Ask for a correction (with a reason; the chief examiner approves; the original is kept)"))</summary>\(form)</details>"
    }

    static func photoForm(_ req: Request, _ sheet: ScoreSheetRecord) -> String {
        """
        <form method="post" action="/scoring/sheets/\(sheet.id!.uuidString)/photos?\(CSRFProtection.field)=\(esc(req.csrfToken))" enctype="multipart/form-data" id="photo-form">\(H.csrf(req))
        <div class="field"><label for="f-photos">\(req.tr("作品照片（可用手机拍摄）", "Photos of the work (phone camera)"))</label>\
        <input id="f-photos" type="file" name="photos[]" accept="image/jpeg,image/png" capture="environment" multiple required></div>
        <div class="actions"><button type="submit" class="secondary" data-busy="\(req.tr("上传中…", "Uploading…"))">\(req.tr("上传照片", "Upload"))</button></div></form>
        """
    }

    struct SheetForm: Content {
        var candidate: String?
        var item: String?
        var clientRef: String?
        var comment: String?
        var reason: String?
        var veto: [Int]?
    }

    /// Reads the criterion entries `c1`, `c2`, … from a form body.
    static func entries(_ req: Request) -> [String] {
        var out: [String] = []
        var i = 1
        while let value = try? req.content.get(String.self, at: "c\(i)") {
            out.append(value)
            i += 1
        }
        return out
    }

    @Sendable static func submit(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let sid = try sessionID(req)
        let f = try req.content.decode(SheetForm.self)
        let q = try sheetQuery(req, candidate: f.candidate, item: f.item)
        let values = entries(req)
        let wantsJSON = req.headers.accept.mediaTypes.first == .json
        do {
            let sheet = try await ScoringStore.submit(sessionID: sid, candidateID: q.candidateID, itemID: q.itemID, entries: values, vetoed: f.veto ?? [],
                                                      comment: f.comment ?? "", clientRef: f.clientRef ?? "", actor: me.actor,
                                                      sealer: req.application.contentSealer, on: req.db, time: req.time)
            let location = "/scoring/sessions/\(sid.uuidString)/sheet?candidate=\(q.candidateID.uuidString)&item=\(q.itemID.uuidString)&done="
                + req.tr("评分表已提交：\(scoreText(sheet.score)) 分", "Sheet submitted: \(scoreText(sheet.score))").urlQueryEncoded
            if wantsJSON {
                let response = Response(status: .created)
                try response.content.encode(StoredSheet(sheetId: try sheet.requireID(), score: sheet.score, location: location), as: .json)
                return response
            }
            return req.redirect(to: location)
        } catch let failure as ValidationFailure where !wantsJSON {
            return try await renderSheet(req, q, errors: failure.errors, entries: values, vetoed: f.veto ?? [], comment: f.comment ?? "", status: .unprocessableEntity)
        }
    }

    struct StoredSheet: Content { var sheetId: UUID; var score: Double; var location: String }

    static func ownSheet(_ req: Request) async throws -> ScoreSheetRecord {
        guard let id = req.parameters.get("sheetId").flatMap(UUID.init(uuidString:)), let sheet = try await ScoreSheetRecord.find(id, on: req.db) else {
            throw DomainError.notFound(what: "sheet")
        }
        return sheet
    }

    static func sheetLocation(_ sheet: ScoreSheetRecord, done: String) -> String {
        "/scoring/sessions/\(sheet.sessionID.uuidString)/sheet?candidate=\(sheet.candidateID.uuidString)&item=\(sheet.itemID.uuidString)&done=\(done.urlQueryEncoded)"
    }

    @Sendable static func requestCorrection(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let sheet = try await ownSheet(req)
        let f = try req.content.decode(SheetForm.self)
        do {
            try await ScoringStore.requestCorrection(sheetID: sheet.requireID(), entries: entries(req), vetoed: f.veto ?? [], comment: f.comment ?? "",
                                                     reason: f.reason ?? "", actor: me.actor, sealer: req.application.contentSealer, on: req.db, time: req.time)
            return req.redirect(to: sheetLocation(sheet, done: req.tr("更正申请已提交，等待考评组长审批", "Correction sent to the chief examiner")))
        } catch let failure as ValidationFailure {
            req.parameters.set("id", to: sheet.sessionID.uuidString)
            return try await renderSheet(req, SheetQuery(candidateID: sheet.candidateID, itemID: sheet.itemID), errors: failure.errors, entries: [],
                                         status: .unprocessableEntity)
        }
    }

    @Sendable static func addPhotos(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let sheet = try await ownSheet(req)
        // `photos[]` from the page (several at once); a single `photos` file from other clients.
        struct Many: Content { var photos: [File]? }
        struct One: Content { var photos: File? }
        let files = (try? req.content.decode(Many.self).photos) ?? (try? req.content.decode(One.self).photos).map { [$0] } ?? []
        guard !files.isEmpty else { throw WebError.badField("photos", code: "required", zh: "请选择照片", en: "choose at least one photo") }
        let maxBytes = try await SettingsStore.value(.materialMaxKB, on: req.db) * 1024
        var names: [String] = []
        for (i, file) in files.enumerated() {
            let data = Data(buffer: file.data)
            let kind = try UploadRules.material(data, fileName: file.filename, maxBytes: maxBytes, field: "photos")
            guard kind != .pdf else {
                throw WebError.badField("photos", code: "not_a_photo", zh: "第 \(i + 1) 个文件不是照片（JPEG/PNG）", en: "file \(i + 1) is not a JPEG or PNG photo")
            }
            names.append(try await req.application.fileStore.put(data))
        }
        try await ScoringStore.attachPhotos(sheetID: sheet.requireID(), names: names, actor: me.actor, on: req.db, time: req.time)
        return req.redirect(to: sheetLocation(sheet, done: req.tr("已上传 \(names.count) 张照片", "\(names.count) photo(s) uploaded")))
    }

    @Sendable static func photo(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let sheet = try await ownSheet(req)
        // The same blindness as the sheet itself.
        let view = try await ScoringStore.sheets(sessionID: sheet.sessionID, candidateID: sheet.candidateID, itemID: sheet.itemID, viewer: me.id, on: req.db)
        guard view.visible.contains(where: { $0.id == sheet.id }), let n = req.parameters.get("n").flatMap(Int.init),
              sheet.photoNames.indices.contains(n), let data = try await req.application.fileStore.get(sheet.photoNames[n]) else {
            throw DomainError.notFound(what: "photo")
        }
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = ContentKind.sniff(data) == .png ? .png : .jpeg
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    // MARK: The comprehensive review's dossier

    /// The panel (its examiners and chief), and exam affairs, read a reviewed candidate's dossier.
    @Sendable static func dossierFile(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let sid = try sessionID(req)
        guard let mid = req.parameters.get("material").flatMap(UUID.init(uuidString:)), let m = try await ApplicationMaterial.find(mid, on: req.db),
              m.stage == DossierStore.stage, let a = try await StoredApplication.find(m.applicationID, on: req.db),
              try await SeatAssignment.query(on: req.db).filter(\.$sessionID == sid).filter(\.$applicationID == m.applicationID).first() != nil else {
            throw DomainError.notFound(what: "material")
        }
        if me.roles.isDisjoint(with: [.administrator, .examAffairs]) {
            let panel = try await ScoringStore.panel(sessionID: sid, candidateID: a.candidateID, on: req.db)
            guard panel.members.contains(me.id) || panel.chiefs.contains(me.id) else { throw DomainError.notFound(what: "material") }
        }
        return try await ApplicationsController.serveMaterial(req, application: a)
    }

    @Sendable static func dossier(req: Request) async throws -> Response {
        try await renderDossier(req, errors: [])
    }

    static func renderDossier(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let me = try req.requireUser()
        let applications = try await StoredApplication.query(on: req.db).filter(\.$candidateID == me.id)
            .filter(\.$status !~ [StoredApplication.Status.rejected.rawValue, StoredApplication.Status.withdrawn.rawValue]).all()
        var html = H.notice(req) + H.errorSummary(errors, req: req)
        var any = false
        for a in applications where try await DossierStore.needsDossier(a, on: req.db) {
            any = true
            let aid = a.id!.uuidString
            let plan = try await StoredPlan.find(a.planID, on: req.db)
            let files = try await DossierStore.files(applicationID: a.requireID(), on: req.db)
            let list = files.map { m in
                "<li><a href=\"/me/applications/\(aid)/materials/\(m.id!.uuidString)\" target=\"_blank\">\(esc(m.name))：\(esc(m.fileName))</a> <span class=\"muted\">\(max(1, m.size / 1024)) KB · \(H.time(m.uploadedAt))</span></li>"
            }.joined()
            html += """
                <section class="card dossier"><h2>\(esc(plan?.title ?? "")) · \(Level(a.level).fullName)</h2>
                <ul class="dossier-files">\(list.isEmpty ? "<li class=\"muted\">\(req.tr("尚未提交材料", "Nothing handed in yet"))</li>" : list)</ul>
                <form method="post" action="/me/dossier/\(aid)?\(CSRFProtection.field)=\(esc(req.csrfToken))" enctype="multipart/form-data">\(H.csrf(req))
                \(H.select(req.tr("材料类别", "What it is"), name: "category", options: DossierStore.categories.map { ($0, $0) }, selected: "", errors: errors, req: req))
                <div class="field"><label for="f-file-\(aid)">\(req.tr("文件（PDF、JPEG 或 PNG）", "File (PDF, JPEG or PNG)"))</label><input id="f-file-\(aid)" type="file" name="file" accept=".pdf,image/jpeg,image/png" required>\(H.fieldErrors(errors, "file", req))</div>
                <div class="actions"><button type="submit" class="upload-dossier" data-busy="\(req.tr("上传中…", "Uploading…"))">\(req.tr("上传", "Upload"))</button></div></form></section>
                """
        }
        if !any {
            html += "<p class=\"muted\">\(req.tr("您所报的等级不进行综合评审，无需提交评审材料。", "None of your applications has a comprehensive review."))</p>"
        }
        let response = Layout.page(req, title: req.tr("综合评审材料", "Comprehensive review dossier"), active: "/me/dossier", """
            <p>\(req.tr("申报二级/技师、一级/高级技师的考生，请在综合评审开始前上传工作业绩与成果、技术创新、论文或技术总结和个人工作总结等材料，供评审组审阅并在答辩时使用。评审开始后不能再添加。",
                        "Candidates for levels 2 and 1 hand in their work achievements, innovations, papers and a summary before the review; nothing can be added once it starts."))</p>
            \(html)
            """)
        response.status = status
        return response
    }

    @Sendable static func addToDossier(req: Request) async throws -> Response {
        guard let id = req.parameters.get("applicationId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "application") }
        struct Form: Content { var category: String?; var file: File? }
        let f = try req.content.decode(Form.self)
        do {
            guard let file = f.file, file.data.readableBytes > 0 else {
                throw ValidationFailure([FieldError(code: "required", field: "file", zh: "请选择要上传的文件", en: "choose a file")])
            }
            let m = try await DossierStore.add(applicationID: id, category: f.category ?? "", fileName: file.filename, data: Data(buffer: file.data),
                                               candidate: try req.requireUser().actor, files: req.application.fileStore, on: req.db, time: req.time)
            return req.redirect(to: "/me/dossier?done=" + req.tr("已上传：\(m.name)（\(m.fileName)）", "Uploaded: \(m.fileName)").urlQueryEncoded)
        } catch let failure as ValidationFailure {
            return try await renderDossier(req, errors: failure.errors, status: .unprocessableEntity)
        }
    }

    // MARK: The chief examiner

    @Sendable static func chief(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let q = try await ScoringStore.chiefQueue(chiefID: me.id, on: req.db)
        let sheets = try await ScoreSheetRecord.query(on: req.db).filter(\.$sessionID ~~ Array(Set(q.arbitrations.map(\.sessionID)))).all()
        let people = Set(sheets.map(\.examinerID)).union(q.corrections.map(\.sheet.examinerID))
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ Array(people)).all().map { ($0.id!, $0.displayName) }, uniquingKeysWith: { a, _ in a })
        let tickets = try await ticketNumbers(Set(q.arbitrations.map(\.candidateID)).union(q.corrections.map(\.sheet.candidateID)), on: req.db)
        let arbitrations = q.arbitrations.map { task -> String in
            let these = sheets.filter { $0.candidateID == task.candidateID && $0.itemID == task.itemID && $0.sessionID == task.sessionID }
            let list = these.map { "\(esc(names[$0.examinerID] ?? "")) <strong>\(scoreText($0.score))</strong>\($0.vetoed ? " <span class=\"badge bad\">\(req.tr("否决", "veto"))</span>" : "")" }
                .joined(separator: "；")
            let link = "/scoring/sessions/\(task.sessionID.uuidString)/sheet?candidate=\(task.candidateID.uuidString)&item=\(task.itemID.uuidString)"
            return """
                <div class="card arbitration" data-ticket="\(esc(tickets[task.candidateID] ?? ""))"><p><strong>\(req.tr("准考证号", "Ticket")) \(esc(tickets[task.candidateID] ?? ""))</strong> · \
                <a href="\(link)">\(req.tr("查看全部评分表", "All sheets"))</a></p><p>\(esc(task.arbitrationReason ?? ""))</p><p>\(list)</p>
                <form method="post" action="/scoring/tasks/\(task.id!.uuidString)/arbitrate">\(H.csrf(req))
                \(H.field(req.tr("仲裁分数（0–100）", "Decided score (0–100)"), name: "score", required: true, req: req, attrs: "inputmode=\"decimal\""))
                \(H.field(req.tr("仲裁理由", "Reason"), name: "reason", required: true, req: req))
                <div class="actions"><button type="submit" class="decide">\(req.tr("作出仲裁", "Decide"))</button></div></form></div>
                """
        }.joined()
        let corrections = q.corrections.map { c, sheet -> String in
            """
            <div class="card correction"><p><strong>\(req.tr("准考证号", "Ticket")) \(esc(tickets[sheet.candidateID] ?? ""))</strong> · \(esc(names[sheet.examinerID] ?? ""))</p>
            <p>\(req.tr("原评分", "Original")) <strong>\(scoreText(c.originalScore))</strong> → \(req.tr("更正为", "proposed")) <strong>\(scoreText(c.proposedScore))</strong></p>
            <p>\(req.tr("理由", "Reason"))：\(esc(c.reason))</p>
            <form method="post" action="/scoring/corrections/\(c.id!.uuidString)">\(H.csrf(req))
            \(H.field(req.tr("审批意见（不批准时必填）", "Note (required to refuse)"), name: "note", req: req))
            <div class="actions"><button type="submit" name="decision" value="approve">\(req.tr("批准更正", "Approve"))</button>
            <button type="submit" name="decision" value="refuse" class="secondary">\(req.tr("不批准", "Refuse"))</button></div></form></div>
            """
        }.joined()
        return Layout.page(req, title: req.tr("仲裁与更正审批", "Arbitration & corrections"), active: "/scoring", """
            \(H.notice(req))
            <h2>\(req.tr("待仲裁（\(q.arbitrations.count)）", "Waiting for arbitration (\(q.arbitrations.count))"))</h2>
            <p>\(req.tr("考评员评分差超过阈值，或对否决项判定不一致时，由考评组长查看全部评分表后作出仲裁并写明理由。", "A spread above the threshold or a split veto: decide after reading every sheet, with a reason."))</p>
            <div class="cards" id="arbitrations">\(arbitrations.isEmpty ? "<p class=\"muted\">\(req.tr("暂无", "None"))</p>" : arbitrations)</div>
            <h2>\(req.tr("待审批的更正（\(q.corrections.count)）", "Corrections waiting (\(q.corrections.count))"))</h2>
            <div class="cards" id="corrections">\(corrections.isEmpty ? "<p class=\"muted\">\(req.tr("暂无", "None"))</p>" : corrections)</div>
            """)
    }

    static func ticketNumbers(_ candidates: Set<UUID>, on db: any Database) async throws -> [UUID: String] {
        Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$candidateID ~~ Array(candidates)).all().map { ($0.candidateID, $0.number) },
                   uniquingKeysWith: { a, _ in a })
    }

    @Sendable static func arbitrate(req: Request) async throws -> Response {
        let me = try req.requireUser()
        guard let id = req.parameters.get("taskId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "task") }
        struct Form: Content { var score: String?; var reason: String? }
        let f = try req.content.decode(Form.self)
        let record = try await ScoringStore.arbitrate(taskScoreID: id, score: f.score ?? "", reason: f.reason ?? "", actor: me.actor, on: req.db, time: req.time)
        return req.redirect(to: "/scoring/chief?done=" + req.tr("仲裁已记录：\(record.score.map(scoreText) ?? "") 分", "Decided: \(record.score.map(scoreText) ?? "")").urlQueryEncoded)
    }

    @Sendable static func decide(req: Request) async throws -> Response {
        let me = try req.requireUser()
        guard let id = req.parameters.get("correctionId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "correction") }
        struct Form: Content { var decision: String?; var note: String? }
        let f = try req.content.decode(Form.self)
        let approve = f.decision == "approve"
        try await ScoringStore.decideCorrection(id, approve: approve, note: f.note ?? "", actor: me.actor, on: req.db, time: req.time)
        return req.redirect(to: "/scoring/chief?done=" + (approve ? req.tr("已批准更正", "Approved") : req.tr("已不批准", "Refused")).urlQueryEncoded)
    }

    // MARK: API

    struct APISheet: Content {
        var sheetId: UUID
        var examinerId: UUID
        var score: Double
        var vetoed: Bool
        var points: [Double]
        var comment: String
        var submittedAt: Date
        var correctedAt: Date?
    }

    struct APISheets: Content {
        var submitted: Int
        var panelSize: Int
        var allSubmitted: Bool
        var sheets: [APISheet]
        var taskScore: Double?
        var state: String?
    }

    @Sendable static func apiSheets(req: Request) async throws -> APISheets {
        let me = try req.requireUser()
        let q = try sheetQuery(req, candidate: req.query[String.self, at: "candidateId"], item: req.query[String.self, at: "itemId"])
        let view = try await ScoringStore.sheets(sessionID: try sessionID(req), candidateID: q.candidateID, itemID: q.itemID, viewer: me.id, on: req.db)
        return APISheets(submitted: view.submitted, panelSize: view.panelSize, allSubmitted: view.allIn,
                         sheets: try view.visible.map { s in
                             APISheet(sheetId: try s.requireID(), examinerId: s.examinerID, score: s.score, vetoed: s.vetoed, points: s.marksValue.points,
                                      comment: s.marksValue.comment, submittedAt: s.submittedAt, correctedAt: s.correctedAt)
                         }, taskScore: view.score?.score, state: view.score?.state)
    }

    struct APISubmission: Content {
        var candidateId: UUID
        var itemId: UUID
        var entries: [String]
        var vetoed: [Int]?
        var comment: String?
        var clientRef: String
    }

    @Sendable static func apiSubmit(req: Request) async throws -> Response {
        let me = try req.requireUser()
        let body = try req.decodeJSON(APISubmission.self)
        let sheet = try await ScoringStore.submit(sessionID: try sessionID(req), candidateID: body.candidateId, itemID: body.itemId, entries: body.entries,
                                                  vetoed: body.vetoed ?? [], comment: body.comment ?? "", clientRef: body.clientRef, actor: me.actor,
                                                  sealer: req.application.contentSealer, on: req.db, time: req.time)
        let response = Response(status: .created)
        try response.content.encode(StoredSheet(sheetId: try sheet.requireID(), score: sheet.score,
                                                location: "/api/v1/scoring/sessions/\(sheet.sessionID.uuidString)/sheets?candidateId=\(sheet.candidateID.uuidString)&itemId=\(sheet.itemID.uuidString)"),
                                    as: .json)
        return response
    }

    // MARK: The sheet's journal

    /// Keeps a submitted sheet in the browser (localStorage) until the server has acknowledged it, resending when
    /// the connection returns. A refusal (a bad entry, a locked sheet) is sent again as a normal form post so the
    /// page shows the reason in the examiner's language.
    static let script = """
    (function () {
      var KEY = 'skillcert.sheets';
      function load() { try { return JSON.parse(localStorage.getItem(KEY) || '{}'); } catch (e) { return {}; } }
      function keep(j) { localStorage.setItem(KEY, JSON.stringify(j)); }
      var form = document.getElementById('sheet-form');
      function state(text, cls) { var el = document.getElementById('sheet-state'); if (el) { el.textContent = text; el.className = 'badge ' + (cls || ''); } }
      function showPending() {
        var box = document.getElementById('pending-sheets'); var n = Object.keys(load()).length;
        if (box) { box.hidden = n === 0; box.textContent = box.getAttribute('data-text') + n; }
      }
      var busy = false;
      function flush() {
        var j = load(); var refs = Object.keys(j);
        if (busy || refs.length === 0) { showPending(); return; }
        busy = true;
        var ref = refs[0], entry = j[ref];
        fetch(entry.action, { method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json' }, body: entry.body })
          .then(function (r) {
            busy = false;
            var cur = load(); delete cur[ref]; keep(cur);
            if (r.ok) { return r.json().then(function (b) { if (form && form.getAttribute('data-ref') === ref) { location.href = b.location; } else { flush(); } }); }
            if (form && form.getAttribute('data-ref') === ref) { HTMLFormElement.prototype.submit.call(form); } else { flush(); }
          })
          .catch(function () { busy = false; if (form) { state(form.getAttribute('data-pending'), 'bad'); } showPending(); });
      }
      if (form) {
        form.addEventListener('submit', function (e) {
          e.preventDefault();
          var ask = form.getAttribute('data-lock');
          if (ask && !window.confirm(ask)) { return; }
          var j = load();
          j[form.getAttribute('data-ref')] = { action: form.getAttribute('action'), body: new URLSearchParams(new FormData(form)).toString() };
          keep(j);
          state(form.getAttribute('data-sending'), '');
          flush();
        });
      }
      window.addEventListener('online', flush);
      setInterval(flush, 5000);
      flush();
    })();
    """
}
