import FluentKit
import Foundation
import SkillCertCore

/// The batch report (认定工作总结评估) of one plan: its figures read from what the plan's work left behind —
/// applications, sessions, records, results, reviews, objections, complaints, certificates, paper and examiner
/// quality — and the body's own conclusions and improvements, which are the only part written by hand.
public enum BatchReportStore {
    public struct Record: Sendable {
        public var date: String
        public var session: String
        public var text: String
        public var decision: String?
    }

    public struct PaperQuality: Sendable {
        public var label: String
        public var candidates: Int
        public var alpha: Double?
        public var flagged: Int
        public var items: Int
    }

    public struct Figures: Sendable {
        public var plan: StoredPlan
        public var details: CertificationPlan
        public var applications: [(status: String, count: Int)]
        public var applicationTotal: Int
        public var sessions: [(mode: String, date: String, site: String, seated: Int)]
        public var incidents: [Record]
        public var inspections: [Record]
        public var results: PassRates.Row
        public var resultsByLevel: [PassRates.Row]
        /// Mean score per part over the candidates who sat it.
        public var partMeans: [(part: String, mean: Double, count: Int)]
        public var reviewsRequested: Int
        public var reviewsChanged: Int
        public var reviewsOpen: Int
        public var objections: Int
        public var objectionsAnswered: Int
        public var complaints: [(category: String, count: Int)]
        public var complaintsOverdue: Int
        public var certificatesIssued: Int
        public var papers: [PaperQuality]
        public var examinerOutliers: [(name: String, severity: Double)]
        public var conclusions: String
        public var improvements: String
        public var conclusionsUpdatedAt: Date?
    }

