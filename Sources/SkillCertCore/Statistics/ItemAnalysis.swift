import Foundation

/// Classical item analysis of one paper after scoring (试卷质量分析): per item its difficulty, discrimination and,
/// for choice items, how each option drew candidates; for the paper its reliability. Pure: the caller brings the
/// responses, in any order, and the thresholds (settings).
public enum ItemAnalysis {
    /// One candidate's result on one item.
    public struct Response: Sendable, Equatable {
        /// Points earned, 0…`maxPoints` of the item.
        public var points: Double
        /// The options chosen (choice items), e.g. `["B"]`; empty for other kinds or no answer.
        public var choice: [String]

        public init(points: Double, choice: [String] = []) {
            self.points = points
            self.choice = choice
        }
    }

    public struct Item: Sendable, Equatable {
        public var id: String
        public var maxPoints: Double
        /// The keyed options of a choice item (`["B"]`, `["A", "C"]`); empty for other kinds.
        public var key: [String]
        /// Every option offered (`["A", "B", "C", "D"]`); empty for other kinds.
        public var options: [String]

        public init(id: String, maxPoints: Double, key: [String] = [], options: [String] = []) {
            self.id = id
            self.maxPoints = maxPoints
            self.key = key
            self.options = options
        }
    }

    /// Where an item's figures are out of range.
    public struct Thresholds: Sendable, Equatable {
        public var minDifficulty = 0.20
        public var maxDifficulty = 0.90
        /// Upper minus lower 27 % group, below which an item barely separates strong from weak candidates.
        public var minDiscrimination = 0.20
        public var minPointBiserial = 0.15

        public init() {}
    }

    public enum Flag: String, Sendable, Equatable, CaseIterable, Codable {
        case tooHard = "too_hard", tooEasy = "too_easy", lowDiscrimination = "low_discrimination", lowCorrelation = "low_correlation"
        /// A wrong option chosen more by the upper group than the lower: the key or the option may be faulty.
        case distractorAttractsStrong = "distractor_attracts_strong"

        public var nameZH: String {
            switch self {
            case .tooHard: "过难"
            case .tooEasy: "过易"
            case .lowDiscrimination: "区分度低"
            case .lowCorrelation: "与总分相关低"
            case .distractorAttractsStrong: "干扰项吸引高分组"
            }
        }
    }

    public struct OptionCount: Sendable, Equatable, Codable {
        public var option: String
        public var keyed: Bool
        /// Candidates who chose it, overall and in the upper and lower 27 % groups.
        public var all: Int
        public var upper: Int
        public var lower: Int
    }

    public struct ItemStatistics: Sendable, Equatable, Codable {
        public var id: String
        public var responses: Int
        /// Mean points over the maximum (the share answering correctly for a 0/1 item).
        public var difficulty: Double
        /// Pearson correlation of the item's points with the total score (the point-biserial for a 0/1 item).
        public var pointBiserial: Double
        /// The same against the total without this item (corrected item-total correlation).
        public var correctedPointBiserial: Double
        /// Upper 27 % group's difficulty minus the lower group's.
        public var discrimination: Double
        public var options: [OptionCount]
        public var flags: [Flag]
    }

    public struct PaperStatistics: Sendable, Equatable, Codable {
        public var candidates: Int
        public var items: [ItemStatistics]
        public var meanTotal: Double
        /// Population standard deviation of the totals.
        public var sdTotal: Double
        /// Kuder–Richardson 20, defined when every item is scored 0 or its maximum (nil otherwise).
        public var kr20: Double?
        /// Cronbach's α (equals KR-20 for 0/1 items).
        public var alpha: Double?
        /// Size of each of the upper and lower groups.
        public var groupSize: Int
    }

    /// `responses[c][i]` is candidate c's response to `items[i]`; every candidate answers every item (an unanswered
    /// item is 0 points). Needs at least two candidates.
    public static func analyse(items: [Item], responses: [[Response]], thresholds: Thresholds = .init()) -> PaperStatistics {
        let n = responses.count
        let k = items.count
        let totals = responses.map { $0.reduce(0) { $0 + $1.points } }
        let meanTotal = mean(totals)
        let varTotal = variance(totals)
        // Upper and lower 27 %: by total, ties broken by input order (stable), at least one candidate each.
        let groupSize = n < 2 ? 0 : max(1, Int((Double(n) * 0.27).rounded()))
        let ranked = totals.indices.sorted { totals[$0] != totals[$1] ? totals[$0] > totals[$1] : $0 < $1 }
        let upper = Set(ranked.prefix(groupSize))
        let lower = Set(ranked.suffix(groupSize))
        var stats: [ItemStatistics] = []
        var itemVariances: [Double] = []
        var dichotomous = true
        for (i, item) in items.enumerated() {
            let points = responses.map { $0[i].points }
            let maxPoints = item.maxPoints > 0 ? item.maxPoints : 1
            if points.contains(where: { $0 != 0 && $0 != item.maxPoints }) { dichotomous = false }
            itemVariances.append(variance(points))
            let p = mean(points) / maxPoints
            let rest = zip(totals, points).map { $0 - $1 }
            func groupDifficulty(_ group: Set<Int>) -> Double {
                group.isEmpty ? 0 : group.reduce(0) { $0 + points[$1] } / Double(group.count) / maxPoints
            }
            let d = groupDifficulty(upper) - groupDifficulty(lower)
            var options: [OptionCount] = []
            for option in item.options {
                let chose = responses.indices.filter { responses[$0][i].choice.contains(option) }
                options.append(OptionCount(option: option, keyed: item.key.contains(option), all: chose.count,
                                           upper: chose.filter(upper.contains).count, lower: chose.filter(lower.contains).count))
            }
            let r = correlation(points, totals)
            let corrected = correlation(points, rest)
            var flags: [Flag] = []
            if p < thresholds.minDifficulty { flags.append(.tooHard) }
            if p > thresholds.maxDifficulty { flags.append(.tooEasy) }
            if d < thresholds.minDiscrimination { flags.append(.lowDiscrimination) }
            if r < thresholds.minPointBiserial { flags.append(.lowCorrelation) }
            if options.contains(where: { !$0.keyed && $0.upper > $0.lower }) { flags.append(.distractorAttractsStrong) }
            stats.append(ItemStatistics(id: item.id, responses: n, difficulty: p, pointBiserial: r, correctedPointBiserial: corrected,
                                        discrimination: d, options: options, flags: flags))
        }
        var alpha: Double?
        if k > 1, varTotal > 0 {
            alpha = Double(k) / Double(k - 1) * (1 - itemVariances.reduce(0, +) / varTotal)
        }
        return PaperStatistics(candidates: n, items: stats, meanTotal: meanTotal, sdTotal: varTotal.squareRoot(),
                               kr20: dichotomous ? alpha : nil, alpha: alpha, groupSize: groupSize)
    }

    // MARK: Figures

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    /// Population variance (divides by n), as KR-20 and α use it.
    static func variance(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let m = mean(xs)
        return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)
    }

    /// Pearson correlation; 0 when either side does not vary.
    static func correlation(_ xs: [Double], _ ys: [Double]) -> Double {
        let (mx, my) = (mean(xs), mean(ys))
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
            syy += (y - my) * (y - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
