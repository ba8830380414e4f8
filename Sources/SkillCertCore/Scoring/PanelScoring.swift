import Foundation

/// One examiner's marks on a task card's score sheet (考核评分记录表): the points awarded per criterion, the veto
/// items the work failed, and a comment.
public struct SheetMarks: Codable, Sendable, Equatable {
    /// Points awarded per criterion, in the card's order.
    public var points: [Double]
    /// Indexes of veto criteria the work failed.
    public var vetoed: [Int]
    public var comment: String

    public init(points: [Double], vetoed: [Int] = [], comment: String = "") {
        self.points = points
        self.vetoed = vetoed
        self.comment = comment
    }
}

/// Reading and checking score sheets.
public enum ScoreSheet {
    /// Reads one criterion's entry: the points awarded (`8`, `7.5`), or a deduction from the criterion's points
    /// (`-2`, `扣2`). Full-width digits are accepted; the result is 0…points in steps of 0.5.
    public static func points(_ text: String, of criterion: TaskCard.Criterion) -> Double? {
        var t = text.applyingTransform(.fullwidthToHalfwidth, reverse: false) ?? text
        t = t.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "分", with: "")
        var deduction = false
        if t.hasPrefix("-") || t.hasPrefix("扣") || t.hasPrefix("−") { deduction = true; t.removeFirst() }
        guard !t.isEmpty, let value = Double(t.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0,
              (value * 2).rounded() == value * 2 else { return nil }
        let awarded = deduction ? Double(criterion.points) - value : value
        return (0...Double(criterion.points)).contains(awarded) ? awarded : nil
    }

    /// Builds marks from one entry per criterion, naming each bad entry by its field (`c1`, `c2`, …).
    public static func marks(entries: [String], vetoed: [Int], comment: String, card: TaskCard) -> Result<SheetMarks, ValidationFailure> {
        var errors: [FieldError] = []
        var points: [Double] = []
        for (i, criterion) in card.criteria.enumerated() {
            let text = i < entries.count ? entries[i] : ""
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                errors.append(FieldError(code: "required", field: "c\(i + 1)", zh: "第 \(i + 1) 项“\(criterion.text)”未评分",
                                         en: "criterion \(i + 1) (\(criterion.text)) is not scored"))
            } else if let p = self.points(text, of: criterion) {
                points.append(p)
            } else {
                errors.append(FieldError(code: "invalid_points", field: "c\(i + 1)",
                                         zh: "第 \(i + 1) 项得分应在 0–\(criterion.points) 分之间（可到 0.5 分），扣分写作 -2 或 扣2",
                                         en: "criterion \(i + 1): points from 0 to \(criterion.points) in steps of 0.5, or a deduction such as -2"))
            }
        }
        for index in vetoed where !(card.criteria.indices.contains(index) && card.criteria[index].veto) {
            errors.append(FieldError(code: "not_a_veto", field: "veto", zh: "第 \(index + 1) 项不是否决项", en: "criterion \(index + 1) is not a veto item"))
        }
        if comment.count > 2000 {
            errors.append(FieldError(code: "too_long", field: "comment", zh: "评语最多 2000 字", en: "at most 2,000 characters"))
        }
        guard errors.isEmpty else { return .failure(ValidationFailure(errors)) }
        return .success(SheetMarks(points: points, vetoed: Array(Set(vetoed)).sorted(), comment: comment))
    }

    /// The sheet's score out of 100: the points awarded over the card's total (a failed veto item scores the task 0).
    public static func score(_ marks: SheetMarks, card: TaskCard) -> Double {
        guard marks.vetoed.isEmpty, card.totalPoints > 0 else { return 0 }
        return round1(marks.points.reduce(0, +) / Double(card.totalPoints) * 100)
    }
}

/// How a panel's sheets become one task score.
public enum Aggregation: String, Codable, Sendable, CaseIterable {
    /// The mean of every examiner's score.
    case mean
    /// With five sheets or more, the highest and the lowest are dropped before the mean; fewer: the plain mean.
    case trimmedMean = "trimmed-mean"

    public var nameZH: String {
        switch self {
        case .mean: "算术平均"
        case .trimmedMean: "去掉最高最低分后平均（5 人及以上）"
        }
    }
}

/// A panel's verdict on one task from its examiners' independent sheets.
public struct PanelOutcome: Sendable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Not every examiner of the panel has submitted.
        case awaitingSheets = "awaiting-sheets"
        /// The chief examiner must decide: the spread is above the threshold, or the panel is split on a veto item.
        case arbitration
        /// The task's score is settled.
        case settled

        public var nameZH: String {
            switch self {
            case .awaitingSheets: "待评分"
            case .arbitration: "待仲裁"
            case .settled: "已确定"
            }
        }
    }

    public var state: State
    /// Out of 100, once settled.
    public var score: Double?
    /// Highest minus lowest sheet score.
    public var spread: Double
    /// A majority of the panel failed a veto item: the task is failed (score 0).
    public var vetoFailed: Bool
    /// Why arbitration is needed, for the chief examiner.
    public var reasonZH: String?
}

