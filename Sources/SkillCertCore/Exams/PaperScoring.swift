import Foundation

/// A paper-based theory score keyed in twice by two different people. Equal entries confirm the score; different
/// entries are a mismatch that a third person — neither of the two — settles with a reason.
public struct DoubleEntry: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var score: Double
        public var by: UUID

        public init(score: Double, by: UUID) {
            self.score = score
            self.by = by
        }
    }

    public enum State: String, Sendable, CaseIterable {
        case awaitingFirst = "awaiting-first"
        case awaitingSecond = "awaiting-second"
        case mismatch
        case confirmed
        case resolved

        public var nameZH: String {
            switch self {
            case .awaitingFirst: "待录入"
            case .awaitingSecond: "待第二次录入"
            case .mismatch: "两次录入不一致，待第三人核定"
            case .confirmed: "两次录入一致"
            case .resolved: "已核定"
            }
        }

        public var isFinal: Bool { self == .confirmed || self == .resolved }
    }

    public enum Round: String, Sendable {
        case first, second, resolution
    }

    public var first: Entry?
    public var second: Entry?
    public var resolution: Entry?

    public init(first: Entry? = nil, second: Entry? = nil, resolution: Entry? = nil) {
        self.first = first
        self.second = second
        self.resolution = resolution
    }

    public var state: State {
        guard let first else { return .awaitingFirst }
        guard let second else { return .awaitingSecond }
        if resolution != nil { return .resolved }
        return first.score == second.score ? .confirmed : .mismatch
    }

    /// The score that counts, once there is one.
    public var finalScore: Double? {
        switch state {
        case .confirmed: first?.score
        case .resolved: resolution?.score
        default: nil
        }
    }

    /// The round `person` would enter next, or why they may not.
    public func round(for person: UUID) throws(DomainError) -> Round {
        switch state {
        case .awaitingFirst: return .first
        case .awaitingSecond:
            guard first?.by != person else {
                throw .conflict(code: "same_person_twice", zh: "第二次录入须由另一人完成（您已完成第一次录入）",
                                en: "the second entry must be made by another person")
            }
            return .second
        case .mismatch:
            guard first?.by != person, second?.by != person else {
                throw .conflict(code: "resolver_entered", zh: "两次录入不一致，须由前两次录入人以外的第三人核定",
                                en: "a mismatch is settled by a third person, not by either of the two who entered it")
            }
            return .resolution
        case .confirmed, .resolved:
            throw .conflict(code: "score_final", zh: "该考生成绩已确定，不能再录入", en: "this score is already settled")
        }
    }

    /// Records `person`'s entry in the round that is theirs.
    @discardableResult
    public mutating func enter(_ score: Double, by person: UUID) throws(DomainError) -> Round {
        let round = try round(for: person)
        switch round {
        case .first: first = Entry(score: score, by: person)
        case .second: second = Entry(score: score, by: person)
        case .resolution: resolution = Entry(score: score, by: person)
        }
        return round
    }

    /// A score as typed: 0 to 100 with at most one decimal place (half-width or full-width digits).
    public static func score(_ text: String) -> Double? {
        let typed = ObjectiveGrading.normalized(text)
        guard !typed.isEmpty, typed.count <= 5, typed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(typed), (0...100).contains(value) else { return nil }
        if let dot = typed.firstIndex(of: "."), typed.distance(from: dot, to: typed.endIndex) > 2 { return nil }
        return value
    }
}

/// The marks an optical reader writes for one item on an answer sheet.
public enum AnswerSheetMarks {
    public enum Reading: Equatable, Sendable {
        /// The response as the exam stores it: option indexes as text.
        case response([String])
        case unreadable
    }

    static let trueMarks: Set<String> = ["a", "t", "√", "✓", "对", "正确", "y"]
    static let falseMarks: Set<String> = ["b", "f", "×", "x", "✗", "错", "错误", "n"]

    /// Reads one cell: letters A… for choices (several for multiple choice, in any order), A/T/√/对 and B/F/×/错 for
    /// true/false, blank for no mark. A single-choice item with two marks stays as read (and is graded wrong).
    public static func read(_ cell: String, type: ItemType, optionCount: Int) -> Reading {
        let text = ObjectiveGrading.normalized(cell).replacingOccurrences(of: " ", with: "")
        if text.isEmpty || text == "-" { return .response([]) }
        switch type {
        case .trueFalse:
            if trueMarks.contains(text) { return .response(["0"]) }
            if falseMarks.contains(text) { return .response(["1"]) }
            return .unreadable
        case .singleChoice, .multipleChoice:
            var chosen: [Int] = []
            for scalar in text.unicodeScalars {
                guard (97...122).contains(scalar.value) else { return .unreadable }
                let index = Int(scalar.value) - 97
                guard index < optionCount else { return .unreadable }
                if !chosen.contains(index) { chosen.append(index) }
            }
            return .response(chosen.sorted().map(String.init))
        case .fillIn, .practicalTask:
            return .unreadable
        }
    }

    /// Whether an optical reader can read this kind of item at all.
    public static func isReadable(_ type: ItemType) -> Bool {
        [.singleChoice, .multipleChoice, .trueFalse].contains(type)
    }
}
