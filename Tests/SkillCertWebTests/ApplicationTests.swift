import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

/// A published 电工 plan open today (2026-11-27) asking two materials at 三级, and a registered candidate with a profile.
struct RegistrationFixture {
    let plan: StoredPlan
    let candidate: TestClient
    let exams: TestClient

    static func make(_ t: TestApp, fee: Int = 200) async throws -> RegistrationFixture {
        let plan = try await t.publishPlanThroughPages(level: 3, fee: fee, materials: "身份证正反面\n工作年限证明")

        // A candidate with four years after a 四级 certificate (三级 needs five): the engine will say not eligible.
        let cand = try t.client()
        _ = try await cand.postForm("/register/code", [("contact", "13900139000")])
        let code = try #require(await t.outbox.lastCode(to: "13900139000"))
        _ = try await cand.postForm("/register", [("contact", "13900139000"), ("code", code), ("fullName", "李电工"),
                                                  ("password", "Candidate-2026"), ("confirmPassword", "Candidate-2026")])
        let saved = try await cand.postForm("/me/profile", [
            ("fullName", "李电工"), ("idType", "resident-id"), ("idNumber", "11010519491231002X"), ("employer", "示例供电公司"),
            ("intendsToWork", "on"), ("work[0][relation]", "same"), ("work[0][from]", "2010-07-01"), ("work[0][to]", ""),
            ("certificates[0][kind]", "skill-level"), ("certificates[0][relation]", "same"), ("certificates[0][level]", "4"),
            ("certificates[0][issuedOn]", "2022-11-30"), ("certificates[0][number]", "1132000000100123")])
        #expect(saved.status == .seeOther)
        let photo = try await cand.postMultipart("/me/photo", files: [("photo", "photo.png", "image/png", Fixtures.photo)])
        #expect(photo.status == .seeOther)
        let exams = try t.client()
        try await exams.signIn("exams")
        return RegistrationFixture(plan: plan, candidate: cand, exams: exams)
    }

    func apply(_ files: [(name: String, filename: String, contentType: String, data: Data)]) async throws -> TestResponse {
        try await candidate.postMultipart("/announcements/\(plan.number)/apply", fields: [("level", "3")], files: files)
    }

    static let goodFiles: [(name: String, filename: String, contentType: String, data: Data)] = [
        ("material[]", "身份证.png", "image/png", Fixtures.png(width: 40, height: 30)),
        ("material[]", "工作证明.pdf", "application/pdf", Fixtures.pdf),
    ]
}

@Suite("Applications and eligibility review")
struct ApplicationTests {
    @Test("a candidate applies with materials; the engine's verdict is attached; more material is asked for and added; the override needs a reason")
    func applyAndReview() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            // The background was kept on the profile, including the old 16-digit certificate number.
            let profile = try #require(try await CandidateProfile.query(on: t.db).first())
            #expect(profile.background?.contains("1132000000100123") == true)

            // MUT: a missing material, then a ZIP renamed .pdf, are refused by name; nothing is stored.
            let missing = try await f.apply([RegistrationFixture.goodFiles[0]])
            #expect(missing.status == .unprocessableEntity)
            #expect(missing.text.contains("请上传“工作年限证明”"))
            let renamed = try await f.apply([RegistrationFixture.goodFiles[0],
                                             ("material[]", "工作证明.pdf", "application/pdf", Data([0x50, 0x4B, 3, 4, 20, 0, 0, 0]))])
            #expect(renamed.status == .unprocessableEntity)
            #expect(renamed.text.contains("不是 PDF、JPEG 或 PNG 文件"))
            #expect(try await StoredApplication.query(on: t.db).count() == 0)

            let applied = try await f.apply(RegistrationFixture.goodFiles)
            #expect(applied.status == .seeOther)
            let twice = try await f.apply(RegistrationFixture.goodFiles)
            #expect(twice.status == .conflict)
            #expect(twice.text.contains("每个计划只能有一份有效报名"))
            let app = try #require(try await StoredApplication.query(on: t.db).first())
            let id = try app.requireID().uuidString
            #expect(app.engineEligible == false)
            #expect(app.engineExplanation.contains("四级证书后本职业工作年限：47 / 60 个月"))
            #expect(app.employer == "示例供电公司" && app.paymentStatus == "unpaid")