/// Aggregation and the arbitration rule (`shared/domain.md`, Assessment): the mean of the examiners by default,
/// optionally dropping the highest and lowest with five or more; a spread above the threshold goes to the chief
/// examiner. A veto item fails the task when a majority of the panel marked it; a minority marking it also goes to
/// the chief examiner, who sees the panel split.
public enum PanelScoring {
    public static func outcome(scores: [Double], vetoes: Int, panelSize: Int, method: Aggregation, threshold: Double) -> PanelOutcome {
        let spread = round1((scores.max() ?? 0) - (scores.min() ?? 0))
        guard !scores.isEmpty, scores.count >= panelSize else {
            return PanelOutcome(state: .awaitingSheets, score: nil, spread: spread, vetoFailed: false, reasonZH: nil)
        }
        if vetoes * 2 > scores.count {
            return PanelOutcome(state: .settled, score: 0, spread: spread, vetoFailed: true, reasonZH: nil)
        }
        if vetoes > 0 {
            return PanelOutcome(state: .arbitration, score: nil, spread: spread, vetoFailed: false,
                                reasonZH: "\(scores.count) 名考评员中 \(vetoes) 名判定否决项不合格")
        }
        if spread > threshold {
            return PanelOutcome(state: .arbitration, score: nil, spread: spread, vetoFailed: false,
                                reasonZH: "评分差 \(scoreText(spread)) 分，超过 \(scoreText(threshold)) 分")
        }
        return PanelOutcome(state: .settled, score: aggregate(scores, method: method), spread: spread, vetoFailed: false, reasonZH: nil)
    }

    /// The aggregate of `scores` by `method`, to one decimal.
    public static func aggregate(_ scores: [Double], method: Aggregation) -> Double {
        var kept = scores.sorted()
        if method == .trimmedMean, kept.count >= 5 { kept = Array(kept.dropFirst().dropLast()) }
        guard !kept.isEmpty else { return 0 }
        return round1(kept.reduce(0, +) / Double(kept.count))
    }

    /// Task scores (each out of 100) combined by the paper's points for each task into a part score out of 100.
    public static func partScore(_ tasks: [(weight: Int, score: Double)]) -> Double {
        let total = tasks.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return 0 }
        return round1(tasks.reduce(0) { $0 + Double($1.weight) * $1.score } / Double(total))
    }
}

/// A candidate's result for a level: every required part at least its pass mark.
public enum ResultRule {
    public struct Part: Sendable, Equatable {
        public var kind: AssessmentPartKind
        /// Out of 100; nil while not settled (or the candidate was absent).
        public var score: Double?
        public var passMark: Double
        public var required: Bool

        public init(kind: AssessmentPartKind, score: Double?, passMark: Double, required: Bool = true) {
            self.kind = kind
            self.score = score
            self.passMark = passMark
            self.required = required
        }

        public var passed: Bool { score.map { $0 >= passMark } ?? false }
    }

    public enum Verdict: Sendable, Equatable {
        case passed
        /// The required parts below their pass mark.
        case failed([AssessmentPartKind])
        /// Required parts without a settled score yet.
        case incomplete([AssessmentPartKind])

        public var code: String {
            switch self {
            case .passed: "passed"
            case .failed: "failed"
            case .incomplete: "incomplete"
            }
        }

        public var nameZH: String { Self.name(code) }

        /// The Chinese name of a stored verdict code.
        public static func name(_ code: String) -> String {
            switch code {
            case "passed": "合格"
            case "failed": "不合格"
            default: "成绩未齐"
            }
        }
    }

    public static func verdict(_ parts: [Part]) -> Verdict {
        let required = parts.filter(\.required)
        let missing = required.filter { $0.score == nil }.map(\.kind)
        let failing = required.filter { $0.score != nil && !$0.passed }.map(\.kind)
        // A result is decided only when every required part has its score: until then it is not released.
        if !missing.isEmpty || required.isEmpty { return .incomplete(missing) }
        if !failing.isEmpty { return .failed(failing) }
        return .passed
    }

    /// The grade scale some standards use for the skills part: 优秀 ≥ 90, 良好 ≥ 80, 中等 ≥ 70, 合格 ≥ pass mark.
    public static func grade(_ score: Double, passMark: Double) -> String {
        switch score {
        case 90...: "优秀"
        case 80..<90: "良好"
        case 70..<80 where passMark <= 70: "中等"
        case passMark...: "合格"
        default: "不合格"
        }
    }
}

/// Working-day windows of the results: the 复核 request window after release, the reviewer's answer deadline and the
/// publicity period. A window of N working days "from" a date counts from the next working day.
public enum ResultWindows {
    /// The last day a candidate may ask for a review.
    public static func reviewRequestDeadline(released: LocalDate, workingDays: Int, calendar: WorkingCalendar) -> LocalDate {
        calendar.addingWorkingDays(workingDays, to: released)
    }

    /// The day a review must be answered by.
    public static func reviewAnswerDeadline(requested: LocalDate, workingDays: Int, calendar: WorkingCalendar) -> LocalDate {
        calendar.addingWorkingDays(workingDays, to: requested)
    }

    /// The last day of a publicity period published on `start`: N full working days, the publication day
    /// counting when it is itself a working day.
    public static func publicityLastDay(start: LocalDate, workingDays: Int, calendar: WorkingCalendar) -> LocalDate {
        calendar.addingWorkingDays(max(workingDays - (calendar.isWorkingDay(start) ? 1 : 0), 0), to: start)
    }
}

func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }

/// A score as people write it: `85`, `72.5`.
public func scoreText(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.1f", x) }
