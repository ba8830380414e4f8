import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import SQLKit
import Testing
@testable import SkillCertPersistence

@Suite("Item bank and sealed papers")
struct ItemBankTests {
    static let sealer = ContentSealer(base64: TestApp.contentKey)!

    struct Bank {
        var standardID: UUID
        var author: SignedInUser
        var reviewer: SignedInUser
    }

    /// Two item & examiner staff and the 电工 2018 standard.
    static func setup(_ t: TestApp) async throws -> Bank {
        let author = try await t.createUser("author", roles: [.itemExaminer])
        let reviewer = try await t.createUser("reviewer", roles: [.itemExaminer])
        let standard = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
        return Bank(standardID: try standard.requireID(), author: author, reviewer: reviewer)
    }

    static func input(_ bank: Bank, scope: String, element: String, type: ItemType, stem: String,
                      difficulty: Double = 0.7) -> ItemBankStore.ItemInput {
        let content: ItemContent = type == .trueFalse
            ? ItemContent(stem: stem, correct: [0])
            : ItemContent(stem: stem, options: ["甲", "乙", "丙", "丁"], correct: [1])
        return .init(standardID: bank.standardID, level: 4, part: .theory, scopeCode: scope, elementCode: element, type: type,
                     content: content, difficulty: difficulty, source: "示例", tags: ["测试"])
    }

