import FluentKit
import Foundation
import SkillCertCore

/// The comprehensive review's dossier (综合评审材料): what a candidate for a level with a comprehensive review hands
/// in — work achievements, technical innovations, papers, a summary — kept as materials of the application (stage
/// `dossier`), read by the review panel. Files are checked by content, and the dossier closes when the candidate's
/// review session starts.
public enum DossierStore {
    public static let stage = "dossier"
    public static let categories = ["工作业绩与成果", "技术创新与解决技术难题", "论文或技术总结", "个人工作总结"]

    /// Whether the application's level is assessed with a comprehensive review.
    public static func needsDossier(_ application: StoredApplication, on db: any Database) async throws -> Bool {
        guard let plan = try await StoredPlan.find(application.planID, on: db) else { return false }
        let parts = try await StandardStore.find(id: plan.standardID, on: db).standard().spec(for: Level(application.level))?.parts ?? []
        return parts.contains { $0.part == .comprehensiveReview }
    }

    public static func files(applicationID: UUID, on db: any Database) async throws -> [ApplicationMaterial] {
        try await ApplicationMaterial.query(on: db).filter(\.$applicationID == applicationID).filter(\.$stage == stage).sort(\.$uploadedAt).all()
    }

    /// The candidate's review session that has started, if any: the dossier is closed from then on.
    static func startedReview(_ application: StoredApplication, on db: any Database, time: any TimeSource) async throws -> ExamSession? {
        let seats = try await SeatAssignment.query(on: db).filter(\.$applicationID == application.requireID()).all()
        let sessions = try await ExamSession.query(on: db).filter(\.$id ~~ seats.map(\.sessionID)).filter(\.$mode == ExamSession.Mode.review.rawValue).all()
        return sessions.first { time.now() >= $0.slot.start }
    }

    /// Adds one file to the candidate's dossier.
    @discardableResult
    public static func add(applicationID: UUID, category: String, fileName: String, data: Data, candidate: AuditActor, files: any FileStore,
                           on db: any Database, time: any TimeSource) async throws -> ApplicationMaterial {
        guard let application = try await StoredApplication.find(applicationID, on: db), application.candidateID == candidate.id else {
            throw DomainError.notFound(what: "application")
        }
        guard ![StoredApplication.Status.rejected, .withdrawn].contains(application.statusValue) else {
            throw DomainError.conflict(code: "application_closed", zh: "该报名已结束，不能提交评审材料", en: "the application is closed")
        }
        guard try await needsDossier(application, on: db) else {
            throw DomainError.conflict(code: "no_review_part", zh: "所报等级不进行综合评审，无需提交评审材料", en: "this level has no comprehensive review")
        }
        if let session = try await startedReview(application, on: db, time: time) {
            throw DomainError.conflict(code: "dossier_locked", zh: "综合评审已于 \(session.heldOn) 开始，评审材料不能再添加", en: "the review has started")
        }
        guard categories.contains(category) else {
            throw ValidationFailure([FieldError(code: "invalid_category", field: "category", zh: "请选择材料类别", en: "choose what the file is")])
        }
        let kind = try UploadRules.material(data, fileName: fileName, maxBytes: try await SettingsStore.value(.materialMaxKB, on: db) * 1024, field: "file")
        guard try await DossierStore.files(applicationID: applicationID, on: db).count < 20 else {
            throw ValidationFailure([FieldError(code: "too_many", field: "file", zh: "评审材料最多 20 个文件", en: "at most 20 files")])
        }
        let key = try await files.put(data)
        return try await AuditLog.transaction(on: db, actor: candidate, time: time) { audit in
            try await ApplicationStore.attach(.init(material: category, fileName: fileName, data: data), kind: kind, key: key, to: applicationID,
                                              stage: stage, by: application.candidateID, on: audit.db, time: time)
            try await audit.record(AuditEvent(action: "dossier.upload", targetType: "application", targetID: applicationID.uuidString,
                                              details: "\(category): \(fileName) (\(data.count) bytes)"))
            guard let m = try await ApplicationMaterial.query(on: audit.db).filter(\.$applicationID == applicationID).filter(\.$fileKey == key)
                .sort(\.$uploadedAt, .descending).first() else { throw DomainError.notFound(what: "material") }
            return m
        }
    }

    /// The dossier of a candidate seated in a review session (for the panel's sheet page).
    public static func forSession(sessionID: UUID, candidateID: UUID, on db: any Database) async throws -> [ApplicationMaterial] {
        guard let seat = try await SeatAssignment.query(on: db).filter(\.$sessionID == sessionID).filter(\.$candidateID == candidateID).first() else {
            return []
        }
        return try await files(applicationID: seat.applicationID, on: db)
    }
}
