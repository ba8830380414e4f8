import Foundation

/// Counts and pass rates of released results, grouped by one dimension (occupation, level, plan, site, employer or
/// period). Pure: the caller brings counted outcomes already labelled with every dimension's value.
public enum PassRates {
    public enum Dimension: String, Sendable, CaseIterable, Codable {
        case occupation, level, plan, site, employer, period

        public var nameZH: String {
            switch self {
            case .occupation: "职业（工种）"
            case .level: "等级"
            case .plan: "认定计划"
            case .site: "考点"
            case .employer: "工作单位"
            case .period: "期间"
            }
        }

        public var nameEN: String {
            switch self {
            case .occupation: "Occupation"
            case .level: "Level"
            case .plan: "Plan"
            case .site: "Site"
            case .employer: "Employer"
            case .period: "Period"
            }
        }
    }

    /// How results are bucketed in time, by the day they were released.
    public enum Granularity: String, Sendable, CaseIterable, Codable {
        case month, quarter, year

        public var nameZH: String {
            switch self {
            case .month: "按月"
            case .quarter: "按季度"
            case .year: "按年"
            }
        }

        /// The bucket's label: `2026-11`, `2026 Q4` or `2026`.
        public func label(_ day: LocalDate) -> String {
            switch self {
            case .month: String(format: "%04d-%02d", day.year, day.month)
            case .quarter: "\(day.year) Q\((day.month - 1) / 3 + 1)"
            case .year: String(day.year)
            }
        }
    }

    /// `count` results with the same verdict and the same value of every dimension.
    public struct Outcome: Sendable, Equatable {
        public var values: [Dimension: String]
        /// `passed`, `failed` or `incomplete` (a part missed).
        public var verdict: String
        public var count: Int

        public init(values: [Dimension: String], verdict: String, count: Int) {
            self.values = values
            self.verdict = verdict
            self.count = count
        }
    }

    public struct Row: Sendable, Equatable {
        public var key: String
        public var total: Int
        public var passed: Int
        public var failed: Int
        /// Candidates who missed a part (absent).
        public var incomplete: Int

        /// Passed over everyone with a result, absentees included; nil for an empty row.
        public var passRate: Double? { total > 0 ? Double(passed) / Double(total) : nil }
        /// Passed over those who sat every part.
        public var passRateOfPresent: Double? { total - incomplete > 0 ? Double(passed) / Double(total - incomplete) : nil }
    }

    /// One row per value of `dimension`; periods (and levels) in their natural order, everything else by size.
    public static func group(_ outcomes: [Outcome], by dimension: Dimension) -> [Row] {
        var rows: [String: Row] = [:]
        for o in outcomes {
            let key = o.values[dimension] ?? "—"
            var row = rows[key] ?? Row(key: key, total: 0, passed: 0, failed: 0, incomplete: 0)
            row.total += o.count
            switch o.verdict {
            case "passed": row.passed += o.count
            case "failed": row.failed += o.count
            default: row.incomplete += o.count
            }
            rows[key] = row
        }
        switch dimension {
        case .period, .level: return rows.values.sorted { $0.key < $1.key }
        default: return rows.values.sorted { $0.total != $1.total ? $0.total > $1.total : $0.key < $1.key }
        }
    }

    /// Everything together.
    public static func total(_ outcomes: [Outcome]) -> Row {
        let all = group(outcomes.map { Outcome(values: [:], verdict: $0.verdict, count: $0.count) }, by: .plan)
        return all.first.map { Row(key: "合计", total: $0.total, passed: $0.passed, failed: $0.failed, incomplete: $0.incomplete) }
            ?? Row(key: "合计", total: 0, passed: 0, failed: 0, incomplete: 0)
    }

    /// The outcomes whose value of `dimension` is `value` (a drill-down from one row).
    public static func filter(_ outcomes: [Outcome], _ dimension: Dimension, equals value: String) -> [Outcome] {
        outcomes.filter { $0.values[dimension] == value }
    }
}
