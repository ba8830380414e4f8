import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Retention: disposal only after the period, never under a hold, approved by someone else, registered")
struct RetentionTests {
    /// A closed plan with two passing candidates whose certificates were issued today, each with one uploaded material
    /// file; an archive keeper (coordination) and a second leadership member.
    struct Setup {
        var plan: FinalPlan
        var applications: [UUID]
        var keys: [String]
        var files: LocalFileStore
        var keeper: SignedInUser
        var leader: SignedInUser
    }

    static let sixYears: TimeInterval = 6 * 366 * 86_400

    func setup(_ t: TestApp) async throws -> Setup {
        // setup
        let plan = try await FinalPlan.make(t, candidates: 2)
        _ = try await CertificateStore.issue(planID: plan.planID, actor: plan.staff.actor, sealer: ExamFixture.sealer,
                                             signer: CredentialSigner(sealer: ExamFixture.sealer),
                                             links: .init(base: "https://certs.example.cn"), on: t.db, time: t.time)
        let row = try #require(try await StoredPlan.find(plan.planID, on: t.db))
        row.status = PlanStatus.closed.rawValue
        try await row.save(on: t.db)
        let files = LocalFileStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString)"))
        var applications: [UUID] = []
        var keys: [String] = []
        for (i, candidate) in plan.candidates.enumerated() {
            let application = try #require(try await StoredApplication.query(on: t.db).filter(\.$candidateID == candidate).first())
            let data = Data("学历证书扫描件 \(i)".utf8)
            let key = try await files.put(data)
            let m = ApplicationMaterial()
            m.applicationID = try application.requireID()
            m.name = "学历证书"
            m.fileName = "diploma-\(i).pdf"
            m.mediaType = "application/pdf"
            m.fileKey = key
            m.size = data.count
            m.stage = "submission"
            m.uploadedBy = candidate
            m.uploadedAt = t.time.now()
            try await m.create(on: t.db)
            applications.append(try application.requireID())
            keys.append(key)
        }
        let keeper = try await t.createUser("archivist", roles: [.coordination])
        let leader = try await t.createUser("archive-leader", roles: [.leadership])
        return Setup(plan: plan, applications: applications, keys: keys, files: files, keeper: keeper, leader: leader)
    }

    @Test("a record before the end of its retention is not listed and cannot be put in a job; after it, it is listed")
    func beforeItsDate() async throws {
        try await TestApp.with { t in
            let s = try await setup(t)
            // MUT / validate: the day after issuing, five years of retention remain.
            t.time.advance(by: 86_400)
            #expect(try await RetentionStore.due(on: t.db, time: t.time).isEmpty)
            #expect(await failureCode {
                try await RetentionStore.propose([(.applicationMaterials, s.applications[0])], reason: "到期销毁", actor: s.keeper.actor, on: t.db, time: t.time)
            } == "not_due")
            #expect(try await DisposalJob.query(on: t.db).count() == 0)
            t.time.advance(by: Self.sixYears)
            let due = try await RetentionStore.due(on: t.db, time: t.time).filter { $0.type == .applicationMaterials }
            #expect(Set(due.map(\.recordID)) == Set(s.applications))
        }
    }

    @Test("the proposer cannot approve their own job, and only the leadership group approves")
    func separationOfDuties() async throws {
        try await TestApp.with { t in
            let s = try await setup(t)
            t.time.advance(by: Self.sixYears)
            let bothRoles = try await t.createUser("keeper-leader", roles: [.coordination, .leadership])
            let job = try await RetentionStore.propose([(.applicationMaterials, s.applications[0])], reason: "到期销毁", actor: bothRoles.actor,
                                                       on: t.db, time: t.time)
            let id = try job.requireID()
            // MUT / validate
            #expect(await failureCode { try await RetentionStore.approve(id, actor: bothRoles.actor, on: t.db, time: t.time) } == "proposer_cannot_approve")
            #expect(await failureCode { try await RetentionStore.approve(id, actor: s.keeper.actor, on: t.db, time: t.time) } == "leadership_only")
            #expect(await failureCode { try await RetentionStore.run(id, actor: s.keeper.actor, files: s.files, on: t.db, time: t.time) } == "not_approved")
            try await RetentionStore.approve(id, actor: s.leader.actor, on: t.db, time: t.time)
            #expect(try await DisposalJob.find(id, on: t.db)?.approvedBy == s.leader.id)
        }
    }

    @Test("a legal hold on the plan or the candidate refuses the job at approval and at run time; lifting it lets the job run")
    func legalHold() async throws {
        try await TestApp.with { t in
            let s = try await setup(t)
            t.time.advance(by: Self.sixYears)
            let job = try await RetentionStore.propose([(.applicationMaterials, s.applications[0])], reason: "到期销毁", actor: s.keeper.actor,
                                                       on: t.db, time: t.time)
            let id = try job.requireID()
            // Held at approval: on the plan.
            let planHold = try await RetentionStore.placeHold(.plan, targetID: s.plan.planID, reason: "诉讼证据保全", actor: s.keeper.actor, on: t.db, time: t.time)
            #expect(await failureCode { try await RetentionStore.approve(id, actor: s.leader.actor, on: t.db, time: t.time) } == "legal_hold")
            #expect(try await RetentionStore.due(on: t.db, time: t.time).first { $0.recordID == s.applications[0] }?.held == true)
            try await RetentionStore.liftHold(planHold.requireID(), reason: "诉讼已结", actor: s.keeper.actor, on: t.db, time: t.time)
            try await RetentionStore.approve(id, actor: s.leader.actor, on: t.db, time: t.time)
            // Held at run time: on the candidate, placed after the approval.
            let candidateHold = try await RetentionStore.placeHold(.candidate, targetID: s.plan.candidates[0], reason: "投诉调查中",
                                                                   actor: s.keeper.actor, on: t.db, time: t.time)
            #expect(await failureCode { try await RetentionStore.run(id, actor: s.keeper.actor, files: s.files, on: t.db, time: t.time) } == "legal_hold")
            // validate: nothing was touched.
            #expect(try await files(t, s.applications[0]).allSatisfy { !$0.fileKey.isEmpty })
            #expect(try await s.files.get(s.keys[0]) != nil)
            #expect(try await DisposalRegisterEntry.query(on: t.db).count() == 0)
            try await RetentionStore.liftHold(candidateHold.requireID(), reason: "调查结束", actor: s.keeper.actor, on: t.db, time: t.time)
            try await RetentionStore.run(id, actor: s.keeper.actor, files: s.files, on: t.db, time: t.time)
            #expect(try await DisposalRegisterEntry.query(on: t.db).count() == 1)
            let audit = try await AuditEntry.query(on: t.db).filter(\.$action ~~ ["legal-hold.place", "legal-hold.lift"]).all()
            #expect(audit.count == 4 && audit.allSatisfy { $0.actorID == s.keeper.id.uuidString && $0.reason?.isEmpty == false })
        }
    }

    @Test("a run blanks the content, removes the file, keeps a tombstone and writes a register row and an audit entry naming job and people")
    func runLeavesRegisterAndAudit() async throws {
        try await TestApp.with { t in
            let s = try await setup(t)
            t.time.advance(by: Self.sixYears)
            let job = try await RetentionStore.propose([(.applicationMaterials, s.applications[0])], reason: "保存期满", actor: s.keeper.actor,
                                                       on: t.db, time: t.time)
            let id = try job.requireID()
            try await RetentionStore.approve(id, actor: s.leader.actor, on: t.db, time: t.time)
            // MUT
            let entries = try await RetentionStore.run(id, actor: s.keeper.actor, files: s.files, on: t.db, time: t.time)
            // validate: the register names what, by whom and under which job.
            let entry = try #require(entries.first)
            #expect(entries.count == 1 && entry.jobID == id && entry.recordID == s.applications[0] && entry.recordType == "application-materials")
            #expect(entry.proposedBy == s.keeper.id && entry.approvedBy == s.leader.id && entry.disposedBy == s.keeper.id && entry.details.contains("1 个文件"))
            #expect(try await DisposalRegisterEntry.query(on: t.db).count() == 1)
            // The material row stays as a tombstone without content; the file is gone; the other candidate's is untouched.
            let tombstones = try await files(t, s.applications[0])
            #expect(tombstones.count == 1 && tombstones[0].fileKey.isEmpty && tombstones[0].size == 0 && tombstones[0].name == "学历证书")
            #expect(try await s.files.get(s.keys[0]) == nil)
            #expect(try await s.files.get(s.keys[1]) != nil)
            let audit = try #require(try await AuditEntry.query(on: t.db).filter(\.$action == "retention.dispose").first())
            #expect(audit.targetID == s.applications[0].uuidString && audit.actorID == s.keeper.id.uuidString && audit.details.contains(id.uuidString))
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "disposal-job.run").count() == 1)
            #expect(try await DisposalJob.find(id, on: t.db)?.statusValue == .done)
            // Disposed records are no longer listed, and cannot be disposed of twice.
            #expect(try await RetentionStore.due(on: t.db, time: t.time).contains { $0.recordID == s.applications[0] } == false)
            #expect(await failureCode {
                try await RetentionStore.propose([(.applicationMaterials, s.applications[0])], reason: "再次", actor: s.keeper.actor, on: t.db, time: t.time)
            } == "not_disposable")
            guard case .success = try await AuditLog.verify(on: t.db) else { Issue.record("the audit chain is broken"); return }
        }
    }

    func files(_ t: TestApp, _ applicationID: UUID) async throws -> [ApplicationMaterial] {
        try await ApplicationMaterial.query(on: t.db).filter(\.$applicationID == applicationID).all()
    }
}