    /// Creates an item and takes it through review to approved.
    @discardableResult
    static func approved(_ t: TestApp, _ bank: Bank, _ input: ItemBankStore.ItemInput) async throws -> StoredItem {
        let item = try await ItemBankStore.create(input, author: bank.author.actor, sealer: sealer, on: t.db, time: t.time)
        try await ItemBankStore.act(.submit, itemID: item.id!, reason: nil, actor: bank.author.actor, on: t.db, time: t.time)
        try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: bank.reviewer.actor, on: t.db, time: t.time)
        return item
    }

    /// A blueprint of two cells, five items of ten points each.
    static func smallBlueprint() -> Blueprint {
        Blueprint(cells: [.init(scope: "B", type: .singleChoice, count: 5, pointsEach: 10),
                          .init(scope: "C", type: .trueFalse, count: 5, pointsEach: 10)],
                  difficultyTarget: 0.7, difficultyTolerance: 0.1, maxOverlap: 0, exposureLimit: 5)
    }

    @Test("content is encrypted at rest: the database holds no plain item text")
    func encryptedAtRest() async throws {
        try await CommandLineTests.withFileBackedApp { t, url in
            let bank = try await Self.setup(t)
            let stem = "三相异步电动机旋转磁场的转速与电源频率成正比（保密题干标记 QX7）"
            let item = try await ItemBankStore.create(Self.input(bank, scope: "B", element: "001", type: .trueFalse, stem: stem),
                                                      author: bank.author.actor, sealer: Self.sealer, on: t.db, time: t.time)
            let version = try await ItemBankStore.latest(item, on: t.db)
            #expect(!version.contentCipher.contains("QX7"))
            let read = try await ItemBankStore.readContent(versionID: version.id!, reader: bank.reviewer.actor, sealer: Self.sealer,
                                                           on: t.db, time: t.time)
            #expect(read.stem == stem)
            // The ciphertext is bound to its row: moved to another version it does not open.
            #expect(throws: (any Error).self) {
                try Self.sealer.open(ItemContent.self, from: version.contentCipher, context: "item-version:\(UUID().uuidString)")
            }
            if t.target.isPostgres {
                let sql = try #require(t.db as? any SQLDatabase)
                let rows = try await sql.raw("SELECT CAST(row_to_json(v) AS TEXT) AS j FROM item_versions v").all()
                for row in rows { #expect(!(try row.decode(column: "j", as: String.self)).contains("QX7")) }
            } else {
                // Every byte of the SQLite file and its write-ahead log.
                var bytes = Data()
                for suffix in ["", "-wal"] {
                    if let d = FileManager.default.contents(atPath: url + suffix) { bytes.append(d) }
                }
                #expect(!bytes.isEmpty)
                #expect(bytes.range(of: Data("QX7".utf8)) == nil)
                #expect(bytes.range(of: Data("旋转磁场".utf8)) == nil)
            }
            // Every read is on the audit trail.
            let reads = try await AuditEntry.query(on: t.db).filter(\.$action == "item.read").all()
            #expect(reads.map(\.actorName) == ["reviewer"])
        }
    }

    @Test("review: the author cannot approve; an edit to an approved item makes a new version; papers keep theirs")
    func versioning() async throws {
        try await TestApp.with { t in
            let bank = try await Self.setup(t)
            let item = try await ItemBankStore.create(Self.input(bank, scope: "B", element: "001", type: .singleChoice, stem: "第一版题干"),
                                                      author: bank.author.actor, sealer: Self.sealer, on: t.db, time: t.time)
            try await ItemBankStore.act(.submit, itemID: item.id!, reason: nil, actor: bank.author.actor, on: t.db, time: t.time)
            await #expect(throws: DomainError.self) {
                try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: bank.author.actor, on: t.db, time: t.time)
            }
            try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: bank.reviewer.actor, on: t.db, time: t.time)
            // Fill the rest of a small paper and assemble it while version 1 is the approved one.
            for i in 2...5 {
                try await Self.approved(t, bank, Self.input(bank, scope: "B", element: String(format: "%03d", i), type: .singleChoice, stem: "B\(i)"))
            }
            for i in 1...5 {
                try await Self.approved(t, bank, Self.input(bank, scope: "C", element: String(format: "%03d", i), type: .trueFalse, stem: "C\(i)"))
            }
            try await PaperStore.saveBlueprint(Self.smallBlueprint(), standardID: bank.standardID, level: 4, part: .theory,
                                               note: "小样卷", actor: bank.reviewer.actor, on: t.db, time: t.time)
            let papers = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 1, seed: 42,
                                                       releaseAt: t.time.now() + 60, actor: bank.reviewer.actor, sealer: Self.sealer,
                                                       on: t.db, time: t.time)
            t.time.advance(by: 61)
            // Edit the approved item: a new draft version, the approved one untouched.
            var edited = Self.input(bank, scope: "B", element: "001", type: .singleChoice, stem: "第二版题干")
            edited.difficulty = 0.75
            try await ItemBankStore.update(itemID: item.id!, input: edited, actor: bank.author.actor, sealer: Self.sealer,
                                           on: t.db, time: t.time)
            let versions = try await StoredItemVersion.query(on: t.db).filter(\.$itemID == item.id!).sort(\.$version).all()
            #expect(versions.map(\.version) == [1, 2])
            #expect(versions.map(\.statusValue) == [.approved, .draft])
            try await ItemBankStore.act(.submit, itemID: item.id!, reason: nil, actor: bank.author.actor, on: t.db, time: t.time)
            try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: bank.reviewer.actor, on: t.db, time: t.time)
            let after = try await StoredItemVersion.query(on: t.db).filter(\.$itemID == item.id!).sort(\.$version).all()
            #expect(after.map(\.statusValue) == [.retired, .approved])
            // The paper still holds version 1's text.
            let content = try await PaperStore.open(paperID: papers[0].id!, reader: AuditActor(id: UUID(), name: "exams"),
                                                    sealer: Self.sealer, on: t.db, time: t.time)
            let entry = try #require(content.entries.first { $0.itemID == item.id! })
            #expect(entry.version == 1)
            #expect(entry.content.stem == "第一版题干")
            #expect(content.totalPoints == 100)
        }
    }

    @Test("assembly draws parallel forms from approved items and names the short cell when the bank is too small")
    func assemblyAndShortfall() async throws {
        try await TestApp.with { t in
            let bank = try await Self.setup(t)
            try await PaperStore.saveBlueprint(Self.smallBlueprint(), standardID: bank.standardID, level: 4, part: .theory,
                                               note: "小样卷", actor: bank.reviewer.actor, on: t.db, time: t.time)
            var enemy: [UUID] = []
            // Eleven B items: two forms of five without sharing, never both of the enemy pair on one form.
            for i in 1...11 {
                let item = try await Self.approved(t, bank, Self.input(bank, scope: "B", element: String(format: "%03d", i % 7 + 1),
                                                                       type: .singleChoice, stem: "B\(i)", difficulty: 0.6 + Double(i % 3) * 0.1))
                if i <= 2 { enemy.append(item.id!) }
            }
            for i in 1...3 {
                try await Self.approved(t, bank, Self.input(bank, scope: "C", element: String(format: "%03d", i), type: .trueFalse, stem: "C\(i)"))
            }
            // A draft item is never drawn.
            try await ItemBankStore.create(Self.input(bank, scope: "C", element: "004", type: .trueFalse, stem: "draft"),
                                           author: bank.author.actor, sealer: Self.sealer, on: t.db, time: t.time)
            do {
                _ = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 1, seed: 1,
                                                  releaseAt: nil, actor: bank.reviewer.actor, sealer: Self.sealer, on: t.db, time: t.time)
                Issue.record("assembly should fail")
            } catch let error as AssemblyError {
                #expect(error == .shortfall([.init(cell: CellKey(scope: "C", type: .trueFalse), needed: 5, available: 3)]))
                #expect(error.messageZH.contains("缺 2 道"))
            }
            for i in 4...10 {
                try await Self.approved(t, bank, Self.input(bank, scope: "C", element: String(format: "%03d", i % 6 + 1), type: .trueFalse, stem: "C\(i)"))
            }
            try await ItemBankStore.addEnemy(enemy[0], enemy[1], actor: bank.reviewer.actor, on: t.db, time: t.time)
            let papers = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 2, seed: 9,
                                                       releaseAt: t.time.now() + 60, actor: bank.reviewer.actor, sealer: Self.sealer,
                                                       on: t.db, time: t.time)
            // While sealed, nothing shows which items were drawn: uses are counted only at release.
            #expect(try await ItemUse.query(on: t.db).count() == 0)
            t.time.advance(by: 61)
            #expect(papers.map(\.label) == ["A", "B"])
            let reader = AuditActor(id: UUID(), name: "exams")
            let a = try await PaperStore.open(paperID: papers[0].id!, reader: reader, sealer: Self.sealer, on: t.db, time: t.time)
            let b = try await PaperStore.open(paperID: papers[1].id!, reader: reader, sealer: Self.sealer, on: t.db, time: t.time)
            #expect(a.entries.count == 10 && b.entries.count == 10)
            #expect(try await ItemUse.query(on: t.db).count() == 20)
            #expect(Set(a.entries.map(\.itemID)).isDisjoint(with: b.entries.map(\.itemID)))  // maxOverlap 0
            for paper in [a, b] {
                #expect(!(Set(paper.entries.map(\.itemID)).isSuperset(of: enemy)))
                #expect(paper.totalPoints == 100)
                #expect(!paper.entries.contains { $0.content.stem == "draft" })
            }
        }
    }

    @Test("a sealed paper opens only at its release time or with two different people's consent, never for its authors")
    func sealing() async throws {
        try await TestApp.with { t in
            let bank = try await Self.setup(t)
            try await PaperStore.saveBlueprint(Self.smallBlueprint(), standardID: bank.standardID, level: 4, part: .theory,
                                               note: "小样卷", actor: bank.reviewer.actor, on: t.db, time: t.time)
            for i in 1...5 {
                try await Self.approved(t, bank, Self.input(bank, scope: "B", element: String(format: "%03d", i), type: .singleChoice, stem: "B\(i)"))
                try await Self.approved(t, bank, Self.input(bank, scope: "C", element: String(format: "%03d", i), type: .trueFalse, stem: "C\(i)"))
            }
            let release = t.time.now().addingTimeInterval(3600)
            let paper = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 1, seed: 3,
                                                      releaseAt: release, actor: bank.reviewer.actor, sealer: Self.sealer,
                                                      on: t.db, time: t.time)[0]
            let exams = try await t.createUser("exams", roles: [.examAffairs])
            let leader = try await t.createUser("leader", roles: [.leadership])
            await #expect(throws: DomainError.self) {
                _ = try await PaperStore.open(paperID: paper.id!, reader: exams.actor, sealer: Self.sealer, on: t.db, time: t.time)
            }
            // The author of its items may never open it.
            t.time.advance(by: 3601)
            await #expect(throws: DomainError.forbidden(code: "author_excluded", zh: "您编写了该试卷中的试题，按回避规定不能查看试卷",
                                                        en: "you wrote items on this paper and may not see it")) {
                _ = try await PaperStore.open(paperID: paper.id!, reader: bank.author.actor, sealer: Self.sealer, on: t.db, time: t.time)
            }
            // At the release time it opens, and the unsealing is audited.
            let content = try await PaperStore.open(paperID: paper.id!, reader: exams.actor, sealer: Self.sealer, on: t.db, time: t.time)
            #expect(content.entries.count == 10)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "paper.unseal").count() == 1)

            // A second paper with no release time needs two different people.
            for i in 1...5 {
                try await Self.approved(t, bank, Self.input(bank, scope: "B", element: String(format: "%03d", i), type: .singleChoice, stem: "B2-\(i)"))
                try await Self.approved(t, bank, Self.input(bank, scope: "C", element: String(format: "%03d", i), type: .trueFalse, stem: "C2-\(i)"))
            }
            let second = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 1, seed: 4,
                                                       releaseAt: nil, actor: bank.reviewer.actor, sealer: Self.sealer,
                                                       on: t.db, time: t.time)[0]
            let once = try await PaperStore.approveUnseal(paperID: second.id!, reason: "补考", actor: exams.actor, sealer: Self.sealer, on: t.db, time: t.time)
            #expect(once.status == "sealed")
            await #expect(throws: DomainError.self) {
                _ = try await PaperStore.approveUnseal(paperID: second.id!, reason: "补考", actor: exams.actor, sealer: Self.sealer, on: t.db, time: t.time)
            }
            let twice = try await PaperStore.approveUnseal(paperID: second.id!, reason: "补考", actor: leader.actor, sealer: Self.sealer, on: t.db, time: t.time)
            #expect(twice.status == "unsealed")
            _ = try await PaperStore.open(paperID: second.id!, reader: exams.actor, sealer: Self.sealer, on: t.db, time: t.time)
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetID == second.id!.uuidString).sort(\.$id).all().map(\.action)
            #expect(actions == ["paper.assemble", "paper.unseal-consent", "paper.unseal-consent", "paper.unseal", "paper.read"])
            #expect(try await AuditLog.verify(on: t.db) == .success(try await AuditEntry.query(on: t.db).count()))
        }
    }

    @Test("practical papers draw task cards the same way")
    func practicalPaper() async throws {
        try await TestApp.with { t in
            let bank = try await Self.setup(t)
            for i in 1...3 {
                let task = TaskCard(preparation: "配电板 1 块、交流接触器 2 只、按钮 3 只（第 \(i) 套）", minutes: 120,
                                    criteria: [.init(text: "按图接线正确", points: 50, deduction: "错 1 处扣 5 分"),
                                               .init(text: "通电试车成功", points: 40),
                                               .init(text: "安全文明生产", points: 10, veto: true)])
                let input = ItemBankStore.ItemInput(standardID: bank.standardID, level: 4, part: .skills, scopeCode: "A",
                                                    elementCode: String(format: "%03d", i), type: .practicalTask,
                                                    content: ItemContent(stem: "安装并调试电动机正反转控制电路（任务 \(i)）", task: task),
                                                    difficulty: 0.7)
                try await Self.approved(t, bank, input)
            }
            let papers = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .skills, forms: 1, seed: 5,
                                                       releaseAt: t.time.now() + 60, actor: bank.reviewer.actor, sealer: Self.sealer,
                                                       on: t.db, time: t.time)
            t.time.advance(by: 61)
            let content = try await PaperStore.open(paperID: papers[0].id!, reader: AuditActor(id: UUID(), name: "exams"),
                                                    sealer: Self.sealer, on: t.db, time: t.time)
            #expect(content.entries.count == 2)
            #expect(content.entries.allSatisfy { $0.type == .practicalTask && $0.content.task?.criteria.count == 3 })
            #expect(content.totalPoints == 100)
            #expect(content.part == .skills)
        }
    }

    @Test("nobody who edited a version approves it; retiring retires every version; a release time in the past is refused")
    func reviewRules() async throws {
        try await TestApp.with { t in
            let bank = try await Self.setup(t)
            let item = try await ItemBankStore.create(Self.input(bank, scope: "B", element: "001", type: .singleChoice, stem: "甲写的"),
                                                      author: bank.author.actor, sealer: Self.sealer, on: t.db, time: t.time)
            // The reviewer rewrites the author's draft, then may not approve it.
            try await ItemBankStore.update(itemID: item.id!, input: Self.input(bank, scope: "B", element: "001", type: .singleChoice, stem: "乙改的"),
                                           actor: bank.reviewer.actor, sealer: Self.sealer, on: t.db, time: t.time)
            try await ItemBankStore.act(.submit, itemID: item.id!, reason: nil, actor: bank.author.actor, on: t.db, time: t.time)
            await #expect(throws: DomainError.self) {
                try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: bank.reviewer.actor, on: t.db, time: t.time)
            }
            let third = try await t.createUser("third", roles: [.itemExaminer])
            try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: third.actor, on: t.db, time: t.time)
            // A new draft version, then retiring: the approved v1 is retired too.
            try await ItemBankStore.update(itemID: item.id!, input: Self.input(bank, scope: "C", element: "002", type: .singleChoice, stem: "第二版"),
                                           actor: bank.author.actor, sealer: Self.sealer, on: t.db, time: t.time)
            let placed = try await ItemBankStore.find(item.id!, on: t.db)
            #expect(placed.scopeCode == "B" && placed.elementCode == "001")  // an edit never moves the item
            try await ItemBankStore.act(.retire, itemID: item.id!, reason: nil, actor: bank.author.actor, on: t.db, time: t.time)
            let statuses = try await StoredItemVersion.query(on: t.db).filter(\.$itemID == item.id!).all().map(\.statusValue)
            #expect(statuses == [.retired, .retired])
            do {
                _ = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 1, seed: 1,
                                                  releaseAt: t.time.now() - 1, actor: bank.reviewer.actor, sealer: Self.sealer,
                                                  on: t.db, time: t.time)
                Issue.record("a past release time was accepted")
            } catch let failure as ValidationFailure {
                #expect(failure.errors.first?.field == "releaseAt")
            }
        }
    }
}

