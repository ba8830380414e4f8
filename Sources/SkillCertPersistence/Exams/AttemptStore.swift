import Crypto
import FluentKit
import Foundation
import SQLKit
import SkillCertCore

/// Computer-based theory exams: sign-in with the ticket, the paper as the candidate sees it, durable autosaves,
/// submission with grading, and the invigilator's controls. Saves are not audited one by one (thousands a second);
/// sign-ins, submissions, scores and every invigilator action are.
public enum AttemptStore {
    /// Candidates may sign in from this long before the start (to confirm identity and read the rules).
    public static let signInLead: TimeInterval = 30 * 60
    /// A client that has not been heard from for this long shows as disconnected on the console.
    public static let disconnectedAfter: TimeInterval = 60
    /// A client's paper loads update "last seen" at most this often (saves update it every time).
    static let seenEvery: TimeInterval = 10

    public struct Login: Sendable {
        public var token: String
        public var attemptID: UUID
    }

    static func failure(_ code: String, _ zh: String, _ en: String) -> DomainError { .forbidden(code: code, zh: zh, en: en) }

    // MARK: Sign-in

    /// Signs a candidate in with ticket number and ID number (and the session password when one is set). A second
    /// sign-in while the attempt is held by another client needs the invigilator's authorisation (a resume).
    public static func login(ticketNumber: String, idNumber: String, sessionPassword: String?, commits: GroupCommit? = nil, sealer: ContentSealer,
                             on db: any Database, time: any TimeSource) async throws -> Login {
        let refused = failure("login_failed", "准考证号或证件号码不正确", "the ticket number or the ID number is wrong")
        let sql = try db.sql()
        // The ticket's candidate, their ID number's keyed hash and name, and every seat they hold with its session: one read.
        struct Seat {
            var candidateID: UUID, hash: String?, name: String, seatID: UUID, seat: Int, sessionID: UUID
            var mode: String, slot: TimeSlot, password: String?
        }
        let seats = try await sql.raw("""
            SELECT t.candidate_id, c.id_number_hash, c.full_name, s.id AS seat_id, s.seat, s.session_id, e.mode, e.held_on, e.start_minute, e.minutes,
            e.session_password FROM \(ident: AdmissionTicketRecord.schema) t
            JOIN \(ident: CandidateProfile.schema) c ON c.user_id = t.candidate_id JOIN \(ident: SeatAssignment.schema) s ON s.candidate_id = t.candidate_id
            JOIN \(ident: ExamSession.schema) e ON e.id = s.session_id
            WHERE t.number = \(bind: ticketNumber.trimmingCharacters(in: .whitespaces))
            """).all().map { row in
                Seat(candidateID: try row.decode(column: "candidate_id", as: UUID.self), hash: try row.decode(column: "id_number_hash", as: String?.self),
                     name: try row.decode(column: "full_name", as: String.self), seatID: try row.decode(column: "seat_id", as: UUID.self),
                     seat: try row.decode(column: "seat", as: Int.self), sessionID: try row.decode(column: "session_id", as: UUID.self),
                     mode: try row.decode(column: "mode", as: String.self),
                     slot: TimeSlot(date: LocalDate(iso: try row.decode(column: "held_on", as: String.self)) ?? .distantFuture,
                                    startMinute: try row.decode(column: "start_minute", as: Int.self), minutes: try row.decode(column: "minutes", as: Int.self)),
                     password: try row.decode(column: "session_password", as: String?.self))
            }
        guard let first = seats.first, first.hash == sealer.keyedHash(ResidentID.normalized(idNumber), purpose: "id-number") else { throw refused }
        let now = time.now()
        guard let seat = seats.first(where: { $0.mode == ExamSession.Mode.computer.rawValue && now >= $0.slot.start.addingTimeInterval(-signInLead) && now < $0.slot.end }) else {
            throw DomainError.conflict(code: "no_open_session", zh: "当前没有您的机考场次（开考前 30 分钟起可登录）",
                                       en: "none of your computer-based sessions is open now (sign-in opens 30 minutes before the start)")
        }
        let sessionID = seat.sessionID
        if let password = seat.password, !password.isEmpty,
           password != (sessionPassword ?? "").trimmingCharacters(in: .whitespaces) {
            throw failure("wrong_session_password", "考场密码不正确，请听监考员宣布", "the session password is wrong")
        }
        let token = newToken()
        let (candidateID, seatID) = (first.candidateID, seat.seatID)
        let actor = AuditActor(id: candidateID, name: first.name)
        let (tokenHash, slotEnd, seatNumber) = (hash(token), seat.slot.end, seat.seat)
        let attemptID: UUID = try await GroupCommit.transaction(commits, on: db, actor: actor, time: time) { audit in
            let sql = try audit.db.sql()
            let table = ExamAttempt.schema
            if let row = try await sql.raw("SELECT id, status, token_hash, resume_allowed FROM \(ident: table) WHERE session_id = \(bind: sessionID) AND candidate_id = \(bind: candidateID)").first() {
                let attemptID = try row.decode(column: "id", as: UUID.self)
                if (AttemptStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .notStarted).isFinal {
                    throw DomainError.conflict(code: "attempt_closed", zh: "您已交卷，不能再次登录作答", en: "this attempt has been submitted")
                }
                let resuming = try row.decode(column: "token_hash", as: String?.self) != nil
                if resuming, !(try row.decode(column: "resume_allowed", as: Bool.self)) {
                    throw DomainError.conflict(code: "resume_needs_invigilator", zh: "您已在其他设备登录。如需换机或重新进入，请监考员授权后再登录",
                                               en: "this attempt is open on another client; the invigilator must authorise a resume")
                }
                try await sql.raw("UPDATE \(ident: table) SET token_hash = \(bind: tokenHash), resume_allowed = \(bind: false), last_seen_at = \(bind: now) WHERE id = \(bind: attemptID)").run()
                try await audit.record(AuditEvent(action: resuming ? "exam.resume" : "exam.login", targetType: "attempt",
                                                  targetID: attemptID.uuidString, details: "seat \(seatNumber)"))
                return attemptID
            }
            let papers = try await sql.raw("SELECT paper_id FROM \(ident: SessionPaper.schema) WHERE session_id = \(bind: sessionID)").all()
                .map { try $0.decode(column: "paper_id", as: UUID.self) }.sorted { $0.uuidString < $1.uuidString }
            guard !papers.isEmpty else {
                throw DomainError.conflict(code: "no_paper", zh: "本场次尚未指定试卷，请联系监考员", en: "no paper is assigned to this session")
            }
            let attemptID = UUID()
            try await sql.raw("""
                INSERT INTO \(ident: table) (id, session_id, seat_id, candidate_id, paper_id, status, scheduled_end, extension_seconds, paused_seconds,
                token_hash, resume_allowed, last_seen_at, pending_review, created_at) VALUES (\(bind: attemptID), \(bind: sessionID), \(bind: seatID),
                \(bind: candidateID), \(bind: papers[seatNumber % papers.count]), \(bind: AttemptStatus.notStarted.rawValue), \(bind: slotEnd), \(bind: 0),
                \(bind: 0.0), \(bind: tokenHash), \(bind: false), \(bind: now), \(bind: 0), \(bind: now))
                """).run()
            try await audit.record(AuditEvent(action: "exam.login", targetType: "attempt", targetID: attemptID.uuidString,
                                              details: "session \(sessionID.uuidString), seat \(seatNumber)"))
            return attemptID
        }
        return Login(token: token, attemptID: attemptID)
    }

