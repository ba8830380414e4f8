import FluentKit
import Foundation
import SQLKit
import SkillCertCore

/// Results of a plan: worked out from the settled part scores with the standard's pass rule, released to candidates
/// on a date, reviewed on request (复核), and published for objections (公示) before they become final.
public enum ResultStore {
    // MARK: Working out

    public struct Summary: Sendable, Equatable {
        public var passed = 0
        public var failed = 0
        public var incomplete = 0
        /// Released results are left alone: after release a score changes only through a review.
        public var released = 0
    }

    /// Works out (again) the result of every candidate holding an admission ticket of the plan. Each change is audited.
    @discardableResult
    public static func compute(planID: UUID, actor: AuditActor, sealer: ContentSealer?, on db: any Database, time: any TimeSource) async throws -> Summary {
        guard let plan = try await StoredPlan.find(planID, on: db) else { throw DomainError.notFound(what: "plan") }
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        let tickets = try await AdmissionTicketRecord.query(on: db).filter(\.$planID == planID).all()
        let applications = Dictionary(try await StoredApplication.query(on: db).filter(\.$id ~~ tickets.map(\.applicationID)).all().map { ($0.id!, $0) },
                                      uniquingKeysWith: { a, _ in a })
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).sort(\.$heldOn).sort(\.$startMinute).all()

