import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Theory scores after the exam: double entry and answer-sheet import for paper-based sessions, and the marking
/// queue for fill-in answers the computer could not grade.
enum TheoryScoresController {
    static let enterers: Set<Role> = [.administrator, .examAffairs]
    static let markers: Set<Role> = [.administrator, .examAffairs, .itemExaminer, .examiner]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "sessions/:id/scores", access: .anyOf(enterers), use: scores)
        r.endpoint(.POST, "sessions/:id/scores", access: .anyOf(enterers), use: enter)
        r.endpoint(.POST, "sessions/:id/answer-sheets", access: .anyOf(enterers), body: .collect(maxSize: "20mb"), use: importSheets)
        r.endpoint(.GET, "sessions/:id/scores.xlsx", access: .anyOf(enterers), use: export)
        r.endpoint(.GET, "marking", access: .anyOf(markers), use: marking)
        r.endpoint(.POST, "marking/:answerId", access: .anyOf(markers), use: mark)
    }

    // MARK: Paper-based sessions

    @Sendable static func scores(req: Request) async throws -> Response {
        try await render(req, errors: [], sheetErrors: [])
    }

    static func render(_ req: Request, errors: [FieldError], sheetErrors: [ItemSheetImport.RowError], fileError: String? = nil,
                       status: HTTPResponseStatus = .ok) async throws -> Response {
        let s = try await SessionsController.session(req)
        let sid = try s.requireID().uuidString
        let rows = try await TheoryScoreStore.rows(sessionID: s.requireID(), on: req.db)
        let me = try req.requireUser().id
        let filter = req.query[String.self, at: "state"] ?? ""
        let shown = rows.filter { filter.isEmpty || $0.state.rawValue == filter || (filter == "absent" && $0.absent) }
        let body = shown.map { row -> String in
            // The entered figures stay hidden until both entries are in: the second person keys from the sheet.
            let bothIn = row.entries.second != nil
            let figures = bothIn ? "\(row.entries.first.map { scoreText($0.score) } ?? "") / \(row.entries.second.map { scoreText($0.score) } ?? "")" : "—"
            let mine = [row.entries.first?.by, row.entries.second?.by].contains(me) ? " <span class=\"muted\">\(req.tr("（含您的录入）", "(you entered)"))</span>" : ""
            let badge = row.state == .mismatch ? "bad" : row.state.isFinal ? "ok" : ""
            let state = row.absent ? "<span class=\"badge bad\">\(req.tr("缺考", "absent"))</span>"
                : "<span class=\"badge \(badge)\">\(req.tr(row.state.nameZH, row.state.rawValue))</span>\(row.source == .omr ? " <span class=\"badge\">\(req.tr("光电阅卷", "answer sheet"))</span>" : "")"
            return "<tr data-ticket=\"\(esc(row.ticketNumber))\" data-state=\"\(row.state.rawValue)\"><td>\(row.seat)</td><td class=\"mono\">\(esc(row.ticketNumber))</td><td>\(esc(row.candidateName))</td><td>\(state)\(mine)</td><td class=\"mono\">\(figures)</td><td class=\"mono final\">\(row.finalScore.map(scoreText) ?? "—")</td><td>\(esc(row.resolveReason ?? ""))</td></tr>"
        }.joined()
        let counts = Dictionary(grouping: rows.filter { !$0.absent }, by: \.state).mapValues(\.count)
        let filters = ([("", req.tr("全部", "All"), rows.count)] + DoubleEntry.State.allCases.map { ($0.rawValue, req.tr($0.nameZH, $0.rawValue), counts[$0] ?? 0) })
            .map { value, label, n in
                "<a href=\"/sessions/\(sid)/scores\(value.isEmpty ? "" : "?state=\(value)")\"\(filter == value ? " aria-current=\"page\" class=\"active\"" : "")>\(esc(label)) \(n)</a>"
            }.joined(separator: " · ")
        var report = ""
        if let fileError {
            report = "<div class=\"alert alert-error\" id=\"sheet-errors\">\(esc(fileError))</div>"
        } else if !sheetErrors.isEmpty {
            let list = sheetErrors.map { "<tr><td>\($0.row)</td><td>\(esc($0.column))</td><td>\(esc($0.header))</td><td>\(esc(req.tr($0.messageZH, $0.messageEN)))</td></tr>" }.joined()
            report = """
                <div class="alert alert-error" id="sheet-errors">\(req.tr("答题卡文件中有 \(sheetErrors.count) 处问题，未导入任何成绩。请修改后重新上传。", "\(sheetErrors.count) problems found; nothing was imported."))</div>
                <table><thead><tr><th>\(req.tr("行", "Row"))</th><th>\(req.tr("列", "Column"))</th><th>\(req.tr("表头", "Header"))</th><th>\(req.tr("问题", "Problem"))</th></tr></thead><tbody>\(list)</tbody></table>
                """
        }
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))\(report)
            <p><a href="/sessions/\(sid)">\(req.tr("返回场次", "Back to the session"))</a> · \(esc(s.heldOn)) \(s.slot.timeText) · \(Level(s.level).fullName)
             · <a href="/sessions/\(sid)/scores.xlsx" id="export">\(req.tr("导出成绩（XLSX）", "Export (XLSX)"))</a></p>
            <h2>\(req.tr("成绩双录入", "Double entry"))</h2>
            <p>\(req.tr("每名考生的卷面成绩由两人分别录入；两次一致即确定，不一致时由前两人以外的第三人核对试卷后核定并写明理由。第二次录入前看不到第一次录入的分数。",
                        "Two people key in each score separately; equal entries settle it, a mismatch is settled by a third person with a reason. The first figure stays hidden until the second is in."))</p>
            <form method="post" action="/sessions/\(sid)/scores" class="filters" id="entry">\(H.csrf(req))
            \(H.field(req.tr("准考证号", "Ticket number"), name: "ticket", required: true, errors: errors, req: req, attrs: "autofocus autocomplete=\"off\""))
            \(H.field(req.tr("卷面成绩（0–100）", "Score (0–100)"), name: "score", required: true, errors: errors, req: req, attrs: "inputmode=\"decimal\" autocomplete=\"off\""))
            \(H.field(req.tr("核定理由（第三人核定时必填）", "Reason (when settling a mismatch)"), name: "reason", errors: errors, req: req))
            <button type="submit" id="enter">\(req.tr("录入", "Enter"))</button></form>
            <h2>\(req.tr("导入光电阅卷结果", "Import optical-reader sheets"))</h2>
            <p>\(req.tr("CSV 或 XLSX：第一行为表头，含“准考证号”列和按题号命名的列（1、2、3…），单选填字母，多选填多个字母（如 ACD），判断填 A/B 或 对/错，未作答留空；场次使用多套试卷时增加“试卷”列。系统按本场次试卷的标准答案评分；全部校验通过才导入。",
                        "CSV or XLSX: a header row with 准考证号 and one column per item number (1, 2, 3…); letters for choices, A/B or 对/错 for true/false, blank for none; a 试卷 column when the session uses several forms. Graded against the session's paper; all rows or none."))</p>
            <form method="post" action="/sessions/\(sid)/answer-sheets" enctype="multipart/form-data">\(H.csrf(req))
            <div class="field"><label for="f-file">\(req.tr("答题卡数据文件", "Sheet file"))</label><input id="f-file" type="file" name="file" accept=".csv,.xlsx" required></div>
            <div class="actions"><button type="submit" id="upload">\(req.tr("导入并评分", "Import and grade"))</button></div></form>
            <h2>\(req.tr("考生成绩", "Scores"))</h2>
            <p class="filters">\(filters)</p>
            <table id="scores"><thead><tr><th>\(req.tr("座号", "Seat"))</th><th>\(req.tr("准考证号", "Ticket"))</th><th>\(req.tr("姓名", "Name"))</th><th>\(req.tr("状态", "State"))</th>
            <th>\(req.tr("两次录入", "Entries"))</th><th>\(req.tr("确定成绩", "Score"))</th><th>\(req.tr("核定理由", "Reason"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("没有符合条件的考生", "Nobody here"))</td></tr>" : body)</tbody></table>
            """
        let response = Layout.page(req, title: req.tr("笔试成绩录入", "Paper-based scores"), active: "/sessions", content)
        response.status = status
        return response
    }

    @Sendable static func enter(req: Request) async throws -> Response {
        let s = try await SessionsController.session(req)
        struct Form: Content { var ticket: String?; var score: String?; var reason: String? }
        let f = try req.content.decode(Form.self)
        do {
            let (round, state) = try await TheoryScoreStore.enter(sessionID: s.requireID(), ticketNumber: f.ticket ?? "", score: f.score ?? "", reason: f.reason,
                                                                  actor: try req.requireUser().actor, on: req.db, time: req.time)
            let ticket = f.ticket ?? ""
            let done: String
            switch (round, state) {
            case (.first, _): done = req.tr("\(ticket)：第一次录入已保存，请另一人进行第二次录入", "\(ticket): first entry saved; another person enters it again")
            case (_, .mismatch): done = req.tr("\(ticket)：两次录入不一致，须由第三人核定", "\(ticket): the entries differ; a third person settles it")
            case (.second, _): done = req.tr("\(ticket)：两次录入一致，成绩已确定", "\(ticket): both entries agree; the score is settled")
            case (.resolution, _): done = req.tr("\(ticket)：已核定", "\(ticket): settled")
            }
            return req.redirect(to: "/sessions/\(s.id!.uuidString)/scores?done=\(done.urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await render(req, errors: failure.errors, sheetErrors: [], status: .unprocessableEntity)
        } catch DomainError.conflict(let code, let zh, let en) {
            return try await render(req, errors: [FieldError(code: code, field: "ticket", zh: zh, en: en)], sheetErrors: [], status: .conflict)
        }
    }

    @Sendable static func importSheets(req: Request) async throws -> Response {
        let s = try await SessionsController.session(req)
        struct Form: Content { var file: File? }
        guard let file = try req.content.decode(Form.self).file, file.data.readableBytes > 0 else {
            return try await render(req, errors: [], sheetErrors: [], fileError: req.tr("请选择要上传的文件（文件为空）", "choose a file (the file is empty)"),
                                    status: .unprocessableEntity)
        }
        // The reader tells CSV from XLSX by content and reads from a file.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-sheets-\(UUID().uuidString)")
        try Data(buffer: file.data).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var rows: [(number: Int, cells: [Int: String])] = []
        do {
            try TableReader.rows(fileAt: url) { number, cells in
                guard rows.count <= TheoryScoreStore.maxSheets + 1 else { return }
                rows.append((number, cells))
            }
        } catch let e as SpreadsheetError {
            return try await render(req, errors: [], sheetErrors: [], fileError: req.tr(e.messageZH, e.messageEN), status: .unprocessableEntity)
        }
        let result = try await TheoryScoreStore.importSheets(sessionID: s.requireID(), rows: rows, actor: try req.requireUser().actor,
                                                             sealer: try req.sealer(), on: req.db, time: req.time)
        guard result.errors.isEmpty else { return try await render(req, errors: [], sheetErrors: result.errors, status: .unprocessableEntity) }
        return req.redirect(to: "/sessions/\(s.id!.uuidString)/scores?done=\(req.tr("已导入并评分 \(result.candidates) 名考生的答题卡", "Graded \(result.candidates) answer sheets").urlQueryEncoded)")
    }

    @Sendable static func export(req: Request) async throws -> Response {
        let s = try await SessionsController.session(req)
        let rows = try await TheoryScoreStore.rows(sessionID: s.requireID(), on: req.db)
        let sheet = Worksheet(name: "成绩", header: ["座号", "准考证号", "姓名", "状态", "来源", "确定成绩", "核定理由"], rows: rows.map { r in
            [.number(Double(r.seat)), .text(r.ticketNumber), .text(r.candidateName), .text(r.absent ? "缺考" : r.state.nameZH),
             .text(r.source == .omr ? "光电阅卷" : r.source == .manual ? "双录入" : ""), r.finalScore.map { CellValue.number($0) } ?? .empty,
             .text(r.resolveReason ?? "")]
        })
        return try xlsxResponse(sheet, filename: "scores-\(s.heldOn).xlsx")
    }

    // MARK: The marking queue

    @Sendable static func marking(req: Request) async throws -> Response {
        try await renderMarking(req, errors: [])
    }

    static func renderMarking(_ req: Request, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let session = req.query[String.self, at: "session"].flatMap(UUID.init(uuidString:))
        let queue = try await TheoryScoreStore.markingQueue(sessionID: session, reader: try req.requireUser().actor, sealer: try req.sealer(),
                                                            on: req.db, time: req.time)
        let cards = queue.map { p in
            """
            <section class="card marking" data-answer="\(p.answerID.uuidString)">
            <h3>\(req.tr("第 \(p.itemNumber) 题", "Item \(p.itemNumber)")) · \(p.points) \(req.tr("分", "points")) · \(req.tr("答卷", "script")) \(esc(String(p.attemptID.uuidString.suffix(6))))</h3>
            <p>\(esc(p.stem))</p>
            <p>\(req.tr("参考答案", "Accepted answers"))：\(esc(p.acceptedAnswers.joined(separator: " | ")))</p>
            <p>\(req.tr("考生作答", "The answer"))：<strong class="response">\(esc(p.response))</strong></p>
            <form method="post" action="/marking/\(p.answerID.uuidString)\(session.map { "?session=\($0.uuidString)" } ?? "")" class="filters">\(H.csrf(req))
            \(H.field(req.tr("给分（0–\(p.points)）", "Points (0–\(p.points))"), name: "points", required: true, req: req, attrs: "inputmode=\"decimal\" autocomplete=\"off\""))
            <button type="submit">\(req.tr("确定", "Mark"))</button></form></section>
            """
        }.joined()
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p>\(req.tr("机考填空题中与参考答案不一致的作答由人工评阅；场次结束（所有考生交卷）后才列出，评阅时不显示考生身份。每次给分记入审计日志，考生成绩随之重算。",
                        "Fill-in answers that matched no accepted answer are marked here once their session is over, without the candidate's identity; every mark is audited and the score recalculated."))</p>
            <p id="queue-size">\(req.tr("待评阅 \(queue.count) 份", "\(queue.count) waiting"))</p>
            \(cards.isEmpty ? "<p class=\"muted\">\(req.tr("没有待评阅的作答", "Nothing to mark"))</p>" : cards)
            """
        let response = Layout.page(req, title: req.tr("填空题人工评阅", "Marking queue"), active: "/marking", content)
        response.status = status
        return response
    }

    @Sendable static func mark(req: Request) async throws -> Response {
        guard let answerID = req.parameters.get("answerId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "answer") }
        struct Form: Content { var points: String? }
        let f = try req.content.decode(Form.self)
        do {
            _ = try await TheoryScoreStore.mark(answerID: answerID, points: f.points ?? "", actor: try req.requireUser().actor, sealer: try req.sealer(),
                                                on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await renderMarking(req, errors: failure.errors, status: .unprocessableEntity)
        }
        let session = req.query[String.self, at: "session"].map { "&session=\($0.urlQueryEncoded)" } ?? ""
        return req.redirect(to: "/marking?done=\(req.tr("已评阅", "Marked").urlQueryEncoded)\(session)")
    }
}
