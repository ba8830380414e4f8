/// What a paper must contain: for each cell (鉴定范围 × item type) how many items at how many points each, the
/// difficulty target, and the limits that make parallel forms fair.
public struct Blueprint: Codable, Sendable, Equatable {
    public struct Cell: Codable, Sendable, Equatable, Hashable {
        /// 鉴定范围 code (`A`, `B`, …).
        public var scope: String
        public var type: ItemType
        public var count: Int
        public var pointsEach: Int

        public init(scope: String, type: ItemType, count: Int, pointsEach: Int) {
            self.scope = scope
            self.type = type
            self.count = count
            self.pointsEach = pointsEach
        }

        public var key: CellKey { CellKey(scope: scope, type: type) }
        public var points: Int { count * pointsEach }
    }

    public var cells: [Cell]
    /// Target mean difficulty (expected proportion correct, weighted by points) and the tolerance around it.
    public var difficultyTarget: Double
    public var difficultyTolerance: Double
    /// Share of points on X (core) elements the paper should reach; reported, and preferred when drawing.
    public var corePointsShare: Double
    /// At most this many items shared between any two forms.
    public var maxOverlap: Int
    /// An item used on this many recent papers is not drawn again.
    public var exposureLimit: Int

    public init(cells: [Cell], difficultyTarget: Double = 0.7, difficultyTolerance: Double = 0.05,
                corePointsShare: Double = 0.8, maxOverlap: Int = 10, exposureLimit: Int = 5) {
        self.cells = cells
        self.difficultyTarget = difficultyTarget
        self.difficultyTolerance = difficultyTolerance
        self.corePointsShare = corePointsShare
        self.maxOverlap = maxOverlap
        self.exposureLimit = exposureLimit
    }

    public var totalPoints: Int { cells.reduce(0) { $0 + $1.points } }

    /// The scope of a cell that takes items from any scope.
    public static let anyScope = "*"

    /// The default skills paper where the standard has no element table for skills: two task cards of 50 points,
    /// from any scope.
    public static let defaultSkills = Blueprint(cells: [Cell(scope: anyScope, type: .practicalTask, count: 2, pointsEach: 50)],
                                                difficultyTarget: 0.7, difficultyTolerance: 0.3, corePointsShare: 0,
                                                maxOverlap: 1, exposureLimit: 10)
    public var itemCount: Int { cells.reduce(0) { $0 + $1.count } }

    /// How the points of a theory paper are split over item types, and the points of one item of each type.
    public struct TypeMix: Codable, Sendable, Equatable {
        public var type: ItemType
        /// Points of the paper on this type (the shares add up to 100).
        public var points: Int
        public var pointsEach: Int

        public init(type: ItemType, points: Int, pointsEach: Int) {
            self.type = type
            self.points = points
            self.pointsEach = pointsEach
        }
    }

    /// The default theory mix: 60 single-choice at 1 point, 20 true/false at 1 point, 10 multiple-choice at 2 points.
    public static let defaultTheoryMix: [TypeMix] = [
        TypeMix(type: .singleChoice, points: 60, pointsEach: 1),
        TypeMix(type: .trueFalse, points: 20, pointsEach: 1),
        TypeMix(type: .multipleChoice, points: 20, pointsEach: 2),
    ]