        // Per session: each seated candidate's score (nil while unsettled) or absence.
        struct Taken { var score: Double?; var absent: Bool }
        var taken: [(session: ExamSession, scores: [UUID: Taken])] = []
        for session in sessions {
            let sid = try session.requireID()
            let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID == sid).all()
            guard !seats.isEmpty else { continue }
            var scores: [UUID: Double?] = [:]
            switch session.modeValue.part {
            case .theory:
                for s in try await TheoryScoreStore.scores(sessionID: sid, on: db) { scores[s.candidateID] = s.settled ? s.score : nil }
            case .skills, .comprehensiveReview:
                // A session not yet held (or without its paper) has no scores yet: its candidates' results wait.
                do {
                    scores = time.now() < session.slot.start ? [:] : try await ScoringStore.partScores(sessionID: sid, sealer: sealer, on: db, time: time)
                } catch DomainError.conflict(code: "no_paper", _, _) {
                    scores = [:]
                }
            }
            var map: [UUID: Taken] = [:]
            for seat in seats {
                map[seat.candidateID] = seat.attendance == "absent" ? Taken(score: nil, absent: true) : Taken(score: scores[seat.candidateID] ?? nil, absent: false)
            }
            taken.append((session, map))
        }
        let existing = Dictionary(try await ResultRecord.query(on: db).filter(\.$planID == planID).all().map { ($0.applicationID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let sessionScores = taken
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            var summary = Summary()
            for ticket in tickets {
                guard let application = applications[ticket.applicationID] else { continue }
                let record = existing[ticket.applicationID] ?? ResultRecord()
                if record.releasedOn != nil { summary.released += 1; continue }
                let level = Level(application.level)
                let parts = standard.spec(for: level)?.parts ?? []
                var absent: [AssessmentPartKind] = []
                let before = record.id == nil ? nil : describe(record)
                record.planID = planID
                record.applicationID = ticket.applicationID
                record.candidateID = ticket.candidateID
                record.level = application.level
                for part in AssessmentPartKind.allCases {
                    // The latest session of this part the candidate sat (a make-up session replaces the first).
                    let mine = sessionScores.filter { $0.session.level == application.level && $0.session.modeValue.part == part }
                        .compactMap { $0.scores[ticket.candidateID] }
                    let last = mine.last(where: { !$0.absent }) ?? mine.last
                    if last?.absent == true { absent.append(part) }
                    record.setScore(part, last?.absent == true ? nil : last?.score)
                }
                record.absentParts = absent.map(\.rawValue).joined(separator: ",")
                apply(parts: parts, to: record)
                record.computedAt = time.now()
                record.final = false
                try await record.save(on: audit.db)
                switch record.verdict {
                case "passed": summary.passed += 1
                case "failed": summary.failed += 1
                default: summary.incomplete += 1
                }
                let after = describe(record)
                if before != after {
                    try await audit.record(AuditEvent(action: "result.compute", targetType: "candidate", targetID: ticket.candidateID.uuidString,
                                                      details: "plan \(plan.number), level \(application.level): \(before.map { "\($0) → " } ?? "")\(after)"))
                }
            }
            return summary
        }
    }

    /// Sets the verdict (and the skills grade) from the part scores with the standard's pass rule.
    static func apply(parts: [AssessmentPart], to record: ResultRecord) {
        let absent = record.absent
        let verdict = ResultRule.verdict(parts.map { p in
            // A part the candidate missed counts as failed, not as waiting.
            ResultRule.Part(kind: p.part, score: absent.contains(p.part) ? 0 : record.score(p.part), passMark: Double(p.passMark), required: p.required ?? true)
        })
        record.verdict = verdict.code
        switch verdict {
        case .passed: record.verdictParts = ""
        case .failed(let kinds), .incomplete(let kinds): record.verdictParts = kinds.map(\.rawValue).joined(separator: ",")
        }
        if let skills = parts.first(where: { $0.part == .skills }), skills.gradeScale == true, let score = record.skills {
            record.grade = ResultRule.grade(score, passMark: Double(skills.passMark))
        } else {
            record.grade = nil
        }
    }

    static func describe(_ r: ResultRecord) -> String {
        let parts = AssessmentPartKind.allCases.compactMap { p -> String? in
            if r.absent.contains(p) { return "\(p.rawValue) absent" }
            return r.score(p).map { "\(p.rawValue) \(scoreText($0))" }
        }
        return parts.joined(separator: ", ") + "; \(r.verdict)"
    }

    /// One row of a plan's result list.
    public struct Row: Sendable {
        public var result: ResultRecord
        public var candidateName: String
        public var maskedID: String
        public var ticketNumber: String
    }

    public static func rows(planID: UUID, on db: any Database) async throws -> [Row] {
        let results = try await ResultRecord.query(on: db).filter(\.$planID == planID).all()
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ results.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$applicationID ~~ results.map(\.applicationID)).all()
            .map { ($0.applicationID, $0.number) }, uniquingKeysWith: { a, _ in a })
        return results.map { r in
            Row(result: r, candidateName: profiles[r.candidateID]?.fullName ?? "", maskedID: profiles[r.candidateID]?.idNumberMasked ?? "",
                ticketNumber: tickets[r.applicationID] ?? "")
        }.sorted { $0.ticketNumber < $1.ticketNumber }
    }

    // MARK: Release

    /// Releases the plan's decided results (passed or failed; those still waiting for a score stay back) to
    /// candidates on `day` (today or later). Returns how many were released.
    @discardableResult
    public static func release(planID: UUID, on day: LocalDate, actor: AuditActor, db: any Database, time: any TimeSource) async throws -> Int {
        let today = time.now().chinaLocalDate
        guard day >= today else {
            throw ValidationFailure([FieldError(code: "in_the_past", field: "date", zh: "发布日期不能早于今天", en: "the release date cannot be in the past")])
        }
        let results = try await ResultRecord.query(on: db).filter(\.$planID == planID).all()
        let waiting = results.filter { $0.releasedOn == nil }
        let decided = waiting.filter { $0.verdict != ResultRule.Verdict.incomplete([]).code }
        guard !decided.isEmpty else {
            throw DomainError.conflict(code: "nothing_to_release",
                                       zh: waiting.isEmpty ? "没有待发布的成绩，请先汇总成绩" : "\(waiting.count) 名考生的成绩尚未齐全，暂不能发布",
                                       en: waiting.isEmpty ? "no results to release; work them out first" : "\(waiting.count) results are not complete yet")
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            for r in decided {
                r.releasedOn = day.description
                r.releasedBy = actor.id
                try await r.save(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "results.release", targetType: "plan", targetID: planID.uuidString,
                                              details: "\(decided.count) results released on \(day); \(waiting.count - decided.count) not complete"))
            return decided.count
        }
    }

    /// The candidate's released results (nothing before the release day).
    public static func forCandidate(_ candidateID: UUID, on db: any Database, time: any TimeSource) async throws -> [ResultRecord] {
        let today = time.now().chinaLocalDate
        return try await ResultRecord.query(on: db).filter(\.$candidateID == candidateID).all().filter { $0.isReleased(on: today) }
    }

    // MARK: Score review (复核)

    /// A candidate asks for a review of one part, within the window after release (working days of the body's
    /// calendar). The answer is due within the configured working days.
    @discardableResult
    public static func requestReview(resultID: UUID, part: AssessmentPartKind, text: String, actor: AuditActor,
                                     on db: any Database, time: any TimeSource) async throws -> ScoreReview {
        guard let result = try await ResultRecord.find(resultID, on: db), result.candidateID == actor.id else {
            throw DomainError.notFound(what: "result")
        }
        let today = time.now().chinaLocalDate
        guard result.isReleased(on: today), let released = result.releasedOn.flatMap(LocalDate.init(iso:)) else {
            throw DomainError.notFound(what: "result")
        }
        let calendar = try await CalendarStore.calendar(on: db)
        let deadline = ResultWindows.reviewRequestDeadline(released: released, workingDays: try await SettingsStore.value(.reviewRequestWorkingDays, on: db),
                                                           calendar: calendar)
        guard today <= deadline else {
            throw DomainError.conflict(code: "review_window_closed", zh: "复核申请期限已过（截止 \(deadline)）", en: "the review window closed on \(deadline)")
        }
        guard result.score(part) != nil else {
            throw ValidationFailure([FieldError(code: "no_score", field: "part", zh: "该部分没有成绩，无需复核", en: "this part has no score to review")])
        }
        let why = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ValidationFailure([.required("text", label: "复核理由")]) }
        guard why.count <= 1000 else {
            throw ValidationFailure([FieldError(code: "too_long", field: "text", zh: "复核理由最多 1000 字", en: "at most 1,000 characters")])
        }
        let due = ResultWindows.reviewAnswerDeadline(requested: today, workingDays: try await SettingsStore.value(.reviewAnswerWorkingDays, on: db),
                                                     calendar: calendar)
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if try await ScoreReview.query(on: audit.db).filter(\.$resultID == resultID).filter(\.$part == part.rawValue).first() != nil {
                throw DomainError.conflict(code: "review_exists", zh: "该部分已申请过复核", en: "a review of this part was already asked for")
            }
            let r = ScoreReview()
            r.resultID = resultID
            r.candidateID = result.candidateID
            r.part = part.rawValue
            r.requestText = why
            r.requestedOn = today.description
            r.requestedAt = time.now()
            r.dueOn = due.description
            r.status = ScoreReview.Status.requested.rawValue
            r.reviewers = "[]"
            r.oldScore = result.score(part)
            try await r.create(on: audit.db)
            try await audit.record(AuditEvent(action: "score-review.request", targetType: "candidate", targetID: result.candidateID.uuidString,
                                              details: "\(part.rawValue) \(result.score(part).map(scoreText) ?? "-"), due \(due): \(why)"))
            return r
        }
    }

    /// Everyone who scored the candidate in the plan: examiners' sheets, paper-score entries, markers of answers.
    public static func scorers(candidateID: UUID, planID: UUID, on db: any Database) async throws -> Set<UUID> {
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).all().compactMap(\.id)
        var people = Set(try await ScoreSheetRecord.query(on: db).filter(\.$sessionID ~~ sessions).filter(\.$candidateID == candidateID).all().map(\.examinerID))
        for p in try await PaperScore.query(on: db).filter(\.$sessionID ~~ sessions).filter(\.$candidateID == candidateID).all() {
            people.formUnion([p.firstBy, p.secondBy, p.resolvedBy].compactMap { $0 })
        }
        let attempts = try await ExamAttempt.query(on: db).filter(\.$sessionID ~~ sessions).filter(\.$candidateID == candidateID).all().compactMap(\.id)
        people.formUnion(try await ExamAnswer.query(on: db).filter(\.$attemptID ~~ attempts).all().compactMap(\.reviewedBy))
        return people
    }

    /// Exam affairs assigns reviewers; anyone who scored the candidate is refused, by name.
    @discardableResult
    public static func assignReviewers(reviewID: UUID, reviewers: [UUID], actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> ScoreReview {
        guard let review = try await ScoreReview.find(reviewID, on: db), let result = try await ResultRecord.find(review.resultID, on: db) else {
            throw DomainError.notFound(what: "review")
        }
        guard review.statusValue != .answered else {
            throw DomainError.conflict(code: "already_answered", zh: "该复核已答复", en: "this review has been answered")
        }
        guard !reviewers.isEmpty else { throw ValidationFailure([.required("reviewers", label: "复核人员")]) }
        let scored = try await scorers(candidateID: review.candidateID, planID: result.planID, on: db)
        let refused = reviewers.filter(scored.contains)
        if !refused.isEmpty {
            let names = try await User.query(on: db).filter(\.$id ~~ refused).all().map(\.displayName).joined(separator: "、")
            throw DomainError.conflict(code: "reviewer_scored", zh: "\(names) 参与过该考生的评分，不能担任复核人员",
                                       en: "\(names) scored this candidate and cannot review")
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            review.reviewers = String(decoding: try JSONEncoder().encode(Array(Set(reviewers))), as: UTF8.self)
            review.status = ScoreReview.Status.assigned.rawValue
            try await review.save(on: audit.db)
            try await audit.record(AuditEvent(action: "score-review.assign", targetType: "candidate", targetID: review.candidateID.uuidString,
                                              details: "review \(reviewID.uuidString): \(reviewers.map(\.uuidString).joined(separator: ", "))"))
            return review
        }
    }

    /// An assigned reviewer answers: what was re-checked (adding up, omitted items, recording errors) and, when it
    /// changes, the new score. The old score stays on the review; the verdict is worked out again.
    @discardableResult
    public static func answerReview(reviewID: UUID, newScore text: String, answer: String, actor: AuditActor,
                                    on db: any Database, time: any TimeSource) async throws -> ScoreReview {
        guard let review = try await ScoreReview.find(reviewID, on: db), let result = try await ResultRecord.find(review.resultID, on: db) else {
            throw DomainError.notFound(what: "review")
        }
        guard review.statusValue == .assigned, let me = actor.id, review.reviewerIDs.contains(me) else {
            throw DomainError.forbidden(code: "not_reviewer", zh: "只有被指派的复核人员可以答复", en: "only an assigned reviewer answers")
        }
        let why = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ValidationFailure([.required("answer", label: "复核结论")]) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var newScore: Double?
        if !trimmed.isEmpty {
            guard let s = DoubleEntry.score(trimmed) else {
                throw ValidationFailure([FieldError(code: "invalid_score", field: "score", zh: "复核后分数应为 0–100 之间的数，最多一位小数",
                                                    en: "a score from 0 to 100 with at most one decimal place")])
            }
            newScore = s == review.oldScore ? nil : s
        }
        let changed = newScore
        guard let plan = try await StoredPlan.find(result.planID, on: db) else { throw DomainError.notFound(what: "plan") }
        let parts = try await StandardStore.find(id: plan.standardID, on: db).standard().spec(for: Level(result.level))?.parts ?? []
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard try await ScoreReview.find(reviewID, on: audit.db)?.statusValue == .assigned else {
                throw DomainError.conflict(code: "already_answered", zh: "该复核已答复", en: "this review has been answered")
            }
            review.answer = why
            review.newScore = changed
            review.answeredBy = me
            review.answeredAt = time.now()
            review.status = ScoreReview.Status.answered.rawValue
            try await review.save(on: audit.db)
            if let changed {
                let before = result.verdict
                result.setScore(review.partValue, changed)
                apply(parts: parts, to: result)
                try await result.save(on: audit.db)
                try await audit.record(AuditEvent(action: "result.review-change", targetType: "candidate", targetID: review.candidateID.uuidString,
                                                  details: "\(review.part): \(review.oldScore.map(scoreText) ?? "-") → \(scoreText(changed)); \(before) → \(result.verdict) (\(why))"))
            }
            try await audit.record(AuditEvent(action: "score-review.answer", targetType: "candidate", targetID: review.candidateID.uuidString,
                                              details: "\(review.part): \(changed.map { "changed to \(scoreText($0))" } ?? "unchanged"): \(why)"))
            return review
        }
    }

    /// Reviews, newest first; `openOnly` leaves out the answered ones.
    public static func reviews(openOnly: Bool = false, on db: any Database) async throws -> [ScoreReview] {
        var q = ScoreReview.query(on: db).sort(\.$requestedAt, .descending)
        if openOnly { q = q.filter(\.$status != ScoreReview.Status.answered.rawValue) }
        return try await q.all()
    }

    /// Reviews past their answer deadline and not answered (for the dashboard).
    public static func overdueReviews(on db: any Database, time: any TimeSource) async throws -> [ScoreReview] {
        let today = time.now().chinaLocalDate
        return try await reviews(openOnly: true, on: db).filter { $0.overdue(on: today) }
    }

    // MARK: Publicity (公示)

    /// Publishes the plan's released passing candidates not listed before, for the configured working days from
    /// today. Results released later (after a make-up session) go into a further publicity of their own.
    @discardableResult
    public static func publish(planID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> PublicityRecord {
        guard let me = actor.id else { throw DomainError.forbidden(code: "person_required", zh: "须由登录的考务人员发布", en: "a signed-in person publishes") }
        let today = time.now().chinaLocalDate
        let earlier = Set(try await PublicityRecord.query(on: db).filter(\.$planID == planID).all().flatMap(\.listed))
        let passed = try await ResultRecord.query(on: db).filter(\.$planID == planID).all()
            .filter { $0.verdict == ResultRule.Verdict.passed.code && $0.isReleased(on: today) && !earlier.contains($0.id!) }.compactMap(\.id)
        guard !passed.isEmpty else {
            throw DomainError.conflict(code: "nothing_to_publish", zh: "没有已发布且尚未公示的合格成绩", en: "no released passing results that were not published before")
        }
        let calendar = try await CalendarStore.calendar(on: db)
        let last = ResultWindows.publicityLastDay(start: today, workingDays: try await SettingsStore.value(.publicityWorkingDays, on: db), calendar: calendar)
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let p = PublicityRecord()
            p.planID = planID
            p.startedOn = today.description
            p.lastDay = last.description
            p.publishedBy = me
            p.publishedAt = time.now()
            p.resultIDs = String(decoding: try JSONEncoder().encode(passed), as: UTF8.self)
            try await p.create(on: audit.db)
            try await audit.record(AuditEvent(action: "publicity.publish", targetType: "plan", targetID: planID.uuidString,
                                              details: "\(passed.count) passing candidates, \(today) to \(last)"))
            return p
        }
    }

    /// One line of the public list: never the full ID number.
    public struct PublicLine: Sendable, Equatable {
        public var name: String
        public var maskedID: String
        public var occupation: String
        public var level: String
        public var result: String
    }

    public static func publicList(_ publicity: PublicityRecord, on db: any Database) async throws -> [PublicLine] {
        guard let plan = try await StoredPlan.find(publicity.planID, on: db) else { return [] }
        let occupation = try await StandardStore.find(id: plan.standardID, on: db).standard().occupation.name
        let results = try await ResultRecord.query(on: db).filter(\.$id ~~ publicity.listed).all()
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ results.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        return results.map { r in
            PublicLine(name: profiles[r.candidateID]?.fullName ?? "", maskedID: profiles[r.candidateID]?.idNumberMasked ?? "",
                       occupation: occupation, level: Level(r.level).fullName,
                       result: r.verdict == "passed" ? "合格" + (r.grade.map { "（技能 \($0)）" } ?? "") : "不合格")
        }.sorted { ($0.level, $0.name) < ($1.level, $1.name) }
    }

    /// Anyone may object while the list is up (until it is finalised); the objection gets a number to quote.
    @discardableResult
    public static func raiseObjection(publicityID: UUID, subject: String, text: String, contactName: String, contact: String,
                                      on db: any Database, time: any TimeSource) async throws -> ObjectionRecord {
        guard let publicity = try await PublicityRecord.find(publicityID, on: db) else { throw DomainError.notFound(what: "publicity") }
        guard publicity.finalizedAt == nil else {
            throw DomainError.conflict(code: "publicity_closed", zh: "公示已结束", en: "the publicity period is over")
        }
        var v = FieldValidator()
        v.require(subject, field: "subject", label: "异议对象", maxLength: 100)
        v.require(text, field: "text", label: "异议内容", maxLength: 2000)
        v.require(contactName, field: "contactName", label: "联系人", maxLength: 50)
        v.require(contact, field: "contact", label: "联系方式", maxLength: 100)
        guard v.errors.isEmpty else { throw ValidationFailure(v.errors) }
        let now = time.now()
        return try await AuditLog.transaction(on: db, actor: .system("public"), time: time) { audit in
            let count = try await ObjectionRecord.query(on: audit.db).filter(\.$publicityID == publicityID).count()
            let o = ObjectionRecord()
            o.publicityID = publicityID
            o.number = "YY-\(now.chinaLocalDate.description.replacingOccurrences(of: "-", with: ""))-\(publicityID.uuidString.prefix(4))\(String(format: "%03d", count + 1))"
            o.subject = subject.trimmingCharacters(in: .whitespacesAndNewlines)
            o.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            o.contactName = contactName.trimmingCharacters(in: .whitespacesAndNewlines)
            o.contact = contact.trimmingCharacters(in: .whitespacesAndNewlines)
            o.receivedAt = now
            o.status = ObjectionRecord.Status.registered.rawValue
            try await o.create(on: audit.db)
            try await audit.record(AuditEvent(action: "objection.register", targetType: "publicity", targetID: publicityID.uuidString,
                                              details: "\(o.number): \(o.subject)"))
            return o
        }
    }

    /// Staff record the investigation and, when done, the answer; an answered objection is closed.
    @discardableResult
    public static func handleObjection(_ objectionID: UUID, investigation: String, answer: String, actor: AuditActor,
                                       on db: any Database, time: any TimeSource) async throws -> ObjectionRecord {
        guard let o = try await ObjectionRecord.find(objectionID, on: db) else { throw DomainError.notFound(what: "objection") }
        guard o.statusValue.isOpen else { throw DomainError.conflict(code: "already_answered", zh: "该异议已答复", en: "already answered") }
        let finding = investigation.trimmingCharacters(in: .whitespacesAndNewlines)
        let reply = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !finding.isEmpty else { throw ValidationFailure([.required("investigation", label: "调查情况")]) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            o.investigation = finding
            o.handledBy = actor.id
            if reply.isEmpty {
                o.status = ObjectionRecord.Status.investigating.rawValue
            } else {
                o.answer = reply
                o.answeredAt = time.now()
                o.status = ObjectionRecord.Status.answered.rawValue
            }
            try await o.save(on: audit.db)
            try await audit.record(AuditEvent(action: "objection.\(o.status)", targetType: "publicity", targetID: o.publicityID.uuidString,
                                              details: "\(o.number): \(finding)\(reply.isEmpty ? "" : " / \(reply)")"))
            return o
        }
    }

    /// Ends the publicity: not before its last day has passed, and never with an objection still open. The listed
    /// results become final — ready for certificates.
    @discardableResult
    public static func finalize(publicityID: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> PublicityRecord {
        guard let p = try await PublicityRecord.find(publicityID, on: db) else { throw DomainError.notFound(what: "publicity") }
        guard p.finalizedAt == nil else { throw DomainError.conflict(code: "already_final", zh: "公示已结束", en: "already finalised") }
        let today = time.now().chinaLocalDate
        guard let last = LocalDate(iso: p.lastDay), today > last else {
            throw DomainError.conflict(code: "publicity_not_over", zh: "公示期至 \(p.lastDay) 结束，不能提前结束", en: "the period runs until \(p.lastDay)")
        }
        let open = try await ObjectionRecord.query(on: db).filter(\.$publicityID == publicityID).all().filter(\.statusValue.isOpen)
        guard open.isEmpty else {
            throw DomainError.conflict(code: "objection_open", zh: "还有 \(open.count) 件异议未答复，不能结束公示", en: "\(open.count) objections are still open")
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let stillOpen = try await ObjectionRecord.query(on: audit.db).filter(\.$publicityID == publicityID).all().filter(\.statusValue.isOpen)
            guard stillOpen.isEmpty, try await PublicityRecord.find(publicityID, on: audit.db)?.finalizedAt == nil else {
                throw DomainError.conflict(code: "objection_open", zh: "还有异议未答复，不能结束公示", en: "an objection is still open")
            }
            p.finalizedAt = time.now()
            p.finalizedBy = actor.id
            try await p.save(on: audit.db)
            for r in try await ResultRecord.query(on: audit.db).filter(\.$id ~~ p.listed).all() {
                r.final = true
                try await r.save(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "publicity.finalize", targetType: "plan", targetID: p.planID.uuidString,
                                              details: "\(p.listed.count) results final after \(p.startedOn)–\(p.lastDay)"))
            return p
        }
    }
}
