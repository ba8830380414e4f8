import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// The computer-based theory exam: the candidate's client (a page and its script), the exam API it talks to with
/// the token from the exam sign-in, the invigilator's console, and staff reading an attempt's stored answers.
enum ExamController {
    static let consoleStaff: Set<Role> = [.administrator, .examAffairs, .examiner, .supervisor]
    static let controllers: Set<Role> = [.administrator, .examAffairs, .examiner]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "exam", access: .everyone, use: client)
        r.endpoint(.GET, "static/exam.js", access: .everyone) { _ in SystemController.asset(ExamClientAssets.js, type: .init(type: "text", subType: "javascript", parameters: ["charset": "utf-8"]), maxAge: 300) }
        r.endpoint(.GET, "static/exam.css", access: .everyone) { _ in SystemController.asset(ExamClientAssets.css, type: .css, maxAge: 300) }
        // The exam API authenticates by the exam token itself (not a staff or candidate account).
        r.endpoint(.POST, "api/v1/exam/login", access: .everyone,
                   api: APIDoc("Sign in to a computer-based exam with ticket and ID number (and the session password when set)", tag: "exam",
                               request: "ExamLogin", response: "ExamToken", errors: [400, 403, 409, 415, 422]),
                   use: login)
        r.endpoint(.GET, "api/v1/exam/attempt", access: .examToken,
                   api: APIDoc("The candidate's paper (no keys), remaining seconds and saved answers; exam token", tag: "exam",
                               response: "ExamAttempt", errors: [401]),
                   use: attempt)
        r.endpoint(.PUT, "api/v1/exam/attempt/answers/:itemId", access: .examToken,
                   api: APIDoc("Save one answer; 200 only after the write is durable. A replayed seq is a duplicate, an older seq is ignored",
                               tag: "exam", request: "ExamAnswer", response: "ExamSaveResult", errors: [400, 401, 404, 409, 415, 422]),
                   use: save)
        r.endpoint(.POST, "api/v1/exam/attempt/submit", access: .examToken,
                   api: APIDoc("Submit the attempt with what was saved", tag: "exam", response: "ExamSubmitted", errors: [401]),
                   use: submit)
        r.endpoint(.GET, "api/v1/attempts/:attemptId", access: .anyOf([.administrator, .examAffairs, .itemExaminer]),
                   api: APIDoc("An attempt's stored answers with their grading (the read is audited)", tag: "exam",
                               response: "AttemptAnswers", errors: [404]),
                   use: storedAnswers)
        r.endpoint(.GET, "sessions/:id/console", access: .anyOf(consoleStaff), use: console)
        r.endpoint(.POST, "sessions/:id/console/:attemptId", access: .anyOf(controllers), use: control)
        r.endpoint(.POST, "sessions/:id/papers", access: .anyOf([.administrator, .examAffairs]), use: attachPaper)
    }

    // MARK: Exam API

    struct LoginBody: Content {
        var ticketNumber: String
        var idNumber: String
        var sessionPassword: String?
    }

    struct TokenBody: Content {
        var token: String
        var attemptId: UUID
    }

    @Sendable static func login(req: Request) async throws -> TokenBody {
        let body = try req.decodeJSON(LoginBody.self)
        let login = try await AttemptStore.login(ticketNumber: body.ticketNumber, idNumber: body.idNumber, sessionPassword: body.sessionPassword,
                                                 commits: req.application.groupCommit,
                                                 sealer: try req.sealer(), on: req.db, time: req.time)
        return TokenBody(token: login.token, attemptId: login.attemptID)
    }

    static let invalidToken = WebError(.unauthorized, code: AttemptStore.tokenReplacedCode, zh: "登录已失效，请重新登录（换机需监考员授权）",
                                       en: "the exam token is not valid (a resume on another client needs the invigilator)")

    static func examAttempt(_ req: Request) async throws -> ExamAttempt {
        guard let token = req.headers.bearerAuthorization?.token,
              let attempt = try await AttemptStore.authenticate(token: token, on: req.db) else { throw invalidToken }
        return attempt
    }

    @Sendable static func attempt(req: Request) async throws -> Response {
        let attempt = try await examAttempt(req)
        if let token = req.headers.bearerAuthorization?.token {
            req.application.examTokens.remember(AttemptStore.hash(token), try AttemptStore.TokenKey(attempt))
        }
        let view = try await AttemptStore.view(attempt, committer: req.application.answerCommitter, sealer: try req.sealer(), on: req.db, time: req.time)
        let response = Response(status: .ok, body: .init(string: view.json()))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    struct AnswerBody: Content {
        var response: [String]
        var seq: Int
    }

    struct SaveResult: Content {
        var result: String
        var seq: Int
        var remainingSeconds: Int
        var paused: Bool

        /// The JSON written directly: every member is a fixed word, a number or a boolean (the response of the
        /// busiest route, where JSONEncoder through Vapor's content was a twentieth of the time).
        var json: String { #"{"result":"\#(result)","seq":\#(seq),"remainingSeconds":\#(remainingSeconds),"paused":\#(paused)}"# }
    }

    /// Autosaves take the attempt a token stands for from memory (it never changes for the token's life); the save's
    /// own transaction checks that the token is still the attempt's, and that the attempt is open.
    @Sendable static func save(req: Request) async throws -> Response {
        guard let token = req.headers.bearerAuthorization?.token, token.count == 64 else { throw invalidToken }
        let tokens = req.application.examTokens
        let hash = AttemptStore.hash(token)
        let key: AttemptStore.TokenKey
        if let known = tokens.key(hash) {
            key = known
        } else {
            key = try AttemptStore.TokenKey(try await examAttempt(req))
            tokens.remember(hash, key)
        }
        guard let itemID = req.parameters.get("itemId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "item") }
        let body = try req.decodeJSON(AnswerBody.self)
        let saved: AttemptStore.SaveReport
        do {
            saved = try await AttemptStore.save(key, itemID: itemID, response: body.response, seq: body.seq, committer: req.application.answerCommitter,
                                                sealer: try req.sealer(), on: req.loopDB, time: req.time)
        } catch DomainError.forbidden(let code, _, _) where code == AttemptStore.tokenReplacedCode {
            tokens.forget(hash)
            throw invalidToken
        }
        let result: String
        switch saved.result {
        case .stored: result = "stored"
        case .duplicate: result = "duplicate"
        case .stale: result = "stale"
        case .closed:
            throw WebError(.conflict, code: "attempt_closed", zh: "考试已结束，答案未再保存", en: "the attempt has ended; nothing more is saved")
        }
        let saveResult = SaveResult(result: result, seq: body.seq, remainingSeconds: saved.clock?.remainingSeconds(at: req.time.now()) ?? 0,
                                    paused: saved.clock?.isPaused ?? false)
        let response = Response(status: .ok, body: .init(string: saveResult.json))
        response.headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        return response
    }

    struct Submitted: Content {
        var status: String
        var submittedAt: Date?
    }

    @Sendable static func submit(req: Request) async throws -> Submitted {
        let attempt = try await examAttempt(req)
        let ended = try await AttemptStore.submit(attempt, endedBy: .candidate, reason: nil, actor: AuditActor(id: attempt.candidateID, name: "candidate"),
                                                  sealer: try req.sealer(), on: req.db, time: req.time)
        // The score is not shown to the candidate: results are released by exam affairs.
        return Submitted(status: ended.status, submittedAt: ended.submittedAt)
    }

    struct AttemptAnswers: Content {
        struct Answer: Content {
            var itemId: UUID
            var response: [String]
            var seq: Int
            var savedAt: Date
            var awarded: Double?
            var needsReview: Bool
        }

        var attemptId: UUID
        var status: String
        var score: Double?
        var pendingReview: Int
        var answers: [Answer]
    }

    @Sendable static func storedAnswers(req: Request) async throws -> AttemptAnswers {
        guard let id = req.parameters.get("attemptId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "attempt") }
        let (attempt, answers) = try await AttemptStore.storedAnswers(id, actor: try req.requireUser().actor, on: req.db, time: req.time)
        return AttemptAnswers(attemptId: id, status: attempt.status, score: attempt.score, pendingReview: attempt.pendingReview,
                              answers: answers.map { .init(itemId: $0.itemID, response: $0.responseValues, seq: $0.seq, savedAt: $0.savedAt,
                                                           awarded: $0.awarded, needsReview: $0.needsReview) })
    }

    // MARK: The candidate's client

    @Sendable static func client(req: Request) async throws -> Response {
        let html = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>机考 · SkillCert</title><link rel="stylesheet" href="/static/exam.css"><script src="/static/exam.js" defer></script></head>
            <body><div id="app">
            <header class="bar"><span class="brand">职业技能等级认定 · 理论知识机考</span>
            <span id="clock" class="clock" aria-live="polite"></span>
            <button type="button" id="bigger" class="plain" aria-pressed="false">大字号</button></header>
            <section id="login" class="panel">
              <h1>考生登录</h1>
              <form id="login-form">
                <label>准考证号<input name="ticketNumber" id="ticket" autocomplete="off" inputmode="numeric" required></label>
                <label>证件号码<input name="idNumber" id="idnumber" autocomplete="off" required></label>
                <label>考场密码（监考员宣布；未设置可不填）<input name="sessionPassword" id="password" autocomplete="off"></label>
                <p id="login-error" class="error" role="alert"></p>
                <button type="submit">登录</button>
              </form>
            </section>
            <section id="waiting" class="panel" hidden>
              <h1>请核对身份</h1>
              <p>姓名：<strong id="who"></strong></p><p id="title"></p>
              <ol class="rules"><li>考试开始后才显示试题，时间以服务器为准。</li><li>每道题的答案会自动保存；“已保存”表示服务器已确认。</li>
              <li>网络中断时答案暂存在本机，恢复后自动补交。</li><li>如需换机或重新进入，请举手请监考员授权。</li></ol>
              <p class="countdown">距开考：<strong id="starts"></strong></p>
            </section>
            <section id="exam" class="exam" hidden>
              <nav id="navigator" aria-label="题目导航"></nav>
              <article id="item" class="item" aria-live="polite"></article>
              <div class="controls"><button type="button" id="prev">上一题</button><button type="button" id="flag" class="plain">标记</button>
              <button type="button" id="next">下一题</button><span id="save-state" class="save-state" role="status"></span>
              <button type="button" id="submit" class="danger">交卷</button></div>
              <p class="legend"><span class="k answered"></span>已作答 <span class="k flagged"></span>已标记 <span class="k pending"></span>待保存 <span class="k"></span>未作答</p>
            </section>
            <section id="paused" class="overlay" hidden><div><h1>考试已暂停</h1><p>请听从监考员安排，恢复后继续作答，计时同时暂停。</p></div></section>
            <section id="done" class="panel" hidden><h1>已交卷</h1><p id="done-text">您的答案已全部提交。成绩由考务部门统一发布。</p></section>
            </div></body></html>
            """
        let response = Response(status: .ok, body: .init(string: html))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    // MARK: The invigilator

    @Sendable static func console(req: Request) async throws -> Response {
        let s = try await SessionsController.session(req)
        let sid = try s.requireID().uuidString
        let rows = try await AttemptStore.console(sessionID: s.requireID(), on: req.db, time: req.time)
        let canControl = controllers.isDisjoint(with: req.signedIn?.roles ?? []) == false
        func remaining(_ s: Int?) -> String { s.map { String(format: "%d:%02d", $0 / 60, $0 % 60) } ?? "—" }
        let body = rows.map { row -> String in
            var actions = ""
            if canControl, let attemptID = row.attemptID, !["submitted", "terminated"].contains(row.state) {
                let action = "/sessions/\(sid)/console/\(attemptID.uuidString)"
                actions = """
                    <form method="post" action="\(action)" class="inline console-action" data-confirm="\(req.tr("确认执行该操作？", "Apply this action?"))">\(H.csrf(req))
                    <select name="action"><option value="pause">\(req.tr("暂停", "Pause"))</option><option value="resume">\(req.tr("恢复", "Resume"))</option>
                    <option value="extend">\(req.tr("延长", "Extend"))</option><option value="allow-resume">\(req.tr("授权换机/重新进入", "Allow resume"))</option>
                    <option value="terminate">\(req.tr("终止（违纪）", "Terminate (misconduct)"))</option></select>
                    <input name="minutes" type="number" min="1" max="120" value="5" class="narrow" aria-label="\(req.tr("延长分钟", "Minutes"))">
                    <input name="reason" required placeholder="\(req.tr("原因（必填）", "Reason (required)"))" aria-label="\(req.tr("原因", "Reason"))">
                    <button type="submit" class="secondary">\(req.tr("执行", "Apply"))</button></form>
                    """
            }
            let badge = ["submitted": "ok", "disconnected": "bad", "terminated": "bad", "paused": "bad"][row.state] ?? ""
            return "<tr><td>\(row.seat)</td><td>\(esc(row.candidateName))</td><td><span class=\"badge \(badge)\">\(esc(req.tr(row.stateZH, row.state)))</span></td><td>\(H.time(row.lastSaveAt))</td><td>\(row.answered)</td><td>\(remaining(row.remainingSeconds))</td><td>\(actions)</td></tr>"
        }.joined()
        let counts = Dictionary(grouping: rows, by: \.state).mapValues(\.count)
        let summary = ["in-progress", "waiting", "disconnected", "paused", "submitted", "not-started"].compactMap { state -> String? in
            guard let n = counts[state], let label = rows.first(where: { $0.state == state })?.stateZH else { return nil }
            return "<span class=\"badge\">\(esc(req.tr(label, state))) \(n)</span>"
        }.joined(separator: " ")
        let content = """
            \(H.notice(req))
            <p><a href="/sessions/\(sid)">\(req.tr("返回场次", "Back to the session"))</a> · \(req.tr("每 10 秒自动刷新", "Refreshes every 10 seconds")) · \(summary)</p>
            <table><thead><tr><th>\(req.tr("座号", "Seat"))</th><th>\(req.tr("考生", "Candidate"))</th><th>\(req.tr("状态", "State"))</th><th>\(req.tr("最近保存", "Last save"))</th>
            <th>\(req.tr("已答题数", "Answered"))</th><th>\(req.tr("剩余时间", "Time left"))</th><th>\(req.tr("操作", "Actions"))</th></tr></thead>
            <tbody>\(body.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("尚未编排座位", "No seats yet"))</td></tr>" : body)</tbody></table>
            <meta http-equiv="refresh" content="10">
            """
        return Layout.page(req, title: req.tr("机考监考台", "Invigilator console"), active: "/sessions", content)
    }

    @Sendable static func control(req: Request) async throws -> Response {
        let s = try await SessionsController.session(req)
        guard let attemptID = req.parameters.get("attemptId").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "attempt") }
        struct Form: Content { var action: String?; var reason: String?; var minutes: String? }
        let f = try req.content.decode(Form.self)
        let action: AttemptStore.Control
        switch f.action {
        case "pause": action = .pause
        case "resume": action = .resume
        case "extend": action = .extend(minutes: Int(f.minutes ?? "") ?? 0)
        case "terminate": action = .terminate
        case "allow-resume": action = .allowResume
        default: throw ValidationFailure([FieldError(code: "unknown_value", field: "action", zh: "请选择操作", en: "choose an action")])
        }
        try await AttemptStore.control(attemptID, action, reason: f.reason ?? "", actor: try req.requireUser().actor, sealer: try req.sealer(),
                                       on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)/console?done=\(req.tr("已执行并记录", "Done and recorded").urlQueryEncoded)")
    }

    @Sendable static func attachPaper(req: Request) async throws -> Response {
        let s = try await SessionsController.session(req)
        struct Form: Content { var paperID: String? }
        let f = try req.content.decode(Form.self)
        guard let paperID = f.paperID.flatMap(UUID.init(uuidString:)) else {
            throw ValidationFailure([FieldError(code: "required", field: "paperID", zh: "请选择试卷", en: "choose a paper")])
        }
        try await AttemptStore.attachPaper(paperID, to: s.requireID(), actor: try req.requireUser().actor, on: req.db, time: req.time)
        return req.redirect(to: "/sessions/\(s.id!.uuidString)?done=\(req.tr("已指定试卷，开考时自动启封", "Paper attached; it opens at the start").urlQueryEncoded)")
    }
}
