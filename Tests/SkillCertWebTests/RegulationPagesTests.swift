import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Regulations")
struct RegulationPagesTests {
    @Test("/rules shows a public document's version in effect: the new one only from its date; internal ones never")
    func versionsOnPublicRules() async throws {
        try await TestApp.with { t in
            // setup: a public document with a current and an upcoming version, and an internal one
            try await t.createUser("coord", roles: [.coordination])
            let staff = try t.client()
            try await staff.signIn("coord")
            let created = try await staff.postForm("/regulations", [("title", "考务管理规定"), ("isPublic", "on"),
                                                                    ("settingKeys[]", SettingKey.materialMaxKB.rawValue)])
            #expect(created.status == .seeOther)
            let doc = try #require(try await StoredRegulation.query(on: t.db).filter(\.$title == "考务管理规定").first())
            let today = t.time.now().chinaLocalDate
            let path = "/regulations/\(doc.id!.uuidString)/versions"
            let first = try await staff.postForm(path, [("label", "2025 版"), ("effectiveOn", today.adding(days: -10).description),
                                                        ("text", "考场纪律甲条")])
            #expect(first.status == .seeOther, "\(first.text.prefix(2000))")
            let second = try await staff.postForm(path, [("label", "2026 版"), ("effectiveOn", today.adding(days: 5).description),
                                                         ("text", "考场纪律乙条")])
            #expect(second.status == .seeOther)
            let secret = try await RegulationStore.create(title: "保密工作制度", isPublic: false, settingKeys: [],
                                                          actor: .system("test"), on: t.db, time: t.time)
            try await RegulationStore.addVersion(to: secret.requireID(), label: "2025 版", effectiveOn: today.adding(days: -10).description,
                                                 text: "保密条款丙", attachment: nil, files: t.app.fileStore, actor: .system("test"),
                                                 on: t.db, time: t.time)
            // An attachment that is not a PDF by content is refused, and so is a date not after the latest version.
            let notPDF = try await staff.postMultipart(path, fields: [("label", "2027 版"), ("effectiveOn", today.adding(days: 30).description)],
                                                       files: [("file", "细则.pdf", "application/pdf", Data("not a pdf".utf8))])
            #expect(notPDF.status == .unprocessableEntity && notPDF.text.contains("PDF"))
            let backdated = try await staff.postForm(path, [("label", "补充版"), ("effectiveOn", today.description), ("text", "x")])
            #expect(backdated.status == .unprocessableEntity)

            // MUT / validate: today the first version is in effect
            let visitor = try t.client()
            var rules = try await visitor.get("/rules")
            #expect(rules.status == .ok)
            #expect(rules.text.contains("考场纪律甲条") && !rules.text.contains("考场纪律乙条"))
            #expect(!rules.text.contains("保密工作制度") && !rules.text.contains("保密条款丙"))

            // From its effective date the second replaces it; staff still see both.
            t.time.advance(by: 5 * 86_400)
            rules = try await visitor.get("/rules")
            #expect(rules.text.contains("考场纪律乙条") && !rules.text.contains("考场纪律甲条"))
            #expect(!rules.text.contains("保密条款丙"))
            try await staff.signIn("coord")
            let history = try await staff.get("/regulations/\(doc.id!.uuidString)")
            #expect(history.text.contains("考场纪律甲条") && history.text.contains("考场纪律乙条") && history.text.contains("已废止"))

            // The settings page names the document a setting follows.
            let settings = try await staff.get("/settings/rules")
            #expect(settings.text.contains("依据：《考务管理规定》"))
        }
    }
}