    /// The attempt a client token belongs to.
    /// Read with plain SQL (the start burst reads one per candidate): a snapshot, changed through `AttemptStore`'s
    /// own statements, never with `save` (it is not marked as stored, so a `save` would fail rather than overwrite).
    public static func authenticate(token: String, on db: any Database) async throws -> ExamAttempt? {
        guard token.count == 64, let sql = db as? any SQLDatabase else { return nil }
        guard let row = try await sql.raw("SELECT * FROM \(ident: ExamAttempt.schema) WHERE token_hash = \(bind: hash(token))").first() else { return nil }
        let a = ExamAttempt()
        a.id = try row.decode(column: "id", as: UUID.self)
        a.sessionID = try row.decode(column: "session_id", as: UUID.self)
        a.seatID = try row.decode(column: "seat_id", as: UUID.self)
        a.candidateID = try row.decode(column: "candidate_id", as: UUID.self)
        a.paperID = try row.decode(column: "paper_id", as: UUID.self)
        a.status = try row.decode(column: "status", as: String.self)
        a.scheduledEnd = try row.decode(column: "scheduled_end", as: Date.self)
        a.extensionSeconds = try row.decode(column: "extension_seconds", as: Int.self)
        a.pausedSeconds = try row.decode(column: "paused_seconds", as: Double.self)
        a.pausedAt = try row.decode(column: "paused_at", as: Date?.self)
        a.tokenHash = try row.decode(column: "token_hash", as: String?.self)
        a.resumeAllowed = try row.decode(column: "resume_allowed", as: Bool.self)
        a.startedAt = try row.decode(column: "started_at", as: Date?.self)
        a.lastSaveAt = try row.decode(column: "last_save_at", as: Date?.self)
        a.lastSeenAt = try row.decode(column: "last_seen_at", as: Date?.self)
        a.submittedAt = try row.decode(column: "submitted_at", as: Date?.self)
        a.endedBy = try row.decode(column: "ended_by", as: String?.self)
        a.endReason = try row.decode(column: "end_reason", as: String?.self)
        a.score = try row.decode(column: "score", as: Double?.self)
        a.pendingReview = try row.decode(column: "pending_review", as: Int.self)
        a.createdAt = try row.decode(column: "created_at", as: Date.self)
        return a
    }