@Suite("Blueprints per plan")
struct BlueprintPerPlanTests {
    @Test("a plan's adjusted blueprint is its own versioned copy; the standard's stays as it was")
    func perPlan() async throws {
        try await TestApp.with { t in
            let bank = try await ItemBankTests.setup(t)
            let planID = UUID()
            let standardBP = try await PaperStore.derivedBlueprint(standardID: bank.standardID, level: 4, part: .theory, on: t.db)
            try await PaperStore.saveBlueprint(standardBP, standardID: bank.standardID, level: 4, part: .theory, note: "默认",
                                               actor: bank.reviewer.actor, on: t.db, time: t.time)
            var adjusted = standardBP
            adjusted.difficultyTarget = 0.65
            try await PaperStore.saveBlueprint(adjusted, standardID: bank.standardID, level: 4, part: .theory, planID: planID,
                                               note: "本批次考生基础较弱", actor: bank.reviewer.actor, on: t.db, time: t.time)
            adjusted.difficultyTolerance = 0.04
            try await PaperStore.saveBlueprint(adjusted, standardID: bank.standardID, level: 4, part: .theory, planID: planID,
                                               note: "收紧容差", actor: bank.reviewer.actor, on: t.db, time: t.time)
            let forPlan = try #require(try await PaperStore.effectiveBlueprint(standardID: bank.standardID, level: 4, part: .theory,
                                                                               planID: planID, on: t.db))
            #expect(forPlan.version == 2)
            #expect(try forPlan.blueprint().difficultyTarget == 0.65)
            let other = try #require(try await PaperStore.effectiveBlueprint(standardID: bank.standardID, level: 4, part: .theory,
                                                                             planID: UUID(), on: t.db))
            #expect(try other.blueprint().difficultyTarget == 0.7)
            #expect(other.planID == nil)
        }
    }
}

