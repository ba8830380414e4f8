import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Demo data: a sample body with an open round and a completed round, made through the stores")
struct DemoDataTests {
    /// Everything `make run` loads (`demo --scoring-session` aside: it needs no clock of its own to be tested here).
    static func loadAll(_ t: TestApp) async throws -> DemoData.CompletedRound {
        let sealer = try #require(t.app.contentSealer)
        let signer = try #require(t.app.credentialSigner)
        let links = CertificateStore.Links(base: "https://skillcert.example")
        _ = try await DemoData.load(adminPassword: "SkillCert-2026!", hasher: t.app.skillcertPasswordHasher, sealer: sealer, on: t.db, time: t.time)
        _ = try await DemoData.issuedCertificates(sealer: sealer, signer: signer, links: links, on: t.db, time: t.time)
        let round = try await DemoData.completedRound(hasher: t.app.skillcertPasswordHasher, sealer: sealer, signer: signer, links: links,
                                                      on: t.db, time: t.time)
        _ = try await DemoData.registrationQueue(sealer: sealer, on: t.db, time: t.time)
        return round
    }

    /// Row counts a second load must leave as they are.
    static func counts(_ t: TestApp) async throws -> [Int] {
        [try await User.query(on: t.db).count(), try await StoredPlan.query(on: t.db).count(), try await StoredApplication.query(on: t.db).count(),
         try await ExamSession.query(on: t.db).count(), try await ExamAttempt.query(on: t.db).count(), try await ScoreSheetRecord.query(on: t.db).count(),
         try await ResultRecord.query(on: t.db).count(), try await CertificateRecord.query(on: t.db).count(),
         try await StoredComplaint.query(on: t.db).count(), try await PaperAnalysisRecord.query(on: t.db).count()]
    }

    @Test("the full demo loads twice without change and tells the whole story: open registration, a completed round with verifiable certificates")
    func fullDemo() async throws {
        try await TestApp.with { t in
            let round = try await Self.loadAll(t)
            let before = try await Self.counts(t)
            let again = try await Self.loadAll(t)
            #expect(try await Self.counts(t) == before)
            #expect(again.planNumber == round.planNumber && again.certificates == round.certificates)

            // The body and its two sites.
            let body = try #require(try await BodyStore.load(on: t.db))
            #expect(body.sites.count == 2 && body.name.contains("示例"))

            // A plan open for registration today with applications waiting, approved and asked for more.
            let today = t.time.now().chinaLocalDate
            let plans = try await StoredPlan.query(on: t.db).all()
            let open = try #require(plans.first { row in
                guard row.statusValue == .published, let p = try? row.plan() else { return false }
                return p.registrationOpens <= today && today <= p.registrationCloses
            })
            let queue = try await StoredApplication.query(on: t.db).filter(\.$planID == open.requireID()).all().map(\.statusValue)
            #expect(queue.contains(.submitted) && queue.contains(.approved) && queue.contains(.moreNeeded))

            // The completed plan: reviewed applications (one rejected), 20 computer-based attempts with varied scores.
            let plan = try #require(plans.first { $0.number == round.planNumber })
            let planID = try plan.requireID()
            #expect(plan.title.contains("示例"))
            let applications = try await StoredApplication.query(on: t.db).filter(\.$planID == planID).all()
            #expect(applications.count == 22 && applications.filter { $0.statusValue == .rejected }.count == 1)
            #expect(applications.allSatisfy { $0.reviewedBy != nil })
            let sessions = try await ExamSession.query(on: t.db).filter(\.$planID == planID).all()
            let theory = try #require(sessions.first { $0.modeValue == .computer })
            let attempts = try await ExamAttempt.query(on: t.db).filter(\.$sessionID == theory.requireID()).all()
            #expect(attempts.count == 20 && attempts.allSatisfy { $0.statusValue.isFinal })
            #expect(Set(attempts.compactMap(\.score)).count >= 8)
            let absent = try await SeatAssignment.query(on: t.db).filter(\.$sessionID == theory.requireID()).filter(\.$attendance == "absent").count()
            #expect(absent == 1)
            let records = try await SessionRecord.query(on: t.db).filter(\.$sessionID ~~ sessions.compactMap(\.id)).all()
            #expect(records.filter { $0.kind == "incident" }.count == 1 && records.filter { $0.kind == "inspection" }.count == 3)

            // Examiner sheets: three examiners, two tasks, 20 candidates present; one spread settled by the chief.
            let skillsIDs = sessions.filter { $0.modeValue == .practical }.compactMap(\.id)
            #expect(skillsIDs.count == 2)
            let sheets = try await ScoreSheetRecord.query(on: t.db).filter(\.$sessionID ~~ skillsIDs).all()
            #expect(sheets.count == 120 && Set(sheets.map(\.examinerID)).count == 3)
            let taskScores = try await TaskScoreRecord.query(on: t.db).filter(\.$sessionID ~~ skillsIDs).all()
            #expect(taskScores.filter { $0.decidedBy != nil }.count == 1 && taskScores.allSatisfy { $0.score != nil })

            // Final results, passes and failures, a review answered, a publicity ended after an answered objection.
            let results = try await ResultRecord.query(on: t.db).filter(\.$planID == planID).all()
            #expect(results.count == 21 && results.allSatisfy { $0.releasedOn != nil })
            let passed = results.filter { $0.verdict == "passed" }
            #expect(passed.count >= 15 && passed.count < results.count && passed.allSatisfy { $0.final })
            let reviews = try await ScoreReview.query(on: t.db).filter(\.$resultID ~~ results.compactMap(\.id)).all()
            #expect(reviews.count == 1 && reviews[0].statusValue == .answered)
            let publicity = try #require(try await PublicityRecord.query(on: t.db).filter(\.$planID == planID).first())
            #expect(publicity.finalizedAt != nil)
            let objections = try await ObjectionRecord.query(on: t.db).filter(\.$publicityID == publicity.requireID()).all()
            #expect(objections.count == 1 && !objections[0].statusValue.isOpen)

            // A certificate for every passing candidate, public and signed.
            #expect(round.certificates.count == passed.count)
            let signer = try #require(t.app.credentialSigner)
            let names = Set(DemoData.roundCandidates.map(\.name))
            for number in round.certificates {
                let view = try #require(try await CertificateStore.publicView(number: number, on: t.db))
                #expect(view.status == CertificateStatus.valid.rawValue && names.contains(view.fullName) && view.bodyName.contains("示例"))
                let credential = try await signer.verify(view.credential, on: t.db)
                #expect(credential.credentialSubject.achievement.humanCode == number)
            }

            // Quality: the paper analysed, complaints registered, the batch report's conclusions written.
            let analysis = try #require(try await PaperAnalysisStore.latest(paperID: attempts[0].paperID, on: t.db))
            #expect(analysis.candidates == 20)
            let complaints = try await StoredComplaint.query(on: t.db).filter(\.$planID == planID).all()
            #expect(complaints.count == 2 && complaints.contains { $0.status == ComplaintStatus.closed.rawValue })
            let figures = try await BatchReportStore.figures(planID: planID, on: t.db, time: t.time)
            #expect(!figures.conclusions.isEmpty && figures.results.passed == passed.count)

            // All of it went through the audit log, held in the past, and the chain verifies.
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "certificate.issue").count() >= round.certificates.count)
            guard case .success = try await AuditLog.verify(on: t.db) else { Issue.record("the audit chain is broken"); return }
        }
    }
}