            // The reviewer's queue shows it with the masked ID; materials open as what they are.
            let queue = try await f.exams.get("/review?employer=供电")
            #expect(queue.text.contains("李电工") && queue.text.contains("110105********002X"))
            #expect(try await f.exams.get("/review?employer=其他单位").text.contains("李电工") == false)
            let materials = try await ApplicationMaterial.query(on: t.db).sort(\.$name).all()
            #expect(materials.map(\.name).sorted() == ["工作年限证明", "身份证正反面"])
            let pdf = try await f.exams.get("/review/\(id)/materials/\(materials.first { $0.name == "工作年限证明" }!.id!.uuidString)")
            #expect(pdf.status == .ok && pdf.headers.first(name: .contentType) == "application/pdf")
            #expect(Data(buffer: pdf.body) == Fixtures.pdf)

            // Approving against the engine needs a reason; the reviewer asks for more instead.
            let noReason = try await f.exams.postForm("/review/\(id)", [("decision", "approve"), ("reason", "")])
            #expect(noReason.status == .unprocessableEntity)
            _ = try await f.exams.postForm("/review/\(id)", [("decision", "request-more"), ("reason", "请补充 2022 年以前的工作证明"),
                                                             ("deadline", "2026-12-10")])
            let mine = try await f.candidate.get("/me/applications")
            #expect(mine.text.contains("请补充 2022 年以前的工作证明") && mine.text.contains("提交补充材料"))
            let bad = try await f.candidate.postMultipart("/me/applications/\(id)/materials", fields: [("note", "")],
                                                          files: [("file[]", "证明.docx", "application/pdf", Data("PK\u{3}\u{4}word".utf8))])
            #expect(bad.location?.contains("error=") == true)
            _ = try await f.candidate.postMultipart("/me/applications/\(id)/materials", fields: [("note", "2010–2022 年工作证明")],
                                                    files: [("file[]", "2010-2022工作证明.pdf", "application/pdf", Fixtures.pdf)])
            #expect(try await StoredApplication.find(app.id, on: t.db)?.statusValue == .submitted)
            #expect(try await f.exams.get("/review/\(id)").text.contains("2010-2022工作证明.pdf"))

