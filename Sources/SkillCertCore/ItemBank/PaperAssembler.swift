/// An approved item as the assembler sees it: no content, just what the constraints need.
public struct BankItem: Sendable, Hashable {
    /// The item version's identity (papers keep the version they used).
    public var id: Int
    public var cell: CellKey
    /// Expected proportion correct.
    public var difficulty: Double
    public var isCore: Bool
    /// Papers this item appeared on recently.
    public var exposure: Int

    public init(id: Int, cell: CellKey, difficulty: Double, isCore: Bool = true, exposure: Int = 0) {
        self.id = id
        self.cell = cell
        self.difficulty = difficulty
        self.isCore = isCore
        self.exposure = exposure
    }
}

/// A drawn form: the chosen items per cell, in blueprint order.
public struct AssembledForm: Sendable, Equatable {
    /// A, B, C, …
    public var label: String
    public var items: [(cell: CellKey, itemID: Int, points: Int)]
    public var difficulty: Double
    public var corePointsShare: Double

    public var itemIDs: [Int] { items.map(\.itemID) }
    public var totalPoints: Int { items.reduce(0) { $0 + $1.points } }

    public static func == (a: AssembledForm, b: AssembledForm) -> Bool {
        a.label == b.label && a.itemIDs == b.itemIDs && a.difficulty == b.difficulty
    }
}

/// Why assembly failed.
public enum AssemblyError: Error, Equatable, Sendable {
    /// A cell has too few usable items: how many it needs and how many there are.
    case shortfall([Shortfall])
    /// The difficulty target could not be reached within tolerance.
    case difficultyUnreachable(form: String, achieved: Double, target: Double)

    public struct Shortfall: Equatable, Sendable {
        public var cell: CellKey
        public var needed: Int
        public var available: Int
        public var short: Int { needed - available }

        public init(cell: CellKey, needed: Int, available: Int) {
            self.cell = cell
            self.needed = needed
            self.available = available
        }
    }

    public var messageZH: String {
        switch self {
        case .shortfall(let list):
            return "题库不足以满足蓝图：" + list.map {
                "\($0.cell.scope) 范围的\($0.cell.type.nameZH)需要 \($0.needed) 道，可用 \($0.available) 道，缺 \($0.short) 道"
            }.joined(separator: "；")
        case .difficultyUnreachable(let form, let achieved, let target):
            return "\(form) 卷难度无法达到目标：实际 \(String(format: "%.3f", achieved))，目标 \(String(format: "%.3f", target))"
        }
    }

    public var messageEN: String {
        switch self {
        case .shortfall(let list):
            return "the bank cannot meet the blueprint: " + list.map {
                "cell \($0.cell) needs \($0.needed), has \($0.available), short by \($0.short)"
            }.joined(separator: "; ")
        case .difficultyUnreachable(let form, let achieved, let target):
            return "form \(form): difficulty \(achieved) cannot reach the target \(target)"
        }
    }
}