    /// Derives a blueprint from an element table: each type's items are spread over the scopes in proportion to
    /// the scopes' weights (largest remainder, so every type keeps its exact count and the paper totals 100 points).
    public static func derive(from table: ElementTable, mix: [TypeMix] = defaultTheoryMix, difficultyTarget: Double = 0.7,
                              difficultyTolerance: Double = 0.05, maxOverlap: Int = 10, exposureLimit: Int = 5) throws -> Blueprint {
        let totalMix = mix.reduce(0) { $0 + $1.points }
        guard totalMix == 100, mix.allSatisfy({ $0.pointsEach > 0 && $0.points % $0.pointsEach == 0 }) else {
            throw ValidationFailure([FieldError(code: "invalid_mix", field: "mix",
                                                zh: "题型分值合计应为 100，且每种题型的总分能被单题分值整除",
                                                en: "type points must add up to 100, each a multiple of its item points")])
        }
        let scopes = table.scopes.filter { $0.weight > 0 }
        let weightSum = scopes.reduce(0) { $0 + $1.weight }
        guard weightSum > 0 else {
            throw ValidationFailure([FieldError(code: "no_weights", field: "scopes", zh: "鉴定要素细目表没有比重", en: "the element table has no weights")])
        }
        var cells: [Cell] = []
        for m in mix {
            let items = m.points / m.pointsEach
            let exact = scopes.map { Double(items) * Double($0.weight) / Double(weightSum) }
            var counts = exact.map { Int($0.rounded(.down)) }
            var left = items - counts.reduce(0, +)
            let order = exact.indices.sorted { (exact[$0] - Double(counts[$0]), -$0) > (exact[$1] - Double(counts[$1]), -$1) }
            for i in order where left > 0 {
                counts[i] += 1
                left -= 1
            }
            for (i, scope) in scopes.enumerated() where counts[i] > 0 {
                cells.append(Cell(scope: scope.code, type: m.type, count: counts[i], pointsEach: m.pointsEach))
            }
        }
        cells.sort { ($0.scope, $0.type) < ($1.scope, $1.type) }
        return Blueprint(cells: cells, difficultyTarget: difficultyTarget, difficultyTolerance: difficultyTolerance,
                         maxOverlap: maxOverlap, exposureLimit: exposureLimit)
    }

    /// Problems with a blueprint adjusted by hand.
    public var problems: [FieldError] {
        var v = FieldValidator()
        // Ranges first: the totals below are only computed over sane numbers.
        for (i, c) in cells.enumerated() where !(0...500).contains(c.count) || !(1...100).contains(c.pointsEach) {
            v.add(FieldError(code: "invalid_cell", field: "cells[\(i)]", zh: "第 \(i + 1) 格的题量应为 0–500、每题分值 1–100",
                             en: "cell \(i + 1): count 0–500, points 1–100"))
        }
        if !v.errors.isEmpty { return v.errors }
        if totalPoints != 100 {
            v.add(FieldError(code: "points_not_100", field: "cells", zh: "蓝图总分为 \(totalPoints)，应为 100",
                             en: "the blueprint totals \(totalPoints) points, not 100"))
        }
        if !(0.0...1.0).contains(corePointsShare) {
            v.add(FieldError(code: "invalid_value", field: "corePointsShare", zh: "核心要素占比应在 0–1 之间", en: "the core share must be 0–1"))
        }
        if !(0.05...0.99).contains(difficultyTarget) || !(0.0...0.5).contains(difficultyTolerance) {
            v.add(FieldError(code: "invalid_difficulty", field: "difficultyTarget", zh: "难度目标应在 0.05–0.99，容差在 0–0.5",
                             en: "difficulty target 0.05–0.99, tolerance 0–0.5"))
        }
        if maxOverlap < 0 { v.add(FieldError(code: "invalid_value", field: "maxOverlap", zh: "重复题上限不能为负", en: "maxOverlap must be ≥ 0")) }
        if exposureLimit < 1 { v.add(FieldError(code: "invalid_value", field: "exposureLimit", zh: "曝光上限至少为 1", en: "exposureLimit must be ≥ 1")) }
        return v.errors
    }
}

/// A blueprint cell's identity: scope and item type.
public struct CellKey: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var scope: String
    public var type: ItemType

    public init(scope: String, type: ItemType) {
        self.scope = scope
        self.type = type
    }

    public var description: String { "\(scope)/\(type.rawValue)" }

    public static func < (a: CellKey, b: CellKey) -> Bool { (a.scope, a.type) < (b.scope, b.type) }
}