            let approved = try await f.exams.postForm("/review/\(id)", [("decision", "approve"),
                                                                        ("reason", "单位出具的连续工作证明显示满足条件（人工复核）")])
            #expect(approved.status == .seeOther)
            let decided = try #require(try await StoredApplication.find(app.id, on: t.db))
            #expect(decided.statusValue == .approved && decided.overridden)
            #expect(try await f.candidate.get("/me/applications").text.contains("审核通过"))
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetType == "application").sort(\.$id).all().map(\.action)
            #expect(actions == ["application.submit", "application.request-more", "application.supplement", "application.approve"])
        }
    }

    @Test("a reviewer who declared a relation to the applicant cannot act on the application; another reviewer can")
    func declaredRelationBlocksReview() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            _ = try await f.apply(RegistrationFixture.goodFiles)
            let id = try #require(try await StoredApplication.query(on: t.db).first()?.id).uuidString
            // MUT: 张伟 declares a family relation by the candidate's document number.
            let declared = try await f.exams.postForm("/me/relations", [("kind", "relative"), ("idNumber", "11010519491231002X"), ("note", "表兄弟")])
            #expect(declared.status == .seeOther)
            #expect(try await f.exams.get("/me/relations").text.contains("110105********002X"))
            #expect(try await f.exams.get("/review").text.contains("须回避"))
            let detail = try await f.exams.get("/review/\(id)")
            #expect(detail.text.contains("须回避") && !detail.text.contains("id=\"approve\""))
            let blocked = try await f.exams.postForm("/review/\(id)", [("decision", "reject"), ("reason", "不符合")])
            #expect(blocked.status == .forbidden)
            #expect(try await StoredApplication.query(on: t.db).first()?.statusValue == .submitted)

            // A second reviewer who declared only another employer acts normally.
            try await t.createUser("exams2", roles: [.examAffairs])
            let other = try t.client()
            try await other.signIn("exams2")
            _ = try await other.postForm("/me/relations", [("kind", "same-employer"), ("employer", "另一家公司")])
            let ok = try await other.postForm("/review/\(id)", [("decision", "request-more"), ("reason", "请补充"), ("deadline", "2026-12-05")])
            #expect(ok.status == .seeOther)
            // Same-employer by name covers the candidate too.
            _ = try await other.postForm("/me/relations", [("kind", "same-employer"), ("employer", "示例供电公司")])
            #expect(try await other.postForm("/review/\(id)", [("decision", "approve"), ("reason", "x")]).status == .forbidden)
            let declarations = try await AuditEntry.query(on: t.db).filter(\.$action == "relation.declare").count()
            #expect(declarations == 3)
        }
    }

    @Test("payment status and receipt are recorded by exam affairs and shown to the candidate")
    func payment() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            _ = try await f.apply(RegistrationFixture.goodFiles)
            let id = try #require(try await StoredApplication.query(on: t.db).first()?.id).uuidString
            let noReceipt = try await f.exams.postForm("/review/\(id)/payment", [("status", "paid"), ("receipt", "")])
            #expect(noReceipt.status == .unprocessableEntity)
            _ = try await f.exams.postForm("/review/\(id)/payment", [("status", "paid"), ("receipt", "JS2026-000123")])
            let mine = try await f.candidate.get("/me/applications")
            #expect(mine.text.contains("已缴费") && mine.text.contains("JS2026-000123"))
            _ = try await f.exams.postForm("/review/\(id)/payment", [("status", "refunded"), ("receipt", "JS2026-R0007")])
            let entries = try await AuditEntry.query(on: t.db).filter(\.$action == "application.payment").count()
            #expect(entries == 2)
        }
    }

    @Test("the export with full ID numbers is limited to exam affairs and is audited")
    func fullIDExport() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            _ = try await f.apply(RegistrationFixture.goodFiles)
            let sheet = try await f.exams.get("/review/export.xlsx?status=all")
            #expect(sheet.status == .ok)
            let table = try XLSXReader.read(Data(buffer: sheet.body))
            #expect(table.rows.contains { $0.cells.values.contains("11010519491231002X") })
            let audit = try #require(try await AuditEntry.query(on: t.db).filter(\.$action == "applications.export").first())
            #expect(audit.details.contains("1 row(s)"))
            try await t.createUser("quality", roles: [.supervision])
            let quality = try t.client()
            try await quality.signIn("quality")
            #expect(try await quality.get("/review/export.xlsx").status == .forbidden)
        }
    }

    @Test("the photo must be a JPEG or PNG of at least 295×413 pixels in the 1-inch proportion")
    func photoChecks() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            func upload(_ data: Data, _ name: String) async throws -> TestResponse {
                try await f.candidate.postMultipart("/me/photo", files: [("photo", name, "image/png", data)])
            }
            let wide = try await upload(Fixtures.png(width: 600, height: 413), "wide.png")
            #expect(wide.status == .unprocessableEntity && wide.text.contains("1 寸证件照比例"))
            let small = try await upload(Fixtures.png(width: 100, height: 140), "small.png")
            #expect(small.text.contains("至少需要 295×413 像素"))
            let pdf = try await upload(Fixtures.pdf, "photo.png")
            #expect(pdf.text.contains("照片须为 JPEG 或 PNG 图片"))
            let ok = try await upload(Fixtures.photo, "photo.png")
            #expect(ok.status == .seeOther)
            #expect(try await f.candidate.get("/me/profile").text.contains("id=\"photo\""))
            let served = try await f.candidate.get("/me/photo")
            #expect(served.headers.first(name: .contentType) == "image/png" && Data(buffer: served.body) == Fixtures.photo)
        }
    }
}

