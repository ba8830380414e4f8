import FluentKit
import Foundation
import SQLKit
import SkillCertCore

/// Theory scores after the exam: paper-based sessions (double entry, optical-reader sheets), the marking queue of
/// fill-in answers that matched no accepted answer, and one list of theory scores per session for the results.
public enum TheoryScoreStore {
    // MARK: Paper-based sessions

    /// One seat of a paper-based session on the score-entry page. Entered values stay hidden until both entries
    /// are in, so the second person keys from the sheet rather than from the first person's figure.
    public struct Row: Sendable {
        public var seat: Int
        public var roomID: UUID
        public var candidateID: UUID
        public var ticketNumber: String
        public var candidateName: String
        public var absent: Bool
        public var source: PaperScore.Source?
        public var state: DoubleEntry.State
        public var entries: DoubleEntry
        public var finalScore: Double?
        public var resolveReason: String?
    }

    static func paperSession(_ sessionID: UUID, on db: any Database) async throws -> ExamSession {
        let session = try await SessionStore.find(sessionID, on: db)
        guard session.modeValue == .paper else {
            throw DomainError.conflict(code: "not_paper_based", zh: "只有笔试场次录入纸笔成绩", en: "only paper-based sessions take entered scores")
        }
        return session
    }

    public static func rows(sessionID: UUID, on db: any Database) async throws -> [Row] {
        _ = try await paperSession(sessionID, on: db)
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).sort(\.$seat).all()
        let names = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ seats.map(\.candidateID)).all().map { ($0.userID, $0.fullName) },
                               uniquingKeysWith: { a, _ in a })
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$applicationID ~~ seats.map(\.applicationID)).all()
            .map { ($0.applicationID, $0.number) }, uniquingKeysWith: { a, _ in a })
        let scores = Dictionary(try await PaperScore.query(on: db).filter(\.$sessionID == sessionID).all().map { ($0.candidateID, $0) },
                                uniquingKeysWith: { a, _ in a })
        return seats.map { seat in
            let score = scores[seat.candidateID]
            let entries = score?.entries ?? DoubleEntry()
            return Row(seat: seat.seat, roomID: seat.roomID, candidateID: seat.candidateID, ticketNumber: tickets[seat.applicationID] ?? "",
                       candidateName: names[seat.candidateID] ?? "", absent: seat.attendance == "absent",
                       source: score.flatMap { PaperScore.Source(rawValue: $0.source) }, state: score.flatMap { DoubleEntry.State(rawValue: $0.state) } ?? .awaitingFirst,
                       entries: entries, finalScore: score?.finalScore, resolveReason: score?.resolveReason)
        }
    }

    /// Keys in one candidate's score: the first entry, the second by another person, or — after a mismatch — the
    /// third person's decision with its reason. Returns the round entered and the state after it.
    @discardableResult
    public static func enter(sessionID: UUID, ticketNumber: String, score text: String, reason: String?, actor: AuditActor,
                             on db: any Database, time: any TimeSource) async throws -> (DoubleEntry.Round, DoubleEntry.State) {
        _ = try await paperSession(sessionID, on: db)
        guard let person = actor.id else { throw DomainError.forbidden(code: "person_required", zh: "须由登录的工作人员录入", en: "a signed-in person must enter scores") }
        guard let score = DoubleEntry.score(text) else {
            throw ValidationFailure([FieldError(code: "invalid_score", field: "score", zh: "成绩应为 0–100 之间的数，最多一位小数",
                                                en: "a score is a number from 0 to 100 with at most one decimal place")])
        }
        let number = ticketNumber.trimmingCharacters(in: .whitespaces)
        guard let ticket = try await AdmissionTicketRecord.query(on: db).filter(\.$number == number).first(),
              let seat = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).filter(\.$applicationID == ticket.applicationID).first() else {
            throw ValidationFailure([FieldError(code: "unknown_ticket", field: "ticket", zh: "本场次没有准考证号为 \(number) 的考生",
                                                en: "no candidate of this session has ticket \(number)")])
        }
        guard seat.attendance != "absent" else {
            throw DomainError.conflict(code: "candidate_absent", zh: "该考生缺考，不录入成绩", en: "the candidate was absent")
        }
        let now = time.now()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let record = try await PaperScore.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$candidateID == seat.candidateID).first()
                ?? PaperScore()
            if record.id != nil, record.source == PaperScore.Source.omr.rawValue {
                throw DomainError.conflict(code: "read_by_machine", zh: "该考生成绩来自光电阅卷，不能手工录入", en: "this score was read from an answer sheet")
            }
            var entries = record.entries
            let round = try entries.enter(score, by: person)
            let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if round == .resolution, why.isEmpty { throw ValidationFailure([.required("reason", label: "核定理由")]) }
            record.sessionID = sessionID
            record.candidateID = seat.candidateID
            record.source = PaperScore.Source.manual.rawValue
            record.entries = entries
            if round == .resolution { record.resolveReason = why }
            record.updatedAt = now
            try await record.save(on: audit.db)
            let outcome = entries.state
            try await audit.record(AuditEvent(action: "paper-score.\(round.rawValue)", targetType: "candidate", targetID: seat.candidateID.uuidString,
                                              details: "session \(sessionID.uuidString), ticket \(number): \(score)\(round == .resolution ? " (\(why))" : ""); \(outcome.rawValue)"
                                                  + (outcome == .mismatch ? " \(entries.first?.score ?? 0) ≠ \(entries.second?.score ?? 0)" : "")))
            return (round, outcome)
        }
    }

    /// The result of reading an answer-sheet file.
    public struct SheetImport: Sendable {
        public var candidates: Int
        public var errors: [ItemSheetImport.RowError]
    }

    /// Imports an optical reader's CSV (or XLSX): a `准考证号` column, one column per item headed with its number in the
    /// paper (`1`, `2`, … or `第1题`), and — when the session uses several paper forms — a `试卷` column naming the form.
    /// Every row and cell is checked first; any problem (named by row and column) imports nothing.
    public static func importSheets(sessionID: UUID, rows: [(number: Int, cells: [Int: String])], actor: AuditActor, sealer: ContentSealer,
                                    on db: any Database, time: any TimeSource) async throws -> SheetImport {
        _ = try await paperSession(sessionID, on: db)
        let links = try await SessionPaper.query(on: db).filter(\.$sessionID == sessionID).all()
        guard !links.isEmpty else {
            throw DomainError.conflict(code: "no_paper", zh: "本场次尚未指定试卷，无法按答案评分", en: "no paper is assigned to this session")
        }
        var papers: [(paper: StoredPaper, content: PaperStore.PaperContent)] = []
        for link in links {
            guard let paper = try await StoredPaper.find(link.paperID, on: db) else { continue }
            papers.append((paper, try await PaperCache.shared.content(link.paperID, sealer: sealer, on: db, time: time)))
        }
        guard rows.count <= maxSheets + 1 else {
            return SheetImport(candidates: 0, errors: [.init(row: rows[maxSheets + 1].number, column: "", header: "",
                                                             messageZH: "一次最多导入 \(maxSheets) 名考生的答题卡", messageEN: "at most \(maxSheets) sheets per file")])
        }
        guard let header = rows.first else {
            return SheetImport(candidates: 0, errors: [.init(row: 1, column: "A", header: "", messageZH: "文件中没有数据", messageEN: "the file is empty")])
        }
        var ticketColumn: Int?
        var formColumn: Int?
        var itemColumns: [Int: Int] = [:]  // item number (1-based) → column
        for (column, raw) in header.cells {
            let text = ObjectiveGrading.normalized(raw).replacingOccurrences(of: " ", with: "")
            if ["准考证号", "ticket", "ticketnumber"].contains(text) { ticketColumn = column }
            else if ["试卷", "试卷代码", "form", "paper"].contains(text) { formColumn = column }
            else if let n = Int(text.replacingOccurrences(of: "第", with: "").replacingOccurrences(of: "题", with: "")), n > 0 { itemColumns[n] = column }
        }
        func letter(_ column: Int) -> String { alphabeticLabel(column) }
        var errors: [ItemSheetImport.RowError] = []
        guard let ticketColumn else {
            return SheetImport(candidates: 0, errors: [.init(row: header.number, column: "", header: "准考证号", messageZH: "缺少列“准考证号”",
                                                             messageEN: "the column 准考证号 (ticket number) is missing")])
        }
        if papers.count > 1, formColumn == nil {
            errors.append(.init(row: header.number, column: "", header: "试卷", messageZH: "本场次使用 \(papers.count) 套试卷，须有“试卷”列（填写试卷名称）",
                                messageEN: "the session uses \(papers.count) paper forms: a 试卷 column naming the form is required"))
        }
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).all()
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$applicationID ~~ seats.map(\.applicationID)).all()
            .map { ($0.number, $0.applicationID) }, uniquingKeysWith: { a, _ in a })
        let seatByApplication = Dictionary(seats.map { ($0.applicationID, $0) }, uniquingKeysWith: { a, _ in a })
        let existing = Dictionary(try await PaperScore.query(on: db).filter(\.$sessionID == sessionID).all().map { ($0.candidateID, $0) },
                                  uniquingKeysWith: { a, _ in a })

        struct Sheet { var candidateID: UUID; var ticket: String; var paper: Int; var marks: [[String]]; var score: Double }
        var sheets: [Sheet] = []
        var seen: [String: Int] = [:]
        for row in rows.dropFirst() where errors.count < 200 {
            let ticket = (row.cells[ticketColumn] ?? "").trimmingCharacters(in: .whitespaces)
            func problem(_ column: Int?, _ head: String, _ zh: String, _ en: String) {
                errors.append(.init(row: row.number, column: column.map(letter) ?? "", header: head, messageZH: zh, messageEN: en))
            }
            guard let application = tickets[ticket], let seat = seatByApplication[application] else {
                problem(ticketColumn, "准考证号", ticket.isEmpty ? "准考证号为空" : "准考证号 \(ticket) 不是本场次的考生",
                        ticket.isEmpty ? "the ticket number is empty" : "ticket \(ticket) is not in this session")
                continue
            }
            if let earlier = seen[ticket] {
                problem(ticketColumn, "准考证号", "准考证号 \(ticket) 与第 \(earlier) 行重复", "ticket \(ticket) repeats row \(earlier)")
                continue
            }
            seen[ticket] = row.number
            if seat.attendance == "absent" { problem(ticketColumn, "准考证号", "该考生已记为缺考", "the candidate was marked absent"); continue }
            if let known = existing[seat.candidateID], known.source == PaperScore.Source.manual.rawValue {
                problem(ticketColumn, "准考证号", "该考生已有手工录入的成绩", "the candidate already has an entered score"); continue
            }
            var form = 0
            if papers.count > 1, let formColumn {
                let name = (row.cells[formColumn] ?? "").trimmingCharacters(in: .whitespaces)
                guard let index = papers.firstIndex(where: { $0.paper.label == name || $0.paper.label.hasSuffix(name) && !name.isEmpty }) else {
                    problem(formColumn, "试卷", "试卷“\(name)”不是本场次的试卷（可选：\(papers.map(\.paper.label).joined(separator: "、"))）",
                            "'\(name)' is not one of this session's paper forms")
                    continue
                }
                form = index
            }
            let content = papers[form].content
            var marks: [[String]] = []
            var awarded = 0.0
            var readable = true
            for (position, entry) in content.entries.enumerated() {
                guard AnswerSheetMarks.isReadable(entry.type) else {
                    problem(nil, "第\(position + 1)题", "第 \(position + 1) 题是\(entry.type.nameZH)，光电阅卷只能读取单选、多选和判断题",
                            "item \(position + 1) is a \(entry.type.rawValue) item, which an optical reader cannot read")
                    readable = false
                    break
                }
                guard let column = itemColumns[position + 1] else {
                    problem(nil, "\(position + 1)", "缺少第 \(position + 1) 题的列（试卷共 \(content.entries.count) 题）",
                            "the column for item \(position + 1) is missing (the paper has \(content.entries.count) items)")
                    readable = false
                    break
                }
                let cell = row.cells[column] ?? ""
                switch AnswerSheetMarks.read(cell, type: entry.type, optionCount: entry.content.options?.count ?? 2) {
                case .unreadable:
                    problem(column, "\(position + 1)", "第 \(position + 1) 题的答案“\(cell)”无法识别（\(entry.type.nameZH)）",
                            "the mark '\(cell)' for item \(position + 1) cannot be read")
                    readable = false
                case .response(let response):
                    marks.append(response)
                    if ObjectiveGrading.grade(type: entry.type, content: entry.content, response: response) == .correct { awarded += Double(entry.points) }
                }
            }
            if readable {
                sheets.append(Sheet(candidateID: seat.candidateID, ticket: ticket, paper: form, marks: marks,
                                    score: ObjectiveGrading.score(awarded: awarded, total: content.totalPoints)))
            }
        }
        if rows.count == 1 { errors.append(.init(row: 2, column: "", header: "", messageZH: "文件中没有答题卡数据", messageEN: "the file has no sheets")) }
        guard errors.isEmpty else { return SheetImport(candidates: 0, errors: errors.sorted { $0.row < $1.row }) }

        let now = time.now()
        let (read, forms) = (sheets, papers.map(\.paper))
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            for sheet in read {
                let record = try await PaperScore.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$candidateID == sheet.candidateID).first()
                    ?? PaperScore()
                // Someone may have keyed a score in while the file was being checked: theirs stands, the import stops.
                if record.id != nil, record.source == PaperScore.Source.manual.rawValue {
                    throw DomainError.conflict(code: "entered_meanwhile", zh: "准考证号 \(sheet.ticket) 的成绩在导入期间已被手工录入，未导入任何成绩，请重新上传",
                                               en: "a score for ticket \(sheet.ticket) was keyed in during the import; nothing was imported")
                }
                let previous = record.finalScore
                record.sessionID = sessionID
                record.candidateID = sheet.candidateID
                record.source = PaperScore.Source.omr.rawValue
                record.entries = DoubleEntry()
                record.finalScore = sheet.score
                record.state = DoubleEntry.State.confirmed.rawValue
                record.paperID = forms[sheet.paper].id
                record.marks = String(decoding: try JSONEncoder().encode(sheet.marks), as: UTF8.self)
                record.updatedAt = now
                try await record.save(on: audit.db)
                try await audit.record(AuditEvent(action: "paper-score.omr", targetType: "candidate", targetID: sheet.candidateID.uuidString,
                                                  details: "session \(sessionID.uuidString), ticket \(sheet.ticket), paper \(forms[sheet.paper].label): \(sheet.score)"
                                                      + (previous.map { " (was \($0))" } ?? "")))
            }
        }
        return SheetImport(candidates: sheets.count, errors: [])
    }

    /// Answer sheets in one file at most.
    public static let maxSheets = 10_000

    // MARK: The marking queue

    /// A fill-in answer that matched no accepted answer, shown to a marker without the candidate's name.
    public struct Pending: Sendable {
        public var answerID: UUID
        public var attemptID: UUID
        public var sessionID: UUID
        public var itemNumber: Int
        public var stem: String
        public var acceptedAnswers: [String]
        public var response: String
        public var points: Int
    }

    /// Answers waiting for a marker, oldest submission first; `sessionID` narrows to one session. Only sessions that
    /// are over (past their end, nobody still answering) are listed — the paper stays out of sight while it is in
    /// use — and the marker opens each paper as themselves: its item authors may not, and the read is on the record.
    public static func markingQueue(sessionID: UUID?, limit: Int = 200, reader: AuditActor, sealer: ContentSealer, on db: any Database,
                                    time: any TimeSource) async throws -> [Pending] {
        var attemptsQuery = ExamAttempt.query(on: db).filter(\.$pendingReview > 0)
        if let sessionID { attemptsQuery = attemptsQuery.filter(\.$sessionID == sessionID) }
        var attempts = try await attemptsQuery.sort(\.$submittedAt).all()
        let now = time.now()
        var over: [UUID: Bool] = [:]
        for session in Set(attempts.map(\.sessionID)) {
            let ended = try await SessionStore.find(session, on: db).slot.end <= now
            let answering = try await ExamAttempt.query(on: db).filter(\.$sessionID == session)
                .filter(\.$status ~~ [AttemptStatus.inProgress.rawValue, AttemptStatus.notStarted.rawValue]).count()
            over[session] = ended && answering == 0
        }
        attempts = attempts.filter { over[$0.sessionID] == true }
        guard !attempts.isEmpty else { return [] }
        let byID = Dictionary(attempts.compactMap { a in a.id.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        let order = Dictionary(attempts.enumerated().map { ($1.id!, $0) }, uniquingKeysWith: { a, _ in a })
        let answers = try await ExamAnswer.query(on: db).filter(\.$attemptID ~~ Array(byID.keys)).filter(\.$needsReview == true).all()
            .sorted { (order[$0.attemptID] ?? 0) < (order[$1.attemptID] ?? 0) }.prefix(limit)
        var papers: [UUID: PaperStore.PaperContent] = [:]
        var out: [Pending] = []
        for answer in answers {
            guard let attempt = byID[answer.attemptID], let answerID = answer.id else { continue }
            if papers[attempt.paperID] == nil {
                papers[attempt.paperID] = try await PaperStore.open(paperID: attempt.paperID, reader: reader, sealer: sealer, on: db, time: time)
            }
            guard let paper = papers[attempt.paperID] else { continue }
            guard let index = paper.entries.firstIndex(where: { $0.itemID == answer.itemID }) else { continue }
            let entry = paper.entries[index]
            out.append(Pending(answerID: answerID, attemptID: answer.attemptID, sessionID: attempt.sessionID, itemNumber: index + 1,
                               stem: entry.content.stem, acceptedAnswers: entry.content.acceptedAnswers ?? [],
                               response: answer.responseValues.joined(separator: " "), points: entry.points))
        }
        return out.sorted { (order[$0.attemptID] ?? 0, $0.itemNumber) < (order[$1.attemptID] ?? 0, $1.itemNumber) }
    }

    /// A marker's decision on one answer: the points (0 to the item's points), on the record; the attempt's score
    /// is worked out again from every answer.
    public static func mark(answerID: UUID, points text: String, actor: AuditActor, sealer: ContentSealer,
                            on db: any Database, time: any TimeSource) async throws -> ExamAttempt {
        guard let answer = try await ExamAnswer.find(answerID, on: db), answer.needsReview,
              let attempt = try await ExamAttempt.find(answer.attemptID, on: db), attempt.statusValue.isFinal else {
            throw DomainError.notFound(what: "answer")
        }
        let paper = try await PaperCache.shared.content(attempt.paperID, sealer: sealer, on: db, time: time)
        guard let entry = paper.entries.first(where: { $0.itemID == answer.itemID }) else { throw DomainError.notFound(what: "item") }
        guard let points = Double(ObjectiveGrading.normalized(text)), points >= 0, points <= Double(entry.points), (points * 2).rounded() == points * 2 else {
            throw ValidationFailure([FieldError(code: "invalid_points", field: "points", zh: "得分应在 0–\(entry.points) 分之间（可到 0.5 分）",
                                                en: "points from 0 to \(entry.points), in steps of 0.5")])
        }
        let attemptID = try attempt.requireID()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            // Only an answer still waiting: two markers on one answer cannot both count.
            let sql = try audit.db.sql()
            let taken = try await sql.raw("""
                UPDATE \(ident: ExamAnswer.schema) SET awarded = \(bind: points), needs_review = \(bind: false), reviewed_by = \(bind: actor.id)
                WHERE id = \(bind: answerID) AND needs_review = \(bind: true) RETURNING id
                """).all()
            guard !taken.isEmpty else {
                throw DomainError.conflict(code: "already_marked", zh: "该答案已由他人评阅", en: "another marker has marked this answer")
            }
            let answers = try await ExamAnswer.query(on: audit.db).filter(\.$attemptID == attemptID).all()
            let awarded = answers.compactMap(\.awarded).reduce(0, +)
            let pending = answers.filter(\.needsReview).count
            let before = attempt.score
            attempt.score = ObjectiveGrading.score(awarded: awarded, total: paper.totalPoints)
            attempt.pendingReview = pending
            try await attempt.save(on: audit.db)
            try await audit.record(AuditEvent(action: "exam.mark", targetType: "attempt", targetID: attemptID.uuidString,
                                              details: "item \(answer.itemID.uuidString): \(points)/\(entry.points); score \(before.map { "\($0)" } ?? "-") → \(attempt.score ?? 0), \(pending) still waiting"))
            return attempt
        }
    }

    // MARK: Results

    /// A candidate's theory score in one session, whichever way it was taken.
    public struct TheoryScore: Sendable, Equatable {
        public var candidateID: UUID
        /// Out of 100; nil while it is not settled (entries pending, answers waiting for a marker).
        public var score: Double?
        public var settled: Bool
        public var source: String
    }

    /// The theory scores of a session, for the results: computer-based attempts once ended and fully marked, paper
    /// scores once both entries agree (or a third person settled them) or the sheet was read.
    public static func scores(sessionID: UUID, on db: any Database) async throws -> [TheoryScore] {
        let session = try await SessionStore.find(sessionID, on: db)
        switch session.modeValue {
        case .computer:
            return try await ExamAttempt.query(on: db).filter(\.$sessionID == sessionID).all().map { a in
                let settled = a.statusValue.isFinal && a.pendingReview == 0
                return TheoryScore(candidateID: a.candidateID, score: settled ? a.score : nil, settled: settled, source: "computer")
            }
        case .paper:
            return try await PaperScore.query(on: db).filter(\.$sessionID == sessionID).all().map { p in
                TheoryScore(candidateID: p.candidateID, score: p.finalScore, settled: p.finalScore != nil, source: p.source)
            }
        case .practical, .review:
            return []
        }
    }
}
