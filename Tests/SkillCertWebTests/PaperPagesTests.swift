import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Paper pages")
struct PaperPagesTests {
    static func pdftotext(_ data: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("paper-\(UUID().uuidString).pdf")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let tool = try #require(Repository.tool("pdftotext"), "pdftotext (poppler-utils) is needed")
        return try Repository.run(tool, ["-layout", file.path, "-"]).output
    }

    @Test("papers are assembled on the page, sealed until two people consent, then print with an answer key")
    func assembleSealPrint() async throws {
        try await TestApp.with { t in
            let author = try await t.createUser("author", roles: [.itemExaminer])
            let reviewer = try await t.createUser("reviewer", roles: [.itemExaminer])
            try await t.createUser("exams", roles: [.examAffairs])
            try await t.createUser("leader", roles: [.leadership])
            let sealer = try #require(ContentSealer(base64: TestApp.contentKey))
            let standard = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
            let standardID = try standard.requireID()
            try await PaperStore.saveBlueprint(
                Blueprint(cells: [.init(scope: "B", type: .singleChoice, count: 5, pointsEach: 10),
                                  .init(scope: "C", type: .trueFalse, count: 5, pointsEach: 10)],
                          difficultyTarget: 0.7, difficultyTolerance: 0.2, maxOverlap: 0),
                standardID: standardID, level: 4, part: .theory, note: "测试", actor: reviewer.actor, on: t.db, time: t.time)
            for i in 1...5 {
                for (scope, type, stem) in [("B", ItemType.singleChoice, "直流电路中欧姆定律第\(i)题"), ("C", .trueFalse, "互锁判断第\(i)题")] {
                    let content = type == .trueFalse ? ItemContent(stem: stem, correct: [0])
                        : ItemContent(stem: stem, options: ["甲", "乙", "丙"], correct: [2])
                    let item = try await ItemBankStore.create(.init(standardID: standardID, level: 4, part: .theory, scopeCode: scope,
                                                                    elementCode: String(format: "%03d", i), type: type, content: content,
                                                                    difficulty: 0.7), author: author.actor, sealer: sealer, on: t.db, time: t.time)
                    try await ItemBankStore.act(.submit, itemID: item.id!, reason: nil, actor: author.actor, on: t.db, time: t.time)
                    try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: reviewer.actor, on: t.db, time: t.time)
                }
            }
            let c = try t.client()
            try await c.signIn("reviewer")
            let assembled = try await c.postForm("/papers/assemble", [("target", "\(standardID.uuidString)|4"), ("forms", "1"), ("seed", "77")])
            #expect(assembled.status == .seeOther)
            let paper = try #require(try await StoredPaper.query(on: t.db).first())
            let id = try paper.requireID().uuidString
            // The reviewer assembled it but wrote none of its items; still, it is sealed.
            let sealed = try await c.get("/papers/\(id)")
            #expect(sealed.text.contains("密封状态"))
            #expect(!sealed.text.contains("欧姆定律"))
            #expect(try await c.get("/papers/\(id)/paper.pdf").status == .forbidden)

            let exams = try t.client()
            try await exams.signIn("exams")
            _ = try await exams.postForm("/papers/\(id)/unseal", [("reason", "纸笔考试印刷")])
            #expect(try await exams.get("/papers/\(id)/paper.pdf").status == .forbidden)
            let leader = try t.client()
            try await leader.signIn("leader")
            _ = try await leader.postForm("/papers/\(id)/unseal", [("reason", "纸笔考试印刷")])

            let pdf = try await exams.get("/papers/\(id)/paper.pdf")
            #expect(pdf.status == .ok)
            #expect(pdf.headers.contentType?.subType == "pdf")
            let text = try Self.pdftotext(Data(buffer: pdf.body))
            #expect(text.contains("电工 四级/中级工 理论知识考试试卷"))
            #expect(text.contains("欧姆定律"))
            #expect(text.contains("答题卡"))
            let key = try await exams.get("/papers/\(id)/answer-key.pdf")
            let keyText = try Self.pdftotext(Data(buffer: key.body))
            #expect(keyText.contains("标准答案"))
            #expect(keyText.contains("C") && keyText.contains("√"))
            // The author of its items may never print it.
            let authorClient = try t.client()
            try await authorClient.signIn("author")
            #expect(try await authorClient.get("/papers/\(id)/paper.pdf").status == .forbidden)
            let reads = try await AuditEntry.query(on: t.db).filter(\.$action == "paper.read").count()
            #expect(reads == 2)
        }
    }
}