@Suite("Paper numbering")
struct PaperNumberingTests {
    @Test("a paper is numbered by item type, then scope, as it prints")
    func numbering() async throws {
        try await TestApp.with { t in
            let bank = try await ItemBankTests.setup(t)
            // Scope A holds true/false and scope B single choice: blueprint order would print true/false first.
            try await PaperStore.saveBlueprint(Blueprint(cells: [.init(scope: "A", type: .trueFalse, count: 2, pointsEach: 25),
                                                                 .init(scope: "B", type: .singleChoice, count: 2, pointsEach: 25)],
                                                         difficultyTolerance: 0.3, maxOverlap: 0),
                                               standardID: bank.standardID, level: 4, part: .theory, note: "编号", actor: bank.reviewer.actor,
                                               on: t.db, time: t.time)
            for i in 1...2 {
                try await ItemBankTests.approved(t, bank, ItemBankTests.input(bank, scope: "A", element: String(format: "%03d", i), type: .trueFalse, stem: "判断\(i)"))
                try await ItemBankTests.approved(t, bank, ItemBankTests.input(bank, scope: "B", element: String(format: "%03d", i), type: .singleChoice, stem: "单选\(i)"))
            }
            let paper = try await PaperStore.assemble(standardID: bank.standardID, level: 4, part: .theory, forms: 1, seed: 2,
                                                      releaseAt: t.time.now() + 60, actor: bank.reviewer.actor,
                                                      sealer: ItemBankTests.sealer, on: t.db, time: t.time)[0]
            t.time.advance(by: 61)
            let content = try await PaperStore.open(paperID: paper.id!, reader: AuditActor(id: UUID(), name: "exams"),
                                                    sealer: ItemBankTests.sealer, on: t.db, time: t.time)
            #expect(content.entries.map(\.type) == [.singleChoice, .singleChoice, .trueFalse, .trueFalse])
            #expect(content.entries.map(\.position) == [1, 2, 3, 4])
        }
    }
}
