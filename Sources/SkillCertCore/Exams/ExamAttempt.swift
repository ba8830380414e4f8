import Foundation

/// The server-owned clock of one candidate's attempt. The session fixes the end for everyone (a late candidate does
/// not get extra time); the invigilator's extensions and pauses move this candidate's end. The client only displays
/// what the server computes here.
public struct AttemptClock: Codable, Sendable, Equatable {
    /// The session's scheduled end for everyone.
    public var scheduledEnd: Date
    /// Seconds added by the invigilator (each extension is audited with its reason).
    public var extensionSeconds: Int
    /// Seconds spent paused before the current pause.
    public var pausedSeconds: Double
    /// When the current pause began; nil while running.
    public var pausedAt: Date?

    public init(scheduledEnd: Date, extensionSeconds: Int = 0, pausedSeconds: Double = 0, pausedAt: Date? = nil) {
        self.scheduledEnd = scheduledEnd
        self.extensionSeconds = extensionSeconds
        self.pausedSeconds = pausedSeconds
        self.pausedAt = pausedAt
    }

    public var isPaused: Bool { pausedAt != nil }

    /// The end as things stand; while paused it moves on with the clock.
    public func end(at now: Date) -> Date {
        let pausedNow = pausedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
        return scheduledEnd.addingTimeInterval(Double(extensionSeconds) + pausedSeconds + pausedNow)
    }

    /// Whole seconds left (never negative); frozen while paused.
    public func remainingSeconds(at now: Date) -> Int {
        let reference = pausedAt ?? now
        return max(0, Int(end(at: reference).timeIntervalSince(reference).rounded(.down)))
    }

    public func isExpired(at now: Date) -> Bool { !isPaused && now >= end(at: now) }

    public mutating func pause(at now: Date) {
        guard pausedAt == nil else { return }
        pausedAt = now
    }

    public mutating func resume(at now: Date) {
        guard let since = pausedAt else { return }
        pausedSeconds += max(0, now.timeIntervalSince(since))
        pausedAt = nil
    }

    public mutating func extend(bySeconds seconds: Int) { extensionSeconds += seconds }
}

/// An attempt's life: waiting for the start, in progress, then submitted (by the candidate, by the clock, or by
/// the invigilator for misconduct). A terminated attempt is submitted with what was saved and marked.
public enum AttemptStatus: String, Codable, Sendable, CaseIterable {
    case notStarted = "not-started"
    case inProgress = "in-progress"
    case submitted
    case terminated

    public var isFinal: Bool { self == .submitted || self == .terminated }

    public var nameZH: String {
        switch self {
        case .notStarted: "未开始"
        case .inProgress: "作答中"
        case .submitted: "已交卷"
        case .terminated: "已终止"
        }
    }
}

/// What happens to one autosave. The client numbers its changes; the server keeps, per item, the highest number it
/// has stored, so a replayed save changes nothing and a save that arrives after a newer one is ignored.
public enum AnswerSave: Equatable, Sendable {
    /// Stored: this is now the item's answer.
    case stored
    /// The same number again (a replay after a lost acknowledgement): already stored, nothing to do.
    case duplicate
    /// An older number than the one stored: ignored, the newer answer stays.
    case stale
    /// The attempt is over: nothing more is written.
    case closed

    public static func decide(incoming seq: Int, stored: Int?, status: AttemptStatus, expired: Bool) -> AnswerSave {
        if status.isFinal || expired { return .closed }
        guard let stored else { return .stored }
        if seq == stored { return .duplicate }
        return seq > stored ? .stored : .stale
    }
}

/// The order a candidate sees: items and each item's options shuffled, the same way every time for one attempt (so
/// a resume on another machine shows the same paper), differently for each attempt.
public struct AttemptOrder: Codable, Sendable, Equatable {
    /// Positions on the paper, in the order shown.
    public var items: [Int]
    /// For each paper position, the original option indexes in the order shown.
    public var options: [Int: [Int]]

    /// `optionCounts[i]` is the number of options of the item at paper position `i` (0 for items without options).
    /// True/false items keep their order (对 before 错).
    public init(seed: UInt64, optionCounts: [Int], shuffleOptions: [Bool]) {
        var rng = SeededGenerator(seed: seed)
        items = Array(optionCounts.indices).shuffled(using: &rng)
        var options: [Int: [Int]] = [:]
        for (i, count) in optionCounts.enumerated() where count > 0 {
            let original = Array(0..<count)
            options[i] = shuffleOptions[i] ? original.shuffled(using: &rng) : original
        }
        self.options = options
    }

    /// A seed from an attempt's id.
    public static func seed(_ id: UUID) -> UInt64 {
        withUnsafeBytes(of: id.uuid) { raw in raw.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } ^ raw.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
    }
}

/// Grades theory items to the paper's points. Choice and true/false answers are option indexes (as text, in the
/// item's original order); a multiple-choice answer scores only when it is exactly the correct set (the usual rule:
/// missing or wrong choices score nothing). A fill-in answer scores when it matches an accepted answer after
/// normalising spaces, full-width characters and letter case; a different non-empty answer goes to a person.
public enum ObjectiveGrading {
    public enum Outcome: Equatable, Sendable {
        case correct
        case wrong
        case unanswered
        /// A fill-in answer that matches no accepted answer: a marker decides.
        case needsReview
    }

    public static func grade(type: ItemType, content: ItemContent, response: [String]) -> Outcome {
        let given = response.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !given.isEmpty else { return .unanswered }
        switch type {
        case .singleChoice, .trueFalse, .multipleChoice:
            let chosen = Set(given.compactMap(Int.init))
            guard chosen.count == given.count else { return .wrong }
            return chosen == Set(content.correct ?? []) ? .correct : .wrong
        case .fillIn:
            let answer = normalized(given.joined(separator: " "))
            let accepted = (content.acceptedAnswers ?? []).map(normalized)
            return accepted.contains(answer) ? .correct : .needsReview
        case .practicalTask:
            return .needsReview
        }
    }

    /// Full-width letters, digits and punctuation as half-width, runs of spaces as one, ASCII letters in lower case.
    public static func normalized(_ text: String) -> String {
        var out = ""
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            var s = scalar
            if (0xFF01...0xFF5E).contains(s.value), let half = Unicode.Scalar(s.value - 0xFEE0) { s = half }
            if s.value == 0x3000 || s.properties.isWhitespace {
                if !lastWasSpace && !out.isEmpty { out.append(" ") }
                lastWasSpace = true
                continue
            }
            lastWasSpace = false
            if (65...90).contains(s.value), let lower = Unicode.Scalar(s.value + 32) { s = lower }
            out.unicodeScalars.append(s)
        }
        return out.hasSuffix(" ") ? String(out.dropLast()) : out
    }

    /// The attempt's score out of 100 from the points awarded and the paper's total, to one decimal place.
    public static func score(awarded: Double, total: Int) -> Double {
        guard total > 0 else { return 0 }
        return (awarded * 1000 / Double(total)).rounded() / 10
    }
}
