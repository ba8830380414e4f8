import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor
import ZIPFoundation
@testable import SkillCertWeb

@Suite("Dossiers: the plan's archive ZIP, its manifest and the verifier")
struct ArchivePagesTests {
    /// The entries of a ZIP in order, to make damaged copies.
    func entries(_ zip: Data) throws -> [(path: String, data: Data)] {
        let archive = try Archive(data: zip, accessMode: .read)
        return try archive.map { entry in
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            return (entry.path, data)
        }
    }

    @Test("an archive keeper downloads a plan's dossier; the export is audited, the manifest covers every file and verifies")
    func download() async throws {
        try await TestApp.with { t in
            // setup: a finished plan with one candidate's uploaded material
            let plan = try await FinalPlan.make(t, candidates: 2)
            let application = try #require(try await StoredApplication.query(on: t.db).filter(\.$candidateID == plan.candidates[0]).first())
            let material = ApplicationMaterial()
            material.applicationID = try application.requireID()
            material.name = "学历证书"
            material.fileName = "毕业证.pdf"
            material.mediaType = "application/pdf"
            material.fileKey = try await t.app.fileStore.put(Fixtures.pdf)
            material.size = Fixtures.pdf.count
            material.stage = "submission"
            material.uploadedBy = plan.candidates[0]
            material.uploadedAt = t.time.now()
            try await material.create(on: t.db)
            _ = try await t.createUser("archivist", roles: [.coordination])
            let keeper = try t.client()
            _ = try await keeper.signIn("archivist")
            let examAffairs = try t.client()
            _ = try await examAffairs.signIn("exams")
            // MUT
            #expect(try await keeper.get("/archive").text.contains("/plans/\(plan.planID.uuidString)/archive"))
            let response = try await keeper.get("/plans/\(plan.planID.uuidString)/archive")
            #expect(response.status == .ok && response.headers.contentType?.subType == "zip")
            let zip = Data(buffer: response.body)
            // validate: intact, with the batch files, the candidate's material byte for byte and the index.
            let report = try DossierVerifier.verify(zip)
            #expect(report.isIntact && report.checked == report.manifest.files.count)
            let paths = report.manifest.files.map(\.path)
            #expect(paths.first == "index.pdf")
            for path in ["batch/1-registration/applications.xlsx", "batch/2-filing/plan.pdf", "batch/4-results/results.xlsx",
                         "batch/5-certificates/certificates.xlsx"] {
                #expect(paths.contains(path), "\(path) missing from \(paths)")
            }
            let files = Dictionary(try entries(zip).map { ($0.path, $0.data) }, uniquingKeysWith: { a, _ in a })
            #expect(files.values.contains(Fixtures.pdf))
            #expect(report.manifest.plan.id == plan.planID.uuidString)
            // The audit range ends at the entry before the export, whose hash it names; the export itself is audited.
            let range = try #require(report.manifest.audit)
            let last = try #require(try await AuditEntry.find(range.lastSequence, on: t.db))
            #expect(range.firstSequence <= range.lastSequence && last.hash == range.lastHash)
            let export = try #require(try await AuditEntry.query(on: t.db).filter(\.$action == "archive.export").first())
            #expect(export.targetID == plan.planID.uuidString && export.id == range.lastSequence + 1 && export.details.contains(ContentHash.sha256(zip)))
            // Exam affairs do not keep the archive.
            #expect(try await examAffairs.get("/plans/\(plan.planID.uuidString)/archive").status == .forbidden)
        }
    }

    @Test("the verifier names a changed, a missing and an extra file")
    func verifierCatchesTampering() async throws {
        try await TestApp.with { t in
            // setup
            let plan = try await FinalPlan.make(t, candidates: 1)
            let package = try await DossierExport.export(planID: plan.planID, actor: .system("test"), files: t.app.fileStore, on: t.db, time: t.time)
            let original = try entries(package.data)
            let target = "batch/4-results/results.xlsx"
            #expect(original.contains { $0.path == target })
            // MUT: one byte changed
            var changed = original
            let i = try #require(changed.firstIndex { $0.path == target })
            changed[i].data[changed[i].data.count - 1] ^= 0xFF
            let changedReport = try DossierVerifier.verify(try DossierPackage.archive(changed))
            #expect(changedReport.changed == [target] && changedReport.missing.isEmpty && changedReport.extra.isEmpty && !changedReport.isIntact)
            // MUT: a file left out, another slipped in
            var edited = original.filter { $0.path != target }
            edited.append((path: "batch/4-results/extra.xlsx", data: Data("x".utf8)))
            let editedReport = try DossierVerifier.verify(try DossierPackage.archive(edited))
            #expect(editedReport.missing == [target] && editedReport.extra == ["batch/4-results/extra.xlsx"] && editedReport.changed.isEmpty)
            // validate: the untouched copy is intact, and something that is no dossier is refused with a code.
            #expect(try DossierVerifier.verify(try DossierPackage.archive(original)).isIntact)
            #expect(throws: SpreadsheetError.self) { try DossierVerifier.verify(Data("not a zip".utf8)) }
        }
    }
}
