import Testing
@testable import SkillCertCore

@Suite("Paper assembly")
struct PaperAssemblerTests {
    /// An element table like the 电工 四级 one: six scopes with weights.
    static let table = ElementTable(part: .theory, scopes: [
        .init(code: "A", name: "职业道德", weight: 5, elements: []),
        .init(code: "B", name: "基础知识", weight: 20, elements: []),
        .init(code: "C", name: "继电控制", weight: 25, elements: []),
        .init(code: "D", name: "电气设备", weight: 25, elements: []),
        .init(code: "E", name: "自动控制", weight: 15, elements: []),
        .init(code: "F", name: "应用电子", weight: 10, elements: []),
    ])

    /// A bank with `factor` times the items each cell needs, difficulties spread 0.45–0.95.
    static func bank(_ blueprint: Blueprint, factor: Int, seed: UInt64) -> [BankItem] {
        var rng = SeededGenerator(seed: seed)
        var items: [BankItem] = []
        var id = 0
        for cell in blueprint.cells {
            for _ in 0..<(cell.count * factor) {
                id += 1
                items.append(BankItem(id: id, cell: cell.key, difficulty: Double.random(in: 0.45...0.95, using: &rng),
                                      isCore: Int.random(in: 0..<10, using: &rng) < 8,
                                      exposure: Int.random(in: 0..<20, using: &rng) == 0 ? 9 : 0))
            }
        }
        return items
    }

    @Test("a derived blueprint totals 100 points and keeps each type's count")
    func derive() throws {
        let bp = try Blueprint.derive(from: Self.table)
        #expect(bp.totalPoints == 100)
        #expect(bp.cells.filter { $0.type == .singleChoice }.reduce(0) { $0 + $1.count } == 60)
        #expect(bp.cells.filter { $0.type == .multipleChoice }.reduce(0) { $0 + $1.count } == 10)
        #expect(bp.cells.filter { $0.type == .trueFalse }.reduce(0) { $0 + $1.count } == 20)
        // Scope C (25 %) gets a quarter of the single-choice items.
        #expect(bp.cells.first { $0.scope == "C" && $0.type == .singleChoice }?.count == 15)
        #expect(bp.problems.isEmpty)
    }

    @Test("absurd blueprint numbers are refused, not overflowed")
    func absurdBlueprint() {
        let bp = Blueprint(cells: [.init(scope: "A", type: .singleChoice, count: Int.max, pointsEach: Int.max)])
        #expect(bp.problems.map(\.code) == ["invalid_cell"])
    }

    @Test("every constraint holds on generated papers", arguments: Array(UInt64(1)...40))
    func constraints(seed: UInt64) throws {
        var bp = try Blueprint.derive(from: Self.table)
        bp.maxOverlap = 12
        bp.exposureLimit = 5
        let bank = Self.bank(bp, factor: 4, seed: seed)
        let byID = Dictionary(uniqueKeysWithValues: bank.map { ($0.id, $0) })
        // Enemy pairs: neighbours in the same cell.
        let enemies = stride(from: 1, to: bank.count - 1, by: 7).map { (bank[$0].id, bank[$0 + 1].id) }
        let forms = try PaperAssembler.assemble(blueprint: bp, bank: bank, enemies: enemies, forms: 4, seed: seed)
        #expect(forms.map(\.label) == ["A", "B", "C", "D"])
        for form in forms {
            #expect(form.totalPoints == 100)
            #expect(Set(form.itemIDs).count == form.itemIDs.count, "an item twice on one form")
            for cell in bp.cells {
                let drawn = form.items.filter { $0.cell == cell.key }
                #expect(drawn.count == cell.count, "cell \(cell.key)")
                #expect(drawn.allSatisfy { byID[$0.itemID]?.cell == cell.key })
            }
            #expect(abs(form.difficulty - bp.difficultyTarget) <= bp.difficultyTolerance + 1e-9)
            let ids = Set(form.itemIDs)
            #expect(!enemies.contains { ids.contains($0.0) && ids.contains($0.1) }, "both items of an enemy pair")
            #expect(form.itemIDs.allSatisfy { (byID[$0]?.exposure ?? 99) < bp.exposureLimit })
        }
        for i in forms.indices {
            for j in forms.indices where j > i {
                #expect(Set(forms[i].itemIDs).intersection(forms[j].itemIDs).count <= bp.maxOverlap)
            }
        }
        // Deterministic for a seed.
        let again = try PaperAssembler.assemble(blueprint: bp, bank: bank, enemies: enemies, forms: 4, seed: seed)
        #expect(again == forms)
    }