    static func newToken() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.hexString
    }

    /// What is kept of a client token: its SHA-256.
    public static func hash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).hexString }

    // MARK: The candidate's view

    /// The paper as the candidate sees it: no keys, items and options in the attempt's own order.
    public struct PaperView: Codable, Sendable {
        public struct Item: Codable, Sendable {
            public var itemId: UUID
            public var number: Int
            public var type: String
            public var stem: String
            /// Options in the order shown, each with its original index (what an answer names).
            public var options: [Option]
            public var points: Int
        }

        public struct Option: Codable, Sendable {
            public var index: Int
            public var text: String
        }

        public struct Saved: Codable, Sendable {
            public var response: [String]
            public var seq: Int
        }

        public var attemptId: UUID
        public var status: String
        public var candidateName: String
        public var sessionTitle: String
        /// Seconds until the start while waiting, else seconds left.
        public var startsInSeconds: Int
        public var remainingSeconds: Int
        public var paused: Bool
        public var totalPoints: Int
        public var items: [Item]
        public var answers: [String: Saved]

        /// The view as JSON, written directly (the same document `JSONEncoder` makes, several times faster: the
        /// exam-start burst encodes one for every candidate).
        public func json() -> String {
            let str = JSONText.string
            var out = ""
            out.reserveCapacity(512 + items.reduce(0) { $0 + 160 + $1.stem.utf8.count + $1.options.reduce(0) { $0 + 24 + $1.text.utf8.count } })
            out += "{\"attemptId\":\"\(attemptId.uuidString)\",\"status\":\(str(status)),\"candidateName\":\(str(candidateName)),"
            out += "\"sessionTitle\":\(str(sessionTitle)),\"startsInSeconds\":\(startsInSeconds),\"remainingSeconds\":\(remainingSeconds),"
            out += "\"paused\":\(paused),\"totalPoints\":\(totalPoints),\"items\":["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                out += "{\"itemId\":\"\(item.itemId.uuidString)\",\"number\":\(item.number),\"type\":\(str(item.type)),\"stem\":\(str(item.stem)),\"points\":\(item.points),\"options\":["
                for (j, option) in item.options.enumerated() {
                    out += j == 0 ? "{\"index\":" : ",{\"index\":"
                    out += String(option.index)
                    out += ",\"text\":"
                    out += str(option.text)
                    out += "}"
                }
                out += "]}"
            }
            out += "],\"answers\":{"
            out += answers.map { key, saved in "\(str(key)):{\"response\":[\(saved.response.map { str($0) }.joined(separator: ","))],\"seq\":\(saved.seq)}" }
                .joined(separator: ",")
            return out + "}}"
        }
    }

    /// Loads the attempt for its client: starts it when the session has started, submits it when its time is up.
    public static func view(_ attempt: ExamAttempt, committer: AnswerCommitter? = nil, sealer: ContentSealer, on db: any Database,
                            time: any TimeSource) async throws -> PaperView {
        let now = time.now()
        let header = try await SessionHeaders.shared.header(attempt.sessionID, on: db)
        var attempt = attempt
        if attempt.statusValue == .inProgress, attempt.clock.isExpired(at: now) {
            attempt = try await submit(attempt, endedBy: .clock, reason: nil, actor: .system("exam-clock"), sealer: sealer, on: db, time: time)
        }
        let sql = try db.sql()
        let name = try await sql.raw("SELECT full_name FROM \(ident: CandidateProfile.schema) WHERE user_id = \(bind: attempt.candidateID)")
            .first().map { try $0.decode(column: "full_name", as: String.self) }
        let started = now >= header.start
        // Written when the attempt starts, and to keep the console's "last seen" within `seenEvery`.
        let starting = started && attempt.statusValue == .notStarted
        if starting {
            attempt.status = AttemptStatus.inProgress.rawValue
            attempt.startedAt = now
        }
        if starting || attempt.lastSeenAt.map({ now.timeIntervalSince($0) >= seenEvery }) ?? true {
            attempt.lastSeenAt = now
            let touch = AnswerCommitter.Touch(attemptID: try attempt.requireID(), starting: starting, at: now)
            if let committer { try await committer.touch(touch) } else { _ = try await BusyRetry.run { try await AnswerCommitter.touch([touch], on: db) } }
        }
        var view = PaperView(attemptId: try attempt.requireID(), status: attempt.status, candidateName: name ?? "",
                             sessionTitle: header.title, startsInSeconds: max(0, Int(header.start.timeIntervalSince(now).rounded(.up))),
                             remainingSeconds: attempt.statusValue.isFinal ? 0 : attempt.clock.remainingSeconds(at: now),
                             paused: attempt.clock.isPaused, totalPoints: 0, items: [], answers: [:])
        guard started, !attempt.statusValue.isFinal else { return view }
        let paper = try await PaperCache.shared.content(attempt.paperID, sealer: sealer, on: db, time: time)
        view.totalPoints = paper.totalPoints
        let order = AttemptOrder(seed: AttemptOrder.seed(try attempt.requireID()), optionCounts: paper.entries.map { $0.content.options?.count ?? 0 },
                                 shuffleOptions: paper.entries.map { $0.type != .trueFalse })
        view.items = order.items.enumerated().map { number, position in
            let entry = paper.entries[position]
            let shown: [PaperView.Option]
            switch entry.type {
            case .trueFalse: shown = [PaperView.Option(index: 0, text: "正确"), PaperView.Option(index: 1, text: "错误")]
            default: shown = (order.options[position] ?? []).map { PaperView.Option(index: $0, text: entry.content.options?[$0] ?? "") }
            }
            return PaperView.Item(itemId: entry.itemID, number: number + 1, type: entry.type.rawValue, stem: entry.content.stem, options: shown, points: entry.points)
        }
        for row in try await sql.raw("SELECT item_id, response, seq FROM \(ident: ExamAnswer.schema) WHERE attempt_id = \(bind: attempt.requireID())").all() {
            let response = (try? JSONDecoder().decode([String].self, from: Data(try row.decode(column: "response", as: String.self).utf8))) ?? []
            view.answers[try row.decode(column: "item_id", as: UUID.self).uuidString] = .init(response: response, seq: try row.decode(column: "seq", as: Int.self))
        }
        return view
    }

    // MARK: Autosave

    /// What a client token stands for: never changes for the token's life, so the server may keep it in memory.
    /// Whether the token is still the attempt's (not replaced by a resume) is checked in the save's own transaction.
    public struct TokenKey: Sendable {
        public var attemptID: UUID
        public var paperID: UUID
        public var tokenHash: String?

        public init(_ attempt: ExamAttempt) throws {
            attemptID = try attempt.requireID()
            paperID = attempt.paperID
            tokenHash = attempt.tokenHash
        }
    }

    /// Stores one answer change. Acknowledged (returned) only after the transaction holding it commits, which on
    /// SQLite (WAL, synchronous=FULL) and PostgreSQL (synchronous_commit on) means it is on disk. Saves go through
    /// `committer` (group commit) when one is given, else in a transaction of their own.
    public static func save(_ attempt: ExamAttempt, itemID: UUID, response: [String], seq: Int, committer: AnswerCommitter? = nil,
                            sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> AnswerSave {
        try await save(TokenKey(attempt), itemID: itemID, response: response, seq: seq, committer: committer, sealer: sealer, on: db, time: time).result
    }

    /// What a save came to, with the attempt's clock as the saving transaction saw it (nil when it was not open).
    public struct SaveReport: Sendable {
        public var result: AnswerSave
        public var clock: AttemptClock?
    }

    public static func save(_ key: TokenKey, itemID: UUID, response: [String], seq: Int, committer: AnswerCommitter?,
                            sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> SaveReport {
        guard seq >= 0, response.count <= 20, response.allSatisfy({ $0.count <= 2000 }) else {
            throw ValidationFailure([FieldError(code: "invalid_answer", field: seq < 0 ? "seq" : "response", zh: "答案格式不正确（最多 20 项、每项 2000 字以内，序号不小于 0）",
                                                en: "response must be at most 20 strings of at most 2000 characters and seq ≥ 0")])
        }
        // Before the start the paper is not open and nothing can be answered. Any other failure to open it (a
        // database timeout) is passed on, so the client keeps the change in its journal and sends it again.
        let paper: PaperStore.PaperContent
        do {
            paper = try await PaperCache.shared.content(key.paperID, sealer: sealer, on: db, time: time)
        } catch DomainError.forbidden(let code, _, _) where code == "paper_sealed" {
            return SaveReport(result: .closed)
        }
        guard paper.entries.contains(where: { $0.itemID == itemID }) else { throw DomainError.notFound(what: "item") }
        let change = AnswerCommitter.Save(attemptID: key.attemptID, tokenHash: key.tokenHash, itemID: itemID,
                                          json: String(decoding: try JSONEncoder().encode(response), as: UTF8.self), seq: seq, at: time.now())
        let outcome = if let committer { try await committer.commit(change) } else {
            try await BusyRetry.run { try await AnswerCommitter.write([change], on: db)[0] }
        }
        switch outcome {
        case .decided(let result, let clock): return SaveReport(result: result, clock: clock)
        case .revoked: throw tokenReplaced
        case .expired:
            if let attempt = try await ExamAttempt.find(key.attemptID, on: db) {
                _ = try await submit(attempt, endedBy: .clock, reason: nil, actor: .system("exam-clock"), sealer: sealer, on: db, time: time)
            }
            return SaveReport(result: .closed)
        }
    }

    /// A client whose token a resume on another client replaced.
    public static let tokenReplacedCode = "exam_token_invalid"
    public static let tokenReplaced = DomainError.forbidden(code: tokenReplacedCode, zh: "登录已失效，请重新登录（换机需监考员授权）",
                                                            en: "the exam token is not valid (a resume on another client needs the invigilator)")

    // MARK: Submission and grading

    /// Ends the attempt with what was saved and grades it. Idempotent: an attempt already ended is returned as is.
    @discardableResult
    public static func submit(_ attempt: ExamAttempt, endedBy: ExamAttempt.Ending, reason: String?, actor: AuditActor, sealer: ContentSealer,
                              on db: any Database, time: any TimeSource) async throws -> ExamAttempt {
        let attemptID = try attempt.requireID()
        let paper = try await PaperCache.shared.content(attempt.paperID, sealer: sealer, on: db, time: time)
        let now = time.now()
        let status = endedBy == .invigilator ? AttemptStatus.terminated : .submitted
        try await BusyRetry.run { try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let sql = try audit.db.sql()
            let closed = try await sql.raw("""
                UPDATE \(ident: ExamAttempt.schema) SET status = \(bind: status.rawValue), submitted_at = \(bind: now), ended_by = \(bind: endedBy.rawValue),
                end_reason = \(bind: reason), paused_at = NULL WHERE id = \(bind: attemptID)
                AND status IN (\(bind: AttemptStatus.inProgress.rawValue), \(bind: AttemptStatus.notStarted.rawValue)) RETURNING id
                """).all()
            guard !closed.isEmpty else { return }
            let answers = try await ExamAnswer.query(on: audit.db).filter(\.$attemptID == attemptID).all()
            let byItem = Dictionary(answers.map { ($0.itemID, $0) }, uniquingKeysWith: { a, _ in a })
            var awarded = 0.0
            var pending = 0
            for entry in paper.entries {
                guard let answer = byItem[entry.itemID] else { continue }
                switch ObjectiveGrading.grade(type: entry.type, content: entry.content, response: answer.responseValues) {
                case .correct: answer.awarded = Double(entry.points); awarded += Double(entry.points)
                case .wrong, .unanswered: answer.awarded = 0
                case .needsReview: answer.awarded = nil; answer.needsReview = true; pending += 1
                }
                try await answer.save(on: audit.db)
            }
            let score = ObjectiveGrading.score(awarded: awarded, total: paper.totalPoints)
            try await sql.raw("UPDATE \(ident: ExamAttempt.schema) SET score = \(bind: score), pending_review = \(bind: pending) WHERE id = \(bind: attemptID)").run()
            try await audit.record(AuditEvent(action: status == .terminated ? "exam.terminate" : "exam.submit", targetType: "attempt",
                                              targetID: attemptID.uuidString,
                                              details: "ended by \(endedBy.rawValue)\(reason.map { ": \($0)" } ?? ""); score \(score)/100, \(answers.count) answer(s), \(pending) awaiting a marker"))
        } }
        return try await ExamAttempt.find(attemptID, on: db) ?? attempt
    }

    /// Submits every attempt whose time is up, whether or not its client is still there. Returns how many.
    @discardableResult
    public static func submitExpired(sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> Int {
        let now = time.now()
        // Ends only move later than the scheduled end, so this finds every candidate (and a few still running).
        let running = try await ExamAttempt.query(on: db).filter(\.$status == AttemptStatus.inProgress.rawValue)
            .filter(\.$scheduledEnd <= now).all()
        var count = 0
        for attempt in running where attempt.clock.isExpired(at: now) {
            try await submit(attempt, endedBy: .clock, reason: nil, actor: .system("exam-clock"), sealer: sealer, on: db, time: time)
            count += 1
        }
        return count
    }

    // MARK: The invigilator

    public enum Control: Sendable {
        case pause, resume, extend(minutes: Int), terminate, allowResume
    }

    /// Applies an invigilator's action to one attempt, with its reason, on the record.
    public static func control(_ attemptID: UUID, _ action: Control, reason: String, actor: AuditActor, sealer: ContentSealer,
                               on db: any Database, time: any TimeSource) async throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ValidationFailure([.required("reason", label: "原因")]) }
        guard let attempt = try await ExamAttempt.find(attemptID, on: db) else { throw DomainError.notFound(what: "attempt") }
        guard !attempt.statusValue.isFinal else {
            throw DomainError.conflict(code: "attempt_closed", zh: "该考生已交卷", en: "the attempt has ended")
        }
        if case .terminate = action {
            try await submit(attempt, endedBy: .invigilator, reason: reason, actor: actor, sealer: sealer, on: db, time: time)
            return
        }
        let now = time.now()
        var clock = attempt.clock
        let name: String
        switch action {
        case .pause: clock.pause(at: now); name = "exam.pause"
        case .resume: clock.resume(at: now); name = "exam.unpause"
        case .extend(let minutes):
            guard (1...120).contains(minutes) else {
                throw ValidationFailure([FieldError(code: "out_of_range", field: "minutes", zh: "延长时间应为 1–120 分钟", en: "1 to 120 minutes")])
            }
            clock.extend(bySeconds: minutes * 60); name = "exam.extend"
        case .allowResume: attempt.resumeAllowed = true; name = "exam.allow-resume"
        case .terminate: return
        }
        attempt.clock = clock
        let extended = clock.extensionSeconds
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            try await attempt.save(on: audit.db)
            try await audit.record(AuditEvent(action: name, targetType: "attempt", targetID: attemptID.uuidString,
                                              details: "\(reason)\(extended > 0 ? "; extended by \(extended / 60) min in all" : "")"))
        }
    }

    /// One seat on the invigilator's console.
    public struct ConsoleRow: Sendable {
        public var seat: Int
        public var candidateName: String
        public var attemptID: UUID?
        public var state: String
        public var stateZH: String
        public var lastSaveAt: Date?
        public var answered: Int
        public var remainingSeconds: Int?
        public var score: Double?
    }

    public static func console(sessionID: UUID, on db: any Database, time: any TimeSource) async throws -> [ConsoleRow] {
        let now = time.now()
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).sort(\.$seat).all()
        let attempts = Dictionary(try await ExamAttempt.query(on: db).filter(\.$sessionID == sessionID).all().map { ($0.candidateID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let names = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ seats.map(\.candidateID)).all().map { ($0.userID, $0.fullName) },
                               uniquingKeysWith: { a, _ in a })
        var counts: [UUID: Int] = [:]
        if let sql = db as? any SQLDatabase, !attempts.isEmpty {
            let ids = attempts.values.compactMap(\.id)
            for row in try await sql.select().column("attempt_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from(ExamAnswer.schema).where("attempt_id", .in, ids).groupBy("attempt_id").all() {
                counts[try row.decode(column: "attempt_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self)
            }
        }
        return seats.map { seat in
            let attempt = attempts[seat.candidateID]
            var state = "not-started", zh = "未登录"
            if let attempt {
                switch attempt.statusValue {
                case .notStarted: state = "waiting"; zh = "已登录，待开考"
                case .inProgress:
                    if attempt.clock.isPaused { state = "paused"; zh = "已暂停" }
                    else if let seen = attempt.lastSeenAt, now.timeIntervalSince(seen) > disconnectedAfter { state = "disconnected"; zh = "连接中断" }
                    else { state = "in-progress"; zh = "作答中" }
                case .submitted: state = "submitted"; zh = "已交卷"
                case .terminated: state = "terminated"; zh = "已终止"
                }
            }
            return ConsoleRow(seat: seat.seat, candidateName: names[seat.candidateID] ?? "", attemptID: attempt?.id, state: state, stateZH: zh,
                              lastSaveAt: attempt?.lastSaveAt, answered: attempt?.id.flatMap { counts[$0] } ?? 0,
                              remainingSeconds: attempt.map { $0.statusValue.isFinal ? 0 : $0.clock.remainingSeconds(at: now) },
                              score: attempt?.score)
        }
    }

    /// The stored answers of an attempt, for staff (each read audited).
    public static func storedAnswers(_ attemptID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> (ExamAttempt, [ExamAnswer]) {
        guard let attempt = try await ExamAttempt.find(attemptID, on: db) else { throw DomainError.notFound(what: "attempt") }
        let answers = try await ExamAnswer.query(on: db).filter(\.$attemptID == attemptID).all()
        try await AuditLog.record(AuditEvent(action: "exam.answers-read", targetType: "attempt", targetID: attemptID.uuidString,
                                             details: "\(answers.count) answer(s)"), on: db, actor: actor, time: time)
        return (attempt, answers)
    }

    /// Attaches a paper form to a session: computer-based (delivered online), paper-based (graded from answer
    /// sheets), skills (the task cards the panel scores) or comprehensive review (its own rubric instead of the
    /// built-in one). The paper opens at the session's start.
    public static func attachPaper(_ paperID: UUID, to sessionID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        let session = try await SessionStore.find(sessionID, on: db)
        guard let paper = try await StoredPaper.find(paperID, on: db) else { throw DomainError.notFound(what: "paper") }
        guard paper.part == session.modeValue.part.rawValue, paper.level == session.level else {
            throw DomainError.conflict(code: "paper_mismatch", zh: "试卷的等级或考核部分与场次不符", en: "the paper is for another level or part")
        }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await SessionPaper.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$paperID == paperID).first() == nil {
                let link = SessionPaper()
                link.sessionID = sessionID
                link.paperID = paperID
                try await link.create(on: audit.db)
            }
            if paper.status == StoredPaper.Status.sealed.rawValue {
                // A paper shared by several sessions opens at the first of them.
                paper.releaseAt = min(paper.releaseAt ?? session.slot.start, session.slot.start)
                try await paper.save(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "session.paper", targetType: "session", targetID: sessionID.uuidString,
                                              details: "paper \(paper.label) (\(paperID.uuidString)) opens at \(AuditRecord.timestamp(session.slot.start))"))
        }
    }
}