    public static func figures(planID: UUID, on db: any Database, time: any TimeSource) async throws -> Figures {
        let plan = try await PlanStore.find(planID, on: db)
        let details = try plan.plan()
        let applications = try await StoredApplication.query(on: db).filter(\.$planID == planID).all()
        let byStatus = Dictionary(grouping: applications, by: \.status)
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).sort(\.$heldOn).sort(\.$startMinute).all()
        let sessionIDs = sessions.map { $0.id! }
        let seats = sessionIDs.isEmpty ? [] : try await SeatAssignment.query(on: db).filter(\.$sessionID ~~ sessionIDs).all()
        let seated = Dictionary(grouping: seats, by: \.sessionID).mapValues(\.count)
        let sessionName = Dictionary(uniqueKeysWithValues: sessions.map {
            ($0.id!, "\($0.heldOn) \(ExamSession.Mode(rawValue: $0.mode)?.nameZH ?? $0.mode)")
        })
        let records = sessionIDs.isEmpty ? [] : try await SessionRecord.query(on: db).filter(\.$sessionID ~~ sessionIDs).sort(\.$recordedAt).all()
        func record(_ r: SessionRecord) -> Record {
            Record(date: AuditRecord.timestamp(r.recordedAt), session: sessionName[r.sessionID] ?? "", text: r.text, decision: r.decision)
        }
        let results = try await ResultRecord.query(on: db).filter(\.$planID == planID).all()
        let outcomes = results.map { PassRates.Outcome(values: [.level: "\($0.level) \(Level($0.level).fullName)"], verdict: $0.verdict, count: 1) }
        var partMeans: [(String, Double, Int)] = []
        for part in AssessmentPartKind.allCases {
            let scores = results.compactMap { $0.score(part) }
            if !scores.isEmpty { partMeans.append((part.nameZH, scores.reduce(0, +) / Double(scores.count), scores.count)) }
        }
        let reviews = results.isEmpty ? [] : try await ScoreReview.query(on: db).filter(\.$resultID ~~ results.map { $0.id! }).all()
        let publicities = try await PublicityRecord.query(on: db).filter(\.$planID == planID).all()
        let objections = publicities.isEmpty ? [] : try await ObjectionRecord.query(on: db).filter(\.$publicityID ~~ publicities.map { $0.id! }).all()
        let complaints = try await complaintFigures(planID: planID, on: db, time: time)
        var papers: [PaperQuality] = []
        for use in try await PaperAnalysisStore.papers(planID: planID, on: db) {
            guard let latest = use.latest, let report = try? latest.decoded() else { continue }
            papers.append(PaperQuality(label: use.paper.label, candidates: latest.candidates, alpha: latest.alpha, flagged: latest.flagged,
                                       items: report.items.count))
        }
        let consistency = try await ExaminerConsistencyStore.report(planID: planID, on: db)
        let saved = try await BatchReportRecord.query(on: db).filter(\.$planID == planID).first()
        return Figures(
            plan: plan, details: details,
            applications: StoredApplication.Status.allCases.compactMap { s in byStatus[s.rawValue].map { (s.nameZH, $0.count) } },
            applicationTotal: applications.count,
            sessions: sessions.map { (ExamSession.Mode(rawValue: $0.mode)?.nameZH ?? $0.mode, "\($0.heldOn) \($0.slot.timeText)", $0.siteCode, seated[$0.id!] ?? 0) },
            incidents: records.filter { $0.kind == "incident" }.map(record),
            inspections: records.filter { $0.kind != "incident" }.map(record),
            results: PassRates.total(outcomes), resultsByLevel: PassRates.group(outcomes, by: .level),
            partMeans: partMeans,
            reviewsRequested: reviews.count,
            reviewsChanged: reviews.filter { r in r.newScore != nil && r.newScore != r.oldScore }.count,
            reviewsOpen: reviews.filter { $0.status != ScoreReview.Status.answered.rawValue }.count,
            objections: objections.count,
            objectionsAnswered: objections.filter { $0.status == ObjectionRecord.Status.answered.rawValue }.count,
            complaints: complaints.byCategory, complaintsOverdue: complaints.overdue,
            certificatesIssued: try await CertificateRecord.query(on: db).filter(\.$planID == planID).count(),
            papers: papers,
            examinerOutliers: consistency.outliers.map { (consistency.examinerNames[$0.examiner] ?? $0.examiner, $0.severity) },
            conclusions: saved?.conclusions ?? "", improvements: saved?.improvements ?? "", conclusionsUpdatedAt: saved?.updatedAt)
    }

    /// Complaints and appeals linked to the plan, by category, and how many are overdue.
    static func complaintFigures(planID: UUID, on db: any Database, time: any TimeSource) async throws
        -> (byCategory: [(category: String, count: Int)], overdue: Int) {
        let s = try await ComplaintStore.summary(planID: planID, today: time.now().chinaLocalDate, on: db)
        return (ComplaintCategory.allCases.compactMap { c in s.byCategory[c].map { (c.nameZH, $0) } }, s.overdue)
    }

    /// Saves the body's conclusions and improvements for the plan (leadership or coordination), audited.
    public static func saveConclusions(planID: UUID, conclusions: String, improvements: String, actor: AuditActor,
                                       on db: any Database, time: any TimeSource) async throws {
        _ = try await PlanStore.find(planID, on: db)
        let conclusions = conclusions.trimmingCharacters(in: .whitespacesAndNewlines)
        let improvements = improvements.trimmingCharacters(in: .whitespacesAndNewlines)
        var errors: [FieldError] = []
        if conclusions.count > 20_000 { errors.append(FieldError(code: "too_long", field: "conclusions", zh: "结论不能超过 20000 字", en: "at most 20,000 characters")) }
        if improvements.count > 20_000 { errors.append(FieldError(code: "too_long", field: "improvements", zh: "改进措施不能超过 20000 字", en: "at most 20,000 characters")) }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let record = try await BatchReportRecord.query(on: audit.db).filter(\.$planID == planID).first() ?? {
                let r = BatchReportRecord()
                r.planID = planID
                return r
            }()
            let before = record.id == nil ? nil : [record.conclusions, record.improvements]
            record.conclusions = conclusions
            record.improvements = improvements
            record.updatedBy = actor.id
            record.updatedAt = time.now()
            try await record.save(on: audit.db)
            try await audit.record(AuditEvent(action: "plan.report-conclusions", targetType: "plan", targetID: planID.uuidString,
                                              before: before, after: [conclusions, improvements],
                                              details: "\(conclusions.count) + \(improvements.count) characters"))
        }
    }
}
