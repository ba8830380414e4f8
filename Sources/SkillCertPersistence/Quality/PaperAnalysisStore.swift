import FluentKit
import Foundation
import SkillCertCore

/// Item analysis of a computer-based theory paper after its candidates have submitted (试卷质量分析): the figures
/// of `ItemAnalysis` over every submitted attempt on the paper, kept as a run, and each item version's observed
/// difficulty written back to the bank. Run in the background (the analysis page starts it), never on page load.
public enum PaperAnalysisStore {
    /// Where an analysed item sits on the paper; the content stays sealed.
    public struct ItemPlace: Codable, Sendable, Equatable {
        public var position: Int
        public var itemID: UUID
        public var versionID: UUID
        public var type: ItemType
        public var points: Int
        public var element: String
    }

    public struct Report: Codable, Sendable, Equatable {
        public var statistics: ItemAnalysis.PaperStatistics
        public var items: [ItemPlace]
        /// Attempts left out: terminated for misconduct, or with answers still waiting for a marker.
        public var excluded: Int
    }

    /// A paper attached to a computer-based session, with how far its candidates are and its latest analysis.
    public struct PaperUse: Sendable {
        public var paper: StoredPaper
        public var session: ExamSession
        public var submitted: Int
        public var latest: PaperAnalysisRecord?
    }

    /// Papers that sessions have used, newest session first.
    public static func papers(planID: UUID? = nil, on db: any Database) async throws -> [PaperUse] {
        var sessions = ExamSession.query(on: db).filter(\.$mode == ExamSession.Mode.computer.rawValue)
        if let planID { sessions = sessions.filter(\.$planID == planID) }
        let byID = Dictionary(uniqueKeysWithValues: try await sessions.all().map { ($0.id!, $0) })
        guard !byID.isEmpty else { return [] }
        let links = try await SessionPaper.query(on: db).filter(\.$sessionID ~~ Array(byID.keys)).all()
        let papers = Dictionary(uniqueKeysWithValues: try await StoredPaper.query(on: db).filter(\.$id ~~ links.map(\.paperID)).all().map { ($0.id!, $0) })
        var uses: [PaperUse] = []
        for link in links {
            guard let paper = papers[link.paperID], let session = byID[link.sessionID] else { continue }
            let submitted = try await ExamAttempt.query(on: db).filter(\.$paperID == link.paperID).filter(\.$sessionID == link.sessionID)
                .filter(\.$status == AttemptStatus.submitted.rawValue).count()
            uses.append(PaperUse(paper: paper, session: session, submitted: submitted, latest: try await latest(paperID: link.paperID, on: db)))
        }
        return uses.sorted { ($0.session.heldOn, $0.paper.label) > ($1.session.heldOn, $1.paper.label) }
    }

    public static func latest(paperID: UUID, on db: any Database) async throws -> PaperAnalysisRecord? {
        try await PaperAnalysisRecord.query(on: db).filter(\.$paperID == paperID).sort(\.$computedAt, .descending).first()
    }

