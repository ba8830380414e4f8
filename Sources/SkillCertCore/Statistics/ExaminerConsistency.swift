import Foundation

/// How consistently the examiners of skills panels score (考评员评分一致性): per examiner the severity (mean
/// deviation from the panel's mean) and the spread of those deviations; per task the agreement between raters
/// (one-way intraclass correlation, ICC(1,1), since panels differ from room to room). Pure.
public enum ExaminerConsistency {
    /// One examiner's score for one candidate on one task.
    public struct Sheet: Sendable, Equatable {
        public var examiner: String
        public var candidate: String
        public var task: String
        public var score: Double

        public init(examiner: String, candidate: String, task: String, score: Double) {
            self.examiner = examiner
            self.candidate = candidate
            self.task = task
            self.score = score
        }
    }

    public struct ExaminerStatistics: Sendable, Equatable {
        public var examiner: String
        public var sheets: Int
        /// Mean of (own score − the panel's mean) over the examiner's sheets: below zero stricter than the panel.
        public var severity: Double
        /// Population standard deviation of those deviations: how erratic the examiner is against the panel.
        public var spread: Double
        /// Severity beyond the threshold either way.
        public var outlier: Bool
    }

    public struct TaskStatistics: Sendable, Equatable {
        public var task: String
        public var candidates: Int
        /// ICC(1,1); nil with fewer than two candidates rated by at least two examiners, or no variation.
        public var icc: Double?
    }

    public struct Report: Sendable, Equatable {
        public var examiners: [ExaminerStatistics]
        public var tasks: [TaskStatistics]
    }

    /// `severityThreshold`: points (out of the task's scale) beyond which an examiner is flagged. Panels of one
    /// examiner say nothing about agreement and are left out.
    public static func analyse(_ sheets: [Sheet], severityThreshold: Double = 5) -> Report {
        struct Key: Hashable { var candidate: String; var task: String }
        let panels = Dictionary(grouping: sheets) { Key(candidate: $0.candidate, task: $0.task) }.filter { $0.value.count >= 2 }
        var deviations: [String: [Double]] = [:]
        for panel in panels.values {
            let mean = panel.reduce(0) { $0 + $1.score } / Double(panel.count)
            for s in panel { deviations[s.examiner, default: []].append(s.score - mean) }
        }
        let examiners = deviations.keys.sorted().map { examiner in
            let d = deviations[examiner]!
            let severity = ItemAnalysis.mean(d)
            return ExaminerStatistics(examiner: examiner, sheets: d.count, severity: severity, spread: ItemAnalysis.variance(d).squareRoot(),
                                      outlier: abs(severity) > severityThreshold)
        }
        let tasks = Set(panels.keys.map(\.task)).sorted().map { task in
            let groups = panels.filter { $0.key.task == task }.values.map { $0.map(\.score) }
            return TaskStatistics(task: task, candidates: groups.count, icc: icc1(groups))
        }
        return Report(examiners: examiners, tasks: tasks)
    }

    /// One-way random-effects ICC(1,1) from groups of ratings (one group per candidate, panels may differ in size):
    /// (MSB − MSW) / (MSB + (k₀ − 1)·MSW), with k₀ the adjusted mean group size.
    public static func icc1(_ groups: [[Double]]) -> Double? {
        let groups = groups.filter { $0.count >= 2 }
        let a = groups.count
        let total = groups.reduce(0) { $0 + $1.count }
        guard a >= 2 else { return nil }
        let grand = groups.reduce(0) { $0 + $1.reduce(0, +) } / Double(total)
        var ssb = 0.0, ssw = 0.0
        for g in groups {
            let m = g.reduce(0, +) / Double(g.count)
            ssb += Double(g.count) * (m - grand) * (m - grand)
            ssw += g.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        }
        let msb = ssb / Double(a - 1)
        let msw = ssw / Double(total - a)
        let k0 = (Double(total) - Double(groups.reduce(0) { $0 + $1.count * $1.count }) / Double(total)) / Double(a - 1)
        let denominator = msb + (k0 - 1) * msw
        guard denominator > 0 else { return nil }
        return (msb - msw) / denominator
    }
}