/// A small deterministic random generator (SplitMix64): the same seed always draws the same papers.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Draws parallel forms that meet a blueprint exactly: counts per cell, 100 points, difficulty within tolerance,
/// at most `maxOverlap` items shared by any two forms, never both items of an enemy pair, no over-exposed item.
public enum PaperAssembler {
    public static func assemble(blueprint: Blueprint, bank: [BankItem], enemies: [(Int, Int)] = [], forms: Int,
                                seed: UInt64) throws -> [AssembledForm] {
        var rng = SeededGenerator(seed: seed)
        let usable = bank.filter { $0.exposure < blueprint.exposureLimit }
        var pools: [CellKey: [BankItem]] = [:]
        for item in usable { pools[item.cell, default: []].append(item) }
        // A cell with scope "*" draws from every scope of its item type (e.g. task cards for a skills paper).
        for cell in blueprint.cells where cell.scope == Blueprint.anyScope {
            pools[cell.key] = usable.filter { $0.cell.type == cell.type }
        }
        // Shuffle once per cell; later draws walk the pool, preferring items no form has used yet.
        for key in pools.keys.sorted() { pools[key]!.shuffle(using: &rng) }
        let shortfalls = blueprint.cells.compactMap { cell -> AssemblyError.Shortfall? in
            let have = pools[cell.key]?.count ?? 0
            return have < cell.count ? .init(cell: cell.key, needed: cell.count, available: have) : nil
        }
        if !shortfalls.isEmpty { throw AssemblyError.shortfall(shortfalls) }

        var enemyMap: [Int: Set<Int>] = [:]
        for (a, b) in enemies {
            enemyMap[a, default: []].insert(b)
            enemyMap[b, default: []].insert(a)
        }
        var useCount: [Int: Int] = [:]       // item → forms it is on
        var formsOfItem: [Int: [Int]] = [:]  // item → form indexes
        var result: [AssembledForm] = []
        var cursor: [CellKey: Int] = [:]

        for f in 0..<forms {
            var chosen: [(cell: CellKey, item: BankItem, points: Int)] = []
            var chosenIDs = Set<Int>()
            var blocked = Set<Int>()
            var overlap = [Int](repeating: 0, count: f)
            for cell in blueprint.cells {
                guard let pool = pools[cell.key] else { continue }
                var picked = 0
                // Walk the shuffled pool from where the last form stopped: first items no form has used yet,
                // then (second pass) reused ones, within the overlap limit.
                let start = cursor[cell.key] ?? 0
                for pass in 0..<2 where picked < cell.count {
                    for step in 0..<pool.count where picked < cell.count {
                        let idx = (start + step) % pool.count
                        let item = pool[idx]
                        let used = useCount[item.id] ?? 0
                        if (pass == 0) != (used == 0) { continue }
                        if chosenIDs.contains(item.id) || blocked.contains(item.id) { continue }
                        let previous = formsOfItem[item.id] ?? []
                        if previous.contains(where: { overlap[$0] + 1 > blueprint.maxOverlap }) { continue }
                        chosen.append((cell.key, item, cell.pointsEach))
                        chosenIDs.insert(item.id)
                        blocked.formUnion(enemyMap[item.id] ?? [])
                        for g in previous { overlap[g] += 1 }
                        picked += 1
                        if pass == 0 { cursor[cell.key] = (idx + 1) % pool.count }
                    }
                }
                if picked < cell.count {
                    throw AssemblyError.shortfall([.init(cell: cell.key, needed: cell.count, available: picked)])
                }
            }
            try balanceDifficulty(&chosen, chosenIDs: &chosenIDs, blueprint: blueprint, pools: pools, enemyMap: enemyMap,
                                  formsOfItem: formsOfItem, overlap: &overlap, useCount: useCount, label: label(f))
            raiseCoreShare(&chosen, chosenIDs: &chosenIDs, blueprint: blueprint, pools: pools, enemyMap: enemyMap,
                           formsOfItem: formsOfItem, overlap: &overlap)
            for entry in chosen {
                useCount[entry.item.id, default: 0] += 1
                formsOfItem[entry.item.id, default: []].append(f)
            }
            result.append(AssembledForm(label: label(f), items: chosen.map { ($0.cell, $0.item.id, $0.points) },
                                        difficulty: difficulty(of: chosen), corePointsShare: coreShare(of: chosen)))
        }
        return result
    }

    static func difficulty(of chosen: [(cell: CellKey, item: BankItem, points: Int)]) -> Double {
        let points = chosen.reduce(0) { $0 + $1.points }
        guard points > 0 else { return 0 }
        return chosen.reduce(0.0) { $0 + $1.item.difficulty * Double($1.points) } / Double(points)
    }

    static func coreShare(of chosen: [(cell: CellKey, item: BankItem, points: Int)]) -> Double {
        let points = chosen.reduce(0) { $0 + $1.points }
        guard points > 0 else { return 0 }
        return Double(chosen.filter(\.item.isCore).reduce(0) { $0 + $1.points }) / Double(points)
    }

