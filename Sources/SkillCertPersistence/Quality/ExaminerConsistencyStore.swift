import FluentKit
import Foundation
import SkillCertCore

/// Examiner consistency (考评员评分一致性) over a plan's skills and review sessions: each examiner's severity and
/// spread against their panels, and agreement per task, from the submitted score sheets.
public enum ExaminerConsistencyStore {
    public struct Report: Sendable {
        public var figures: ExaminerConsistency.Report
        /// Examiner id → display name; task id → what the task is.
        public var examinerNames: [String: String]
        public var taskNames: [String: String]
        public var threshold: Double
        public var sheets: Int

        public var outliers: [ExaminerConsistency.ExaminerStatistics] { figures.examiners.filter(\.outlier) }
    }

    public static func report(planID: UUID, on db: any Database) async throws -> Report {
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID)
            .filter(\.$mode ~~ [ExamSession.Mode.practical.rawValue, ExamSession.Mode.review.rawValue]).all()
        let sheets = sessions.isEmpty ? [] : try await ScoreSheetRecord.query(on: db).filter(\.$sessionID ~~ sessions.map { $0.id! }).all()
        let threshold = Double(try await SettingsStore.value(.examinerSeverityThreshold, on: db))
        // A candidate's task in one session is one panel: the session is part of the task's key.
        let figures = ExaminerConsistency.analyse(sheets.map {
            ExaminerConsistency.Sheet(examiner: $0.examinerID.uuidString, candidate: "\($0.sessionID.uuidString)/\($0.candidateID.uuidString)",
                                      task: $0.itemID.uuidString, score: $0.score)
        }, severityThreshold: threshold)
        let users = try await User.query(on: db).filter(\.$id ~~ Array(Set(sheets.map(\.examinerID)))).all()
        let items = try await StoredItem.query(on: db).filter(\.$id ~~ Array(Set(sheets.map(\.itemID)))).all()
        var taskNames = Dictionary(uniqueKeysWithValues: items.map { ($0.id!.uuidString, "\($0.scopeCode)-\($0.elementCode)") })
        taskNames[ScoringStore.reviewRubricID.uuidString] = "综合评审"
        return Report(figures: figures, examinerNames: Dictionary(uniqueKeysWithValues: users.map { ($0.id!.uuidString, $0.displayName) }),
                      taskNames: taskNames, threshold: threshold, sheets: sheets.count)
    }
}
