import FluentKit
import Foundation
import SQLKit
import SkillCertCore

/// Human scoring by examiner panels: skills sessions (a sheet per task card of the session's paper) and comprehensive
/// review sessions (one sheet on the review rubric). The panel of a candidate is the examiners assigned to the
/// candidate's room (station) — an odd number, as the staffing rule asks; each scores independently and blind, the
/// sheets aggregate into a task score, and a spread or a split veto goes to the room's chief examiner, who does not
/// score and so decides over sheets that are not their own.
public enum ScoringStore {
    /// The comprehensive review's rubric (审阅申报材料 and 答辩), used when a review session has no paper of its own.
    public static let reviewRubricID = UUID(uuidString: "00000000-0000-7000-8000-00000000c0de")!
    public static let reviewRubric = TaskCard(
        preparation: "审阅考生提交的工作业绩、技术创新成果、论文或技术总结等材料，并组织答辩（不少于 15 分钟）。", minutes: 15,
        criteria: [
            .init(text: "工作业绩与成果（审阅材料）", points: 20),
            .init(text: "技术创新与解决技术难题（审阅材料）", points: 20),
            .init(text: "论文或技术总结（审阅材料）", points: 20),
            .init(text: "答辩：陈述与回答问题", points: 40),
        ])

    /// A task the panel scores: a task card of the skills paper, or the review rubric.
    public struct Task: Sendable {
        public var itemID: UUID
        public var number: Int
        public var title: String
        /// The task's share of the part (its points in the paper).
        public var weight: Int
        public var card: TaskCard
    }

    public static func scoringSession(_ sessionID: UUID, on db: any Database) async throws -> ExamSession {
        let session = try await SessionStore.find(sessionID, on: db)
        guard session.modeValue == .practical || session.modeValue == .review else {
            throw DomainError.conflict(code: "not_panel_scored", zh: "只有实操和综合评审场次由考评员评分",
                                       en: "only skills and comprehensive-review sessions are scored by panels")
        }
        return session
    }

    /// The tasks of a session, in the paper's order. A skills session's paper is opened (and the opening audited)
    /// once the session has started.
    public static func tasks(of session: ExamSession, sealer: ContentSealer?, on db: any Database, time: any TimeSource) async throws -> [Task] {
        let sessionID = try session.requireID()
        let link = try await SessionPaper.query(on: db).filter(\.$sessionID == sessionID).first()
        guard let link, let sealer else {
            if session.modeValue == .review {
                return [Task(itemID: reviewRubricID, number: 1, title: "综合评审", weight: 100, card: reviewRubric)]
            }
            throw DomainError.conflict(code: "no_paper", zh: "本场次尚未指定考核试卷", en: "no paper is assigned to this session")
        }
        guard time.now() >= session.slot.start else {
            throw DomainError.conflict(code: "not_started", zh: "考核尚未开始，评分表未开启", en: "the session has not started")
        }
        let paper = try await PaperCache.shared.content(link.paperID, sealer: sealer, on: db, time: time)
        return paper.entries.enumerated().compactMap { i, entry in
            guard let card = entry.content.task else { return nil }
            return Task(itemID: entry.itemID, number: i + 1, title: entry.content.stem, weight: entry.points, card: card)
        }
    }

    /// The candidate's panel: the examiners of the candidate's room (or of the whole session), and its chief examiners.
    public struct Panel: Sendable {
        public var members: [UUID]
        public var chiefs: [UUID]
        public var size: Int { members.count }
    }

