/// What a complaint (申诉与投诉) is about.
public enum ComplaintCategory: String, Sendable, CaseIterable, Codable {
    /// 申诉: against a result or decision.
    case appeal
    /// 投诉: about someone's conduct.
    case complaint
    /// 举报: a report of misconduct (cheating, leaked items …).
    case report
    case other

    public var nameZH: String {
        switch self {
        case .appeal: "申诉"
        case .complaint: "投诉"
        case .report: "举报"
        case .other: "其他"
        }
    }

    public var nameEN: String {
        switch self {
        case .appeal: "Appeal"
        case .complaint: "Complaint"
        case .report: "Report"
        case .other: "Other"
        }
    }
}

/// Where a complaint is in its handling: received → in progress → answered, or closed at any point.
public enum ComplaintStatus: String, Sendable, CaseIterable, Codable {
    case received
    case inProgress = "in-progress"
    case answered
    case closed

    public var nameZH: String {
        switch self {
        case .received: "已受理"
        case .inProgress: "办理中"
        case .answered: "已答复"
        case .closed: "已办结"
        }
    }

    public var nameEN: String {
        switch self {
        case .received: "Received"
        case .inProgress: "In progress"
        case .answered: "Answered"
        case .closed: "Closed"
        }
    }

    /// Still waiting for an answer: counts towards the deadline.
    public var isOpen: Bool { self == .received || self == .inProgress }

    /// The statuses still waiting for an answer.
    public static let open: [ComplaintStatus] = [.received, .inProgress]
}

/// How a complaint was decided.
public enum ComplaintOutcome: String, Sendable, CaseIterable, Codable {
    case upheld
    case partlyUpheld = "partly-upheld"
    case notUpheld = "not-upheld"
    /// 不予受理: outside the body's remit; the reply says where to turn.
    case outOfScope = "out-of-scope"

    public var nameZH: String {
        switch self {
        case .upheld: "情况属实"
        case .partlyUpheld: "部分属实"
        case .notUpheld: "情况不属实"
        case .outOfScope: "不属于本机构受理范围"
        }
    }

    public var nameEN: String {
        switch self {
        case .upheld: "Upheld"
        case .partlyUpheld: "Partly upheld"
        case .notUpheld: "Not upheld"
        case .outOfScope: "Outside our remit"
        }
    }
}

/// The answer deadline of a complaint and whether it has passed.
public enum ComplaintDeadline {
    /// The last day to answer: `workingDays` working days after the day of intake.
    public static func due(receivedOn: LocalDate, workingDays: Int, calendar: WorkingCalendar) -> LocalDate {
        calendar.addingWorkingDays(max(workingDays, 1), to: receivedOn)
    }

    /// Overdue: still unanswered after its last day.
    public static func isOverdue(status: ComplaintStatus, due: LocalDate, today: LocalDate) -> Bool {
        status.isOpen && today > due
    }
}
