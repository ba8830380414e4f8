import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Item bank pages")
struct ItemPagesTests {
    @Test("an author writes an item on the page; only item staff read it, and each read is audited; others get 403 and no content")
    func confidentiality() async throws {
        try await TestApp.with { t in
            try await t.createUser("author", roles: [.itemExaminer])
            try await t.createUser("reviewer", roles: [.itemExaminer])
            try await t.createUser("certs", roles: [.certificate])
            let standard = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
            let author = try t.client()
            try await author.signIn("author")
            let created = try await author.postForm("/items", [
                ("target", "\(try standard.requireID().uuidString)|4|theory|C|001"), ("type", "single-choice"),
                ("stem", "正反转控制电路中互锁的作用是（机密题干 ZK9）"), ("options", "防止电源短路\n提高转速\n降低电流\n节约电能"),
                ("correct", "A"), ("difficulty", "0.72"), ("tags", "继电控制")])
            #expect(created.status == .seeOther)
            let item = try #require(try await StoredItem.query(on: t.db).first())
            let id = try item.requireID().uuidString

            let badForm = try await author.postForm("/items", [
                ("target", "\(try standard.requireID().uuidString)|4|theory|C|001"), ("type", "single-choice"),
                ("stem", ""), ("options", "只有一个"), ("correct", "B"), ("difficulty", "2")])
            #expect(badForm.status == .unprocessableEntity)
            #expect(badForm.text.contains("题干") && badForm.text.contains("选项"))

            let reviewer = try t.client()
            try await reviewer.signIn("reviewer")
            let page = try await reviewer.get("/items/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("ZK9"))
            let reads = try await AuditEntry.query(on: t.db).filter(\.$action == "item.read").all()
            #expect(reads.map(\.actorName) == ["reviewer"])

            let outsider = try t.client()
            try await outsider.signIn("certs")
            let denied = try await outsider.get("/items/\(id)")
            #expect(denied.status == .forbidden)
            #expect(!denied.text.contains("ZK9"))
            try await outsider.apiSignIn("certs")
            let api = try await outsider.get("/api/v1/items/\(id)")
            #expect(api.status == .forbidden)
            #expect(!api.text.contains("ZK9"))
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "item.read").count() == 1)

            // Review on the page: the author is not offered approval; the second person approves.
            _ = try await author.postForm("/items/\(id)/workflow", [("action", "submit")])
            let own = try await author.postForm("/items/\(id)/workflow", [("action", "approve")])
            #expect(own.status == .forbidden)
            let ok = try await reviewer.postForm("/items/\(id)/workflow", [("action", "approve")])
            #expect(ok.status == .seeOther)
            #expect(try await ItemBankStore.latest(item, on: t.db).statusValue == .approved)
            // The department's dashboard counts the bank.
            let dashboard = try await reviewer.get("/dashboard")
            #expect(dashboard.text.contains("id=\"card-items\""))
            #expect(dashboard.text.contains("已通过试题"))
        }
    }
}