    public static func panel(sessionID: UUID, candidateID: UUID, on db: any Database) async throws -> Panel {
        guard let seat = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID).first() else {
            throw DomainError.notFound(what: "candidate")
        }
        let staff = try await StaffAssignment.query(on: db).filter(\.$sessionID == sessionID)
            .filter(\.$role ~~ [StaffRole.examiner.rawValue, StaffRole.chiefExaminer.rawValue]).all()
            .filter { $0.roomID == nil || $0.roomID == seat.roomID }
        let members = Array(Set(staff.filter { $0.roleValue == .examiner }.map(\.userID))).sorted { $0.uuidString < $1.uuidString }
        let chiefs = Array(Set(staff.filter { $0.roleValue == .chiefExaminer }.map(\.userID)))
        return Panel(members: members, chiefs: chiefs)
    }

    // MARK: The examiner's list

    /// One candidate and task on an examiner's list.
    public struct QueueRow: Sendable {
        public var candidateID: UUID
        public var ticketNumber: String
        public var seat: Int
        public var absent: Bool
        public var task: Task
        public var mine: ScoreSheetRecord?
        public var submitted: Int
        public var panelSize: Int
        public var state: PanelOutcome.State
    }

    /// What `examinerID` scores in a session: every present candidate of their rooms, task by task.
    public static func queue(sessionID: UUID, examinerID: UUID, sealer: ContentSealer?, on db: any Database, time: any TimeSource) async throws -> [QueueRow] {
        let session = try await scoringSession(sessionID, on: db)
        let mine = try await StaffAssignment.query(on: db).filter(\.$sessionID == sessionID).filter(\.$userID == examinerID)
            .filter(\.$role == StaffRole.examiner.rawValue).all()
        guard !mine.isEmpty else { return [] }
        let tasks = try await tasks(of: session, sealer: sealer, on: db, time: time)
        let wholeSession = mine.contains { $0.roomID == nil }
        let rooms = Set(mine.compactMap(\.roomID))
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).sort(\.$seat).all()
            .filter { wholeSession || rooms.contains($0.roomID) }
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$applicationID ~~ seats.map(\.applicationID)).all()
            .map { ($0.applicationID, $0.number) }, uniquingKeysWith: { a, _ in a })
        let sheets = try await ScoreSheetRecord.query(on: db).filter(\.$sessionID == sessionID).all()
        let scores = try await TaskScoreRecord.query(on: db).filter(\.$sessionID == sessionID).all()
        let staff = try await StaffAssignment.query(on: db).filter(\.$sessionID == sessionID).filter(\.$role == StaffRole.examiner.rawValue).all()
        var rows: [QueueRow] = []
        for seat in seats {
            let panelSize = Set(staff.filter { $0.roomID == nil || $0.roomID == seat.roomID }.map(\.userID)).count
            for task in tasks {
                let these = sheets.filter { $0.candidateID == seat.candidateID && $0.itemID == task.itemID }
                let state = scores.first { $0.candidateID == seat.candidateID && $0.itemID == task.itemID }?.stateValue ?? .awaitingSheets
                rows.append(QueueRow(candidateID: seat.candidateID, ticketNumber: tickets[seat.applicationID] ?? "", seat: seat.seat,
                                     absent: seat.attendance == "absent", task: task, mine: these.first { $0.examinerID == examinerID },
                                     submitted: these.count, panelSize: panelSize, state: state))
            }
        }
        return rows
    }

    // MARK: Sheets

    /// Submits an examiner's sheet; it is locked from then on. A replay of the same submission (same `clientRef`,
    /// after a dropped connection) returns the stored sheet instead of a refusal.
    @discardableResult
    public static func submit(sessionID: UUID, candidateID: UUID, itemID: UUID, entries: [String], vetoed: [Int], comment: String,
                              photos: [String] = [], clientRef: String, actor: AuditActor, sealer: ContentSealer?,
                              on db: any Database, time: any TimeSource) async throws -> ScoreSheetRecord {
        let session = try await scoringSession(sessionID, on: db)
        guard let examinerID = actor.id else { throw DomainError.forbidden(code: "person_required", zh: "须由登录的考评员评分", en: "a signed-in examiner must score") }
        let panel = try await panel(sessionID: sessionID, candidateID: candidateID, on: db)
        guard panel.members.contains(examinerID) else {
            throw DomainError.forbidden(code: "not_on_panel", zh: "您不是该考生考评小组的成员", en: "you are not on this candidate's panel")
        }
        guard panel.size >= 3, panel.size % 2 == 1 else {
            throw DomainError.conflict(code: "panel_not_odd", zh: "考评小组须为不少于 3 人的奇数，现有 \(panel.size) 人；请考务部门调整后再评分",
                                       en: "the panel must be an odd number of at least 3 examiners; it has \(panel.size)")
        }
        if let seat = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID).first(),
           seat.attendance == "absent" {
            throw DomainError.conflict(code: "candidate_absent", zh: "该考生缺考，不评分", en: "the candidate was absent")
        }
        guard let task = try await tasks(of: session, sealer: sealer, on: db, time: time).first(where: { $0.itemID == itemID }) else {
            throw DomainError.notFound(what: "task")
        }
        let marks: SheetMarks
        switch ScoreSheet.marks(entries: entries, vetoed: vetoed, comment: comment.trimmingCharacters(in: .whitespacesAndNewlines), card: task.card) {
        case .success(let m): marks = m
        case .failure(let failure): throw failure
        }
        let ref = String(clientRef.prefix(64))
        // Audited transactions run one at a time, so a replay racing its original finds it here.
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if let existing = try await ScoreSheetRecord.query(on: audit.db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID)
                .filter(\.$itemID == itemID).filter(\.$examinerID == examinerID).first() {
                if !ref.isEmpty, existing.clientRef == ref { return existing }
                throw DomainError.conflict(code: "sheet_locked", zh: "评分表已提交并锁定；如需更正，请填写理由并提交组长审批",
                                           en: "the sheet is submitted and locked; ask the chief examiner for a correction")
            }
            let sheet = ScoreSheetRecord()
            sheet.sessionID = sessionID
            sheet.candidateID = candidateID
            sheet.itemID = itemID
            sheet.examinerID = examinerID
            sheet.marksValue = marks
            sheet.score = ScoreSheet.score(marks, card: task.card)
            sheet.vetoed = !marks.vetoed.isEmpty
            sheet.photos = String(decoding: try JSONEncoder().encode(photos), as: UTF8.self)
            sheet.clientRef = ref.isEmpty ? UUID().uuidString : ref
            sheet.submittedAt = time.now()
            try await sheet.create(on: audit.db)
            try await audit.record(AuditEvent(action: "score-sheet.submit", targetType: "candidate", targetID: candidateID.uuidString,
                                              details: "session \(sessionID.uuidString), task \(task.number): \(scoreText(sheet.score))\(sheet.vetoed ? " (veto)" : "")"))
            try await recompute(sessionID: sessionID, candidateID: candidateID, itemID: itemID, panelSize: panel.size, keepDecision: true,
                                audit: audit, time: time)
            return sheet
        }
    }

    /// The sheets `viewer` may read for one candidate and task: everyone's once the whole panel has submitted,
    /// before that only the viewer's own (nobody — chief examiner and exam affairs included — sees another's sheet
    /// early).
    public struct SheetsView: Sendable {
        public var visible: [ScoreSheetRecord]
        public var submitted: Int
        public var panelSize: Int
        public var allIn: Bool { submitted >= panelSize && panelSize > 0 }
        public var score: TaskScoreRecord?
        public var corrections: [SheetCorrection]
    }

    public static func sheets(sessionID: UUID, candidateID: UUID, itemID: UUID, viewer: UUID, on db: any Database) async throws -> SheetsView {
        _ = try await scoringSession(sessionID, on: db)
        let panel = try await panel(sessionID: sessionID, candidateID: candidateID, on: db)
        let all = try await ScoreSheetRecord.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID)
            .filter(\.$itemID == itemID).sort(\.$submittedAt).all()
        let allIn = all.count >= panel.size && panel.size > 0
        let visible = allIn ? all : all.filter { $0.examinerID == viewer }
        let corrections = try await SheetCorrection.query(on: db).filter(\.$sheetID ~~ visible.compactMap(\.id)).sort(\.$requestedAt).all()
        let score = try await TaskScoreRecord.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID)
            .filter(\.$itemID == itemID).first()
        return SheetsView(visible: visible, submitted: all.count, panelSize: panel.size, score: allIn ? score : nil, corrections: corrections)
    }

    /// Photos of the work product, added to a submitted sheet by its examiner (the marks stay locked).
    @discardableResult
    public static func attachPhotos(sheetID: UUID, names: [String], actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> ScoreSheetRecord {
        guard let sheet = try await ScoreSheetRecord.find(sheetID, on: db) else { throw DomainError.notFound(what: "sheet") }
        guard sheet.examinerID == actor.id else {
            throw DomainError.forbidden(code: "not_your_sheet", zh: "只能为自己的评分表添加照片", en: "only the sheet's examiner adds photos")
        }
        let all = sheet.photoNames + names.filter { !sheet.photoNames.contains($0) }
        guard all.count <= 12 else {
            throw ValidationFailure([FieldError(code: "too_many", field: "photos", zh: "每张评分表最多 12 张照片", en: "at most 12 photos per sheet")])
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            sheet.photos = String(decoding: try JSONEncoder().encode(all), as: UTF8.self)
            try await sheet.save(on: audit.db)
            try await audit.record(AuditEvent(action: "score-sheet.photos", targetType: "candidate", targetID: sheet.candidateID.uuidString,
                                              details: "sheet \(sheetID.uuidString): \(names.count) photo(s) added, \(all.count) in all"))
            return sheet
        }
    }

    // MARK: Corrections

    /// The examiner who submitted a sheet asks to change it, with a reason; the chief examiner decides.
    @discardableResult
    public static func requestCorrection(sheetID: UUID, entries: [String], vetoed: [Int], comment: String, reason: String, actor: AuditActor,
                                         sealer: ContentSealer?, on db: any Database, time: any TimeSource) async throws -> SheetCorrection {
        guard let sheet = try await ScoreSheetRecord.find(sheetID, on: db) else { throw DomainError.notFound(what: "sheet") }
        guard sheet.examinerID == actor.id else {
            throw DomainError.forbidden(code: "not_your_sheet", zh: "只能更正自己的评分表", en: "only the sheet's examiner may ask for a correction")
        }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ValidationFailure([.required("reason", label: "更正理由")]) }
        let session = try await scoringSession(sheet.sessionID, on: db)
        guard let task = try await tasks(of: session, sealer: sealer, on: db, time: time).first(where: { $0.itemID == sheet.itemID }) else {
            throw DomainError.notFound(what: "task")
        }
        let marks: SheetMarks
        switch ScoreSheet.marks(entries: entries, vetoed: vetoed, comment: comment.trimmingCharacters(in: .whitespacesAndNewlines), card: task.card) {
        case .success(let m): marks = m
        case .failure(let failure): throw failure
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await SheetCorrection.query(on: audit.db).filter(\.$sheetID == sheetID).filter(\.$status == SheetCorrection.Status.pending.rawValue).first() != nil {
                throw DomainError.conflict(code: "correction_pending", zh: "该评分表已有待审批的更正", en: "a correction of this sheet is already waiting")
            }
            let c = SheetCorrection()
            c.sheetID = sheetID
            c.originalMarks = sheet.marks
            c.originalScore = sheet.score
            c.proposedMarks = String(decoding: try JSONEncoder().encode(marks), as: UTF8.self)
            c.proposedScore = ScoreSheet.score(marks, card: task.card)
            c.reason = why
            c.requestedBy = sheet.examinerID
            c.requestedAt = time.now()
            c.status = SheetCorrection.Status.pending.rawValue
            try await c.create(on: audit.db)
            try await audit.record(AuditEvent(action: "score-sheet.correction-request", targetType: "candidate", targetID: sheet.candidateID.uuidString,
                                              details: "sheet \(sheetID.uuidString): \(scoreText(c.originalScore)) → \(scoreText(c.proposedScore)) (\(why))"))
            return c
        }
    }

    /// The chief examiner of the candidate's panel approves (the sheet takes the new marks; the original stays on
    /// the correction) or refuses a correction. Nobody decides their own request.
    @discardableResult
    public static func decideCorrection(_ correctionID: UUID, approve: Bool, note: String, actor: AuditActor,
                                        on db: any Database, time: any TimeSource) async throws -> SheetCorrection {
        guard let c = try await SheetCorrection.find(correctionID, on: db), let sheet = try await ScoreSheetRecord.find(c.sheetID, on: db) else {
            throw DomainError.notFound(what: "correction")
        }
        guard c.statusValue == .pending else {
            throw DomainError.conflict(code: "already_decided", zh: "该更正已处理", en: "this correction has been decided")
        }
        let panel = try await panel(sessionID: sheet.sessionID, candidateID: sheet.candidateID, on: db)
        guard let me = actor.id, panel.chiefs.contains(me), me != c.requestedBy else {
            throw DomainError.forbidden(code: "chief_required", zh: "更正须由该考评小组的考评组长（非申请人）审批",
                                        en: "the panel's chief examiner (not the requester) decides corrections")
        }
        let text = note.trimmingCharacters(in: .whitespacesAndNewlines)
        if !approve, text.isEmpty { throw ValidationFailure([.required("note", label: "不批准的理由")]) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let fresh = try await SheetCorrection.find(correctionID, on: audit.db), fresh.statusValue == .pending else {
                throw DomainError.conflict(code: "already_decided", zh: "该更正已处理", en: "this correction has been decided")
            }
            c.status = (approve ? SheetCorrection.Status.approved : .refused).rawValue
            c.decidedBy = me
            c.decidedAt = time.now()
            c.note = text.isEmpty ? nil : text
            try await c.save(on: audit.db)
            if approve {
                sheet.marks = c.proposedMarks
                sheet.score = c.proposedScore
                sheet.vetoed = !sheet.marksValue.vetoed.isEmpty
                sheet.correctedAt = time.now()
                try await sheet.save(on: audit.db)
                try await recompute(sessionID: sheet.sessionID, candidateID: sheet.candidateID, itemID: sheet.itemID, panelSize: panel.size,
                                    keepDecision: false, audit: audit, time: time)
            }
            try await audit.record(AuditEvent(action: approve ? "score-sheet.correction-approve" : "score-sheet.correction-refuse",
                                              targetType: "candidate", targetID: sheet.candidateID.uuidString,
                                              details: "sheet \(sheet.id!.uuidString): \(scoreText(c.originalScore)) → \(scoreText(c.proposedScore))\(text.isEmpty ? "" : " (\(text))")"))
            return c
        }
    }

    // MARK: Aggregation and arbitration

    /// Works out one task score from the submitted sheets with the body's rule (mean or trimmed mean, spread
    /// threshold). A chief examiner's decision stands while the sheets are unchanged (`keepDecision`).
    @discardableResult
    static func recompute(sessionID: UUID, candidateID: UUID, itemID: UUID, panelSize: Int, keepDecision: Bool,
                          audit: AuditWriter, time: any TimeSource) async throws -> TaskScoreRecord {
        let db = audit.db
        let sheets = try await ScoreSheetRecord.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID)
            .filter(\.$itemID == itemID).all()
        let method: Aggregation = try await SettingsStore.value(.scoringTrimmedMean, on: db) == 1 ? .trimmedMean : .mean
        let threshold = Double(try await SettingsStore.value(.scoreSpreadThreshold, on: db))
        let outcome = PanelScoring.outcome(scores: sheets.map(\.score), vetoes: sheets.filter(\.vetoed).count, panelSize: panelSize,
                                           method: method, threshold: threshold)
        let record = try await TaskScoreRecord.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID)
            .filter(\.$itemID == itemID).first() ?? TaskScoreRecord()
        let decided = keepDecision && record.decidedBy != nil
        record.sessionID = sessionID
        record.candidateID = candidateID
        record.itemID = itemID
        record.spread = outcome.spread
        record.vetoFailed = outcome.vetoFailed
        record.method = method.rawValue
        if !decided {
            record.state = outcome.state.rawValue
            record.score = outcome.score
            record.arbitrationReason = outcome.reasonZH
            record.decidedBy = nil
            record.decisionReason = nil
            record.decidedAt = nil
        }
        record.updatedAt = time.now()
        try await record.save(on: db)
        return record
    }

    /// The chief examiner's decision on a task in arbitration: the score (0–100, one decimal) and the reason.
    @discardableResult
    public static func arbitrate(taskScoreID: UUID, score text: String, reason: String, actor: AuditActor,
                                 on db: any Database, time: any TimeSource) async throws -> TaskScoreRecord {
        guard let record = try await TaskScoreRecord.find(taskScoreID, on: db) else { throw DomainError.notFound(what: "task score") }
        guard record.stateValue == .arbitration, record.decidedBy == nil else {
            throw DomainError.conflict(code: "not_in_arbitration", zh: "该任务不在待仲裁状态", en: "this task is not waiting for arbitration")
        }
        let panel = try await panel(sessionID: record.sessionID, candidateID: record.candidateID, on: db)
        guard let me = actor.id, panel.chiefs.contains(me) else {
            throw DomainError.forbidden(code: "chief_required", zh: "仲裁须由该考评小组的考评组长作出", en: "the panel's chief examiner arbitrates")
        }
        guard let score = DoubleEntry.score(text) else {
            throw ValidationFailure([FieldError(code: "invalid_score", field: "score", zh: "仲裁分数应为 0–100 之间的数，最多一位小数",
                                                en: "a score from 0 to 100 with at most one decimal place")])
        }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ValidationFailure([.required("reason", label: "仲裁理由")]) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let fresh = try await TaskScoreRecord.find(taskScoreID, on: audit.db), fresh.stateValue == .arbitration, fresh.decidedBy == nil else {
                throw DomainError.conflict(code: "not_in_arbitration", zh: "该任务不在待仲裁状态", en: "this task is not waiting for arbitration")
            }
            record.score = score
            record.state = PanelOutcome.State.settled.rawValue
            record.decidedBy = me
            record.decisionReason = why
            record.decidedAt = time.now()
            record.updatedAt = time.now()
            try await record.save(on: audit.db)
            try await audit.record(AuditEvent(action: "task-score.arbitrate", targetType: "candidate", targetID: record.candidateID.uuidString,
                                              details: "session \(record.sessionID.uuidString), spread \(scoreText(record.spread)): \(scoreText(score)) (\(why))"))
            return record
        }
    }

    /// What the chief examiner `chiefID` has to decide: tasks in arbitration and corrections waiting, on their panels.
    public struct ChiefQueue: Sendable {
        public var arbitrations: [TaskScoreRecord]
        public var corrections: [(correction: SheetCorrection, sheet: ScoreSheetRecord)]
    }

    public static func chiefQueue(chiefID: UUID, on db: any Database) async throws -> ChiefQueue {
        let posts = try await StaffAssignment.query(on: db).filter(\.$userID == chiefID).filter(\.$role == StaffRole.chiefExaminer.rawValue).all()
        guard !posts.isEmpty else { return ChiefQueue(arbitrations: [], corrections: []) }
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID ~~ posts.map(\.sessionID)).all()
            .filter { seat in posts.contains { $0.sessionID == seat.sessionID && ($0.roomID == nil || $0.roomID == seat.roomID) } }
        let mine = Set(seats.map { "\($0.sessionID)|\($0.candidateID)" })
        let arbitrations = try await TaskScoreRecord.query(on: db).filter(\.$sessionID ~~ posts.map(\.sessionID))
            .filter(\.$state == PanelOutcome.State.arbitration.rawValue).sort(\.$updatedAt).all()
            .filter { mine.contains("\($0.sessionID)|\($0.candidateID)") }
        let pending = try await SheetCorrection.query(on: db).filter(\.$status == SheetCorrection.Status.pending.rawValue).sort(\.$requestedAt).all()
        let sheets = Dictionary(try await ScoreSheetRecord.query(on: db).filter(\.$id ~~ pending.map(\.sheetID)).all().map { ($0.id!, $0) },
                                uniquingKeysWith: { a, _ in a })
        let corrections = pending.compactMap { c -> (SheetCorrection, ScoreSheetRecord)? in
            guard let s = sheets[c.sheetID], mine.contains("\(s.sessionID)|\(s.candidateID)"), c.requestedBy != chiefID else { return nil }
            return (c, s)
        }
        return ChiefQueue(arbitrations: arbitrations, corrections: corrections)
    }

    // MARK: Part scores

    /// The part score (out of 100) of each present candidate of a panel-scored session, once every task is settled:
    /// the task scores weighted by the paper's points for each task.
    public static func partScores(sessionID: UUID, sealer: ContentSealer?, on db: any Database, time: any TimeSource) async throws -> [UUID: Double?] {
        let session = try await scoringSession(sessionID, on: db)
        let tasks = try await tasks(of: session, sealer: sealer, on: db, time: time)
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).all().filter { $0.attendance != "absent" }
        let scores = Dictionary(grouping: try await TaskScoreRecord.query(on: db).filter(\.$sessionID == sessionID).all(), by: \.candidateID)
        var out: [UUID: Double?] = [:]
        for seat in seats {
            let mine = scores[seat.candidateID] ?? []
            let settled = tasks.compactMap { task -> (weight: Int, score: Double)? in
                guard let s = mine.first(where: { $0.itemID == task.itemID }), s.stateValue == .settled, let score = s.score else { return nil }
                return (task.weight, score)
            }
            out[seat.candidateID] = settled.count == tasks.count && !tasks.isEmpty ? PanelScoring.partScore(settled) : nil
        }
        return out
    }
}
