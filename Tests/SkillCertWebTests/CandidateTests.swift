import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Candidate accounts")
struct CandidateTests {
    @Test("a candidate signs up with a code from the outbox, completes a validated profile, and signs in with the mobile number")
    func signUp() async throws {
        try await TestApp.with { t in
            let c = try t.client()
            #expect(try await c.get("/register").status == .ok)
            let bad = try await c.postForm("/register/code", [("contact", "12345")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("11 位手机号码"))
            let sent = try await c.postForm("/register/code", [("contact", "138 0013 8000")])
            #expect(sent.text.contains("验证码已发送"))
            let code = try #require(await t.outbox.lastCode(to: "13800138000"))

            let wrong = try await c.postForm("/register", [("contact", "13800138000"), ("code", code == "000000" ? "111111" : "000000"),
                                                           ("fullName", "王小明"), ("password", "Candidate-2026"), ("confirmPassword", "Candidate-2026")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("验证码不正确"))
            let ok = try await c.postForm("/register", [("contact", "13800138000"), ("code", code), ("fullName", "王小明"),
                                                        ("password", "Candidate-2026"), ("confirmPassword", "Candidate-2026")])
            #expect(ok.status == .seeOther)
            #expect(ok.location?.hasPrefix("/me/profile") == true)
            // The code is single-use.
            let again = try await c.postForm("/register", [("contact", "13800138000"), ("code", code), ("fullName", "王小明"),
                                                           ("password", "Candidate-2026"), ("confirmPassword", "Candidate-2026")])
            #expect(again.status == .unprocessableEntity)

            let badID = try await c.postForm("/me/profile", [("fullName", "王小明"), ("idType", "resident-id"),
                                                             ("idNumber", "110105194912310021"), ("employer", "示例电力公司")])
            #expect(badID.status == .unprocessableEntity)
            #expect(badID.text.contains("校验位不正确"))
            let legacy = try await c.postForm("/me/profile", [("fullName", "王小明"), ("idType", "resident-id"),
                                                              ("idNumber", "110105491231002"), ("employer", "示例电力公司")])
            #expect(legacy.text.contains("15 位旧版身份证"))
            let saved = try await c.postForm("/me/profile", [("fullName", "王小明"), ("idType", "resident-id"),
                                                             ("idNumber", "11010519491231002x"), ("employer", "示例电力公司")])
            #expect(saved.status == .seeOther)
            let profilePage = try await c.get("/me/profile")
            #expect(profilePage.text.contains("110105********002X"))
            #expect(profilePage.text.contains("1949-12-31"))
            #expect(!profilePage.text.contains("11010519491231002X"))

            // Stored encrypted: no column holds the number or the phone in the clear.
            let row = try #require(try await CandidateProfile.query(on: t.db).first())
            for value in [row.idNumberCipher, row.idNumberHash, row.phoneCipher, row.phoneHash, row.idNumberMasked, row.phoneMasked] {
                #expect(!(value ?? "").contains("11010519491231002X") && !(value ?? "").contains("13800138000"))
            }

            // Staff find the candidate by the full number (not by a fragment), and see it masked.
            try await t.createUser("exams", roles: [.examAffairs])
            let staff = try t.client()
            try await staff.signIn("exams")
            let found = try await staff.postForm("/candidates", [("q", "11010519491231002X")])
            #expect(found.text.contains("王小明") && found.text.contains("110105********002X"))
            // The list itself never shows the full number (the search box keeps what the staff member typed).
            let table = try #require(found.text.range(of: "<tbody>").flatMap { start in
                found.text.range(of: "</tbody>").map { String(found.text[start.upperBound..<$0.lowerBound]) }
            })
            #expect(table.contains("110105********002X") && !table.contains("11010519491231002X"))
            let fragment = try await staff.postForm("/candidates", [("q", "110105")])
            #expect(fragment.status == .ok)
            #expect(!fragment.text.contains("王小明"))
            // Neither the audit trail nor the outbox holds the numbers in the clear.
            let trail = try await AuditEntry.query(on: t.db).all().map { "\($0.details) \($0.reason ?? "") \($0.targetID ?? "")" }.joined()
            #expect(!trail.contains("11010519491231002X") && !trail.contains("13800138000"))
            let outbox = try await OutboxMessage.query(on: t.db).all().map { $0.recipientCipher + $0.bodyCipher }.joined()
            #expect(!outbox.contains("13800138000"))

            // The candidate signs in with the mobile number.
            let fresh = try t.client()
            let signedIn = try await fresh.signIn("13800138000", password: "Candidate-2026")
            #expect(signedIn.status == .seeOther)
            #expect(try await fresh.get("/me/profile").text.contains("王小明"))
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "candidate.register").count() == 1)
        }
    }
}