    @Test("core (X) items are preferred until the blueprint's core share is reached")
    func coreShare() throws {
        var bp = try Blueprint.derive(from: Self.table)
        bp.corePointsShare = 0.8
        // Half the bank is core: a random draw would give about 50 %.
        let bank = Self.bank(bp, factor: 4, seed: 11).enumerated().map { i, item in
            var x = item
            x.isCore = i % 2 == 0
            x.exposure = 0
            return x
        }
        let forms = try PaperAssembler.assemble(blueprint: bp, bank: bank, forms: 2, seed: 11)
        for form in forms {
            #expect(form.corePointsShare >= 0.8 - 1e-9, "core share \(form.corePointsShare)")
            #expect(abs(form.difficulty - bp.difficultyTarget) <= bp.difficultyTolerance + 1e-9)
        }
    }

    @Test("a tight overlap limit forces reuse to stay within it")
    func overlapLimit() throws {
        var bp = try Blueprint.derive(from: Self.table)
        bp.maxOverlap = 50
        bp.difficultyTolerance = 0.2
        let bank = Self.bank(bp, factor: 2, seed: 7).map { var i = $0; i.exposure = 0; return i }
        let forms = try PaperAssembler.assemble(blueprint: bp, bank: bank, forms: 3, seed: 7)
        // Two forms fit without sharing; the third must reuse all 100 items, at most 50 from each earlier form.
        #expect(Set(forms[0].itemIDs).isDisjoint(with: forms[1].itemIDs))
        #expect(Set(forms[2].itemIDs).intersection(forms[0].itemIDs).count <= 50)
        #expect(Set(forms[2].itemIDs).intersection(forms[1].itemIDs).count <= 50)
        // With a limit of 40 the third form cannot be drawn, and the error says where it ran out.
        bp.maxOverlap = 40
        #expect(throws: AssemblyError.self) { try PaperAssembler.assemble(blueprint: bp, bank: bank, forms: 3, seed: 7) }
    }

    @Test("an infeasible blueprint names the short cell and by how many items")
    func shortfall() throws {
        let bp = try Blueprint.derive(from: Self.table)
        var bank = Self.bank(bp, factor: 2, seed: 3).map { var i = $0; i.exposure = 0; return i }
        let cell = CellKey(scope: "C", type: .singleChoice)
        let needed = try #require(bp.cells.first { $0.key == cell }?.count)
        var kept = 0
        bank.removeAll { item in
            guard item.cell == cell else { return false }
            kept += 1
            return kept > needed - 4
        }
        #expect(throws: AssemblyError.shortfall([.init(cell: cell, needed: needed, available: needed - 4)])) {
            try PaperAssembler.assemble(blueprint: bp, bank: bank, forms: 1, seed: 1)
        }
        let error = AssemblyError.shortfall([.init(cell: cell, needed: needed, available: needed - 4)])
        #expect(error.messageZH.contains("C 范围的单选题需要 \(needed) 道，可用 \(needed - 4) 道，缺 4 道"))
    }

    @Test("a difficulty target the bank cannot reach is reported, not ignored")
    func unreachableDifficulty() throws {
        var bp = try Blueprint.derive(from: Self.table)
        bp.difficultyTarget = 0.2
        bp.difficultyTolerance = 0.02
        let bank = Self.bank(bp, factor: 2, seed: 5)
        #expect(throws: AssemblyError.self) { try PaperAssembler.assemble(blueprint: bp, bank: bank, forms: 1, seed: 5) }
    }

    @Test("item workflow: only someone other than the author approves")
    func workflow() throws {
        #expect(try ItemWorkflow.apply(.submit, to: .draft, actorIsAuthor: true).get() == .inReview)
        #expect((try? ItemWorkflow.apply(.approve, to: .inReview, actorIsAuthor: true).get()) == nil)
        #expect(try ItemWorkflow.apply(.approve, to: .inReview, actorIsAuthor: false).get() == .approved)
        #expect(try ItemWorkflow.apply(.reject, to: .inReview, actorIsAuthor: false).get() == .draft)
        #expect((try? ItemWorkflow.apply(.approve, to: .draft, actorIsAuthor: false).get()) == nil)
        #expect(try ItemWorkflow.apply(.retire, to: .approved, actorIsAuthor: false).get() == .retired)
    }

    @Test("item content is checked for its type")
    func itemValidation() {
        let single = ItemContent(stem: "三相异步电动机的转速取决于？", options: ["电源频率和极对数", "负载大小"], correct: [0, 1])
        #expect(ItemValidator.problems(type: .singleChoice, content: single, difficulty: 0.7).map(\.field) == ["correct"])
        let fill = ItemContent(stem: "我国工频为____Hz。", acceptedAnswers: ["50", "五十"])
        #expect(ItemValidator.problems(type: .fillIn, content: fill, difficulty: 0.8).isEmpty)
        let task = ItemContent(stem: "安装电动机正反转控制电路", task: TaskCard(preparation: "配电板、接触器 2 只", minutes: 120,
                                                                      criteria: [.init(text: "接线正确", points: 60),
                                                                                 .init(text: "通电试车", points: 30, veto: true)]))
        #expect(ItemValidator.problems(type: .practicalTask, content: task, difficulty: 0.6).map(\.code) == ["points_not_100"])
    }
}