/// What the paper view says about a session — its start and its title — read from the database at most every few
/// seconds, not once for every candidate loading the paper.
actor SessionHeaders {
    static let shared = SessionHeaders()
    static let freshFor: TimeInterval = 5

    struct Header: Sendable {
        var start: Date
        var title: String
        var readAt: Date
    }

    private var headers: [UUID: Header] = [:]

    func header(_ sessionID: UUID, on db: any Database) async throws -> Header {
        if let known = headers[sessionID], Date().timeIntervalSince(known.readAt) < Self.freshFor { return known }
        let session = try await SessionStore.find(sessionID, on: db)
        let plan = try await PlanStore.find(session.planID, on: db).plan()
        let header = Header(start: session.slot.start, title: "\(plan.occupationName) \(Level(session.level).fullName) 理论知识考试", readAt: Date())
        headers[sessionID] = header
        return header
    }
}

/// Opened papers, kept in memory for the exam: a paper is opened (and the read audited) once per process, not once
/// per candidate, and never before its release time.
actor PaperCache {
    static let shared = PaperCache()
    /// One opening per paper, shared by everyone who asks while it is under way (the exam-start burst).
    private var papers: [UUID: Task<PaperStore.PaperContent, any Error>] = [:]

    func content(_ paperID: UUID, sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> PaperStore.PaperContent {
        if let opening = papers[paperID] { return try await opening.value }
        let opening = Task {
            try await BusyRetry.run {
                try await PaperStore.open(paperID: paperID, reader: .system("exam-delivery"), sealer: sealer, on: db, time: time)
            }
        }
        papers[paperID] = opening
        do {
            return try await opening.value
        } catch {
            papers[paperID] = nil  // not released yet, or a failure: the next request tries again
            throw error
        }
    }
}