    /// Swaps items within their cells until the form's difficulty is within tolerance of the target.
    static func balanceDifficulty(_ chosen: inout [(cell: CellKey, item: BankItem, points: Int)], chosenIDs: inout Set<Int>,
                                  blueprint: Blueprint, pools: [CellKey: [BankItem]], enemyMap: [Int: Set<Int>],
                                  formsOfItem: [Int: [Int]], overlap: inout [Int], useCount: [Int: Int],
                                  label: String) throws {
        let total = Double(chosen.reduce(0) { $0 + $1.points })
        var current = difficulty(of: chosen)
        var rounds = 0
        while abs(current - blueprint.difficultyTarget) > blueprint.difficultyTolerance && rounds < 4 * chosen.count {
            rounds += 1
            let needHigher = current < blueprint.difficultyTarget
            // The chosen item that pulls furthest the wrong way, and its best replacement in the same cell.
            var best: (slot: Int, replacement: BankItem, gain: Double)?
            for (slot, entry) in chosen.enumerated() {
                guard let pool = pools[entry.cell] else { continue }
                let others = chosenIDs.subtracting([entry.item.id])
                let blockedByOthers = others.reduce(into: Set<Int>()) { $0.formUnion(enemyMap[$1] ?? []) }
                for candidate in pool where !chosenIDs.contains(candidate.id) && !blockedByOthers.contains(candidate.id) {
                    let delta = (candidate.difficulty - entry.item.difficulty) * Double(entry.points) / total
                    guard needHigher ? delta > 0 : delta < 0 else { continue }
                    if !(enemyMap[candidate.id] ?? []).isDisjoint(with: others) { continue }
                    let previous = formsOfItem[candidate.id] ?? []
                    let leaving = formsOfItem[entry.item.id] ?? []
                    if previous.contains(where: { g in overlap[g] - (leaving.contains(g) ? 1 : 0) + 1 > blueprint.maxOverlap }) { continue }
                    let after = abs(current + delta - blueprint.difficultyTarget)
                    let gain = abs(current - blueprint.difficultyTarget) - after
                    if gain > (best?.gain ?? 0) { best = (slot, candidate, gain) }
                }
            }
            guard let swap = best else { break }
            let old = chosen[swap.slot].item
            for g in formsOfItem[old.id] ?? [] { overlap[g] -= 1 }
            for g in formsOfItem[swap.replacement.id] ?? [] { overlap[g] += 1 }
            chosenIDs.remove(old.id)
            chosenIDs.insert(swap.replacement.id)
            chosen[swap.slot].item = swap.replacement
            current = difficulty(of: chosen)
        }
        if abs(current - blueprint.difficultyTarget) > blueprint.difficultyTolerance + 1e-9 {
            throw AssemblyError.difficultyUnreachable(form: label, achieved: current, target: blueprint.difficultyTarget)
        }
    }

    /// Swaps non-core (Y/Z) items for core (X) ones in the same cell while the form is below the blueprint's core
    /// share, keeping the difficulty window, the overlap limit and the enemy pairs. Best effort: the share reached is
    /// reported on the form.
    static func raiseCoreShare(_ chosen: inout [(cell: CellKey, item: BankItem, points: Int)], chosenIDs: inout Set<Int>,
                               blueprint: Blueprint, pools: [CellKey: [BankItem]], enemyMap: [Int: Set<Int>],
                               formsOfItem: [Int: [Int]], overlap: inout [Int]) {
        let total = Double(chosen.reduce(0) { $0 + $1.points })
        guard total > 0 else { return }
        var share = coreShare(of: chosen)
        var current = difficulty(of: chosen)
        for slot in chosen.indices where share + 1e-9 < blueprint.corePointsShare && !chosen[slot].item.isCore {
            let entry = chosen[slot]
            let others = chosenIDs.subtracting([entry.item.id])
            let leaving = formsOfItem[entry.item.id] ?? []
            guard let pool = pools[entry.cell] else { continue }
            // Only items no form has used yet: coverage is never bought with overlap between forms.
            for candidate in pool where candidate.isCore && !chosenIDs.contains(candidate.id) && formsOfItem[candidate.id] == nil {
                if !(enemyMap[candidate.id] ?? []).isDisjoint(with: others) { continue }
                let after = current + (candidate.difficulty - entry.item.difficulty) * Double(entry.points) / total
                if abs(after - blueprint.difficultyTarget) > blueprint.difficultyTolerance { continue }
                for g in leaving { overlap[g] -= 1 }
                chosenIDs.remove(entry.item.id)
                chosenIDs.insert(candidate.id)
                chosen[slot].item = candidate
                current = after
                share += Double(entry.points) / total
                break
            }
        }
    }

    /// A, B, …, Z, AA, AB, …
    public static func label(_ index: Int) -> String { alphabeticLabel(index) }
}