    /// Analyses every submitted attempt on the paper, stores the run and writes each item version's observed
    /// difficulty back to the bank, all in one audited transaction.
    @discardableResult
    public static func analyse(paperID: UUID, actor: AuditActor, sealer: ContentSealer, thresholds: ItemAnalysis.Thresholds = .init(),
                               on db: any Database, time: any TimeSource) async throws -> PaperAnalysisRecord {
        guard let paper = try await StoredPaper.find(paperID, on: db) else { throw DomainError.notFound(what: "paper") }
        let attempts = try await ExamAttempt.query(on: db).filter(\.$paperID == paperID)
            .filter(\.$status ~~ [AttemptStatus.submitted.rawValue, AttemptStatus.terminated.rawValue]).all()
        let counted = attempts.filter { $0.status == AttemptStatus.submitted.rawValue && $0.pendingReview == 0 }
        guard counted.count >= 2 else {
            throw DomainError.conflict(code: "too_few_candidates", zh: "已交卷且评阅完毕的考生不足 2 人，暂不能进行试卷分析",
                                       en: "fewer than two submitted and fully marked attempts")
        }
        // The analysis reads the key, not the candidates: it opens the paper as the system (an item author may run it).
        let content = try await PaperStore.open(paperID: paperID, reader: .system("item-analysis"), sealer: sealer, on: db, time: time)
        let entries = content.entries.sorted { $0.position < $1.position }
        let answers = try await ExamAnswer.query(on: db).filter(\.$attemptID ~~ counted.map { $0.id! }).all()
        let byAttempt = Dictionary(grouping: answers, by: \.attemptID)
        let items = entries.map { entry -> ItemAnalysis.Item in
            guard entry.type.isChoice else { return ItemAnalysis.Item(id: entry.itemID.uuidString, maxPoints: Double(entry.points)) }
            return ItemAnalysis.Item(id: entry.itemID.uuidString, maxPoints: Double(entry.points),
                                     key: (entry.content.correct ?? []).map(alphabeticLabel), options: optionLabels(entry))
        }
        let responses = counted.map { attempt -> [ItemAnalysis.Response] in
            let given = Dictionary((byAttempt[attempt.id!] ?? []).map { ($0.itemID, $0) }, uniquingKeysWith: { a, _ in a })
            return entries.map { entry in
                guard let answer = given[entry.itemID] else { return ItemAnalysis.Response(points: 0) }
                let choice = entry.type.isChoice ? answer.responseValues.compactMap { Int($0) }.map(alphabeticLabel) : []
                return ItemAnalysis.Response(points: answer.awarded ?? 0, choice: choice)
            }
        }
        let statistics = ItemAnalysis.analyse(items: items, responses: responses, thresholds: thresholds)
        let report = Report(statistics: statistics,
                            items: entries.map { ItemPlace(position: $0.position, itemID: $0.itemID, versionID: $0.versionID, type: $0.type,
                                                           points: $0.points, element: "\($0.scope)-\($0.element)") },
                            excluded: attempts.count - counted.count)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        let record = PaperAnalysisRecord()
        record.paperID = paperID
        record.computedAt = time.now()
        record.computedBy = actor.id
        record.candidates = statistics.candidates
        record.meanTotal = statistics.meanTotal
        record.sdTotal = statistics.sdTotal
        record.kr20 = statistics.kr20
        record.alpha = statistics.alpha
        record.flagged = statistics.items.filter { !$0.flags.isEmpty }.count
        record.report = json
        let label = paper.label
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            try await record.create(on: audit.db)
            var events: [AuditEvent] = []
            for (entry, figures) in zip(entries, statistics.items) {
                guard let version = try await StoredItemVersion.find(entry.versionID, on: audit.db) else { continue }
                let before = version.observedP
                version.observedP = (figures.difficulty * 1000).rounded() / 1000
                try await version.save(on: audit.db)
                events.append(AuditEvent(action: "item.observed-difficulty", targetType: "item", targetID: entry.itemID.uuidString,
                                         details: "v\(entry.version): p \(before.map { String(format: "%.3f", $0) } ?? "—") → \(String(format: "%.3f", figures.difficulty)) over \(figures.responses) candidate(s) on paper \(label)"))
            }
            events.append(AuditEvent(action: "paper.analyse", targetType: "paper", targetID: paperID.uuidString,
                                     details: "\(statistics.candidates) candidate(s), \(record.flagged) item(s) flagged, α \(statistics.alpha.map { String(format: "%.3f", $0) } ?? "—")"))
            _ = try await audit.record(events)
            return record
        }
    }

    /// Option letters of a choice item (对/错 for true-false items without their own options).
    static func optionLabels(_ entry: PaperStore.PaperContent.Entry) -> [String] {
        let count = entry.content.options?.count ?? (entry.type == .trueFalse ? 2 : 0)
        return (0..<count).map(alphabeticLabel)
    }
}

extension ItemType {
    /// Answered by choosing options (single, multiple, true-false).
    var isChoice: Bool { self == .singleChoice || self == .multipleChoice || self == .trueFalse }
}
