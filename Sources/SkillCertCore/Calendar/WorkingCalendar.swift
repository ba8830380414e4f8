/// A day that differs from the ordinary Monday–Friday week: a public holiday or a make-up workday (调休).
public struct CalendarException: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A day off (法定节假日 or a day moved into a holiday).
        case holiday
        /// A weekend day that is worked (调休上班).
        case workday
    }

    public var date: LocalDate
    public var kind: Kind
    /// The holiday's name, e.g. 春节.
    public var name: String

    public init(date: LocalDate, kind: Kind, name: String) {
        self.date = date
        self.kind = kind
        self.name = name
    }
}

/// The body's working-day calendar: weekdays work, weekends rest, except where an exception says otherwise.
public struct WorkingCalendar: Sendable {
    private var exceptions: [LocalDate: CalendarException]

    public init(exceptions: [CalendarException]) {
        self.exceptions = Dictionary(exceptions.map { ($0.date, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The exception recorded for a date, if any.
    public func exception(on date: LocalDate) -> CalendarException? { exceptions[date] }

    /// Whether the body works on `date`.
    public func isWorkingDay(_ date: LocalDate) -> Bool {
        switch exceptions[date]?.kind {
        case .holiday: false
        case .workday: true
        case nil: !date.isWeekend
        }
    }

    /// The date on which a period of `count` working days that starts after `start` ends.
    ///
    /// Day one is the first working day after `start` (a window "within 10 working days of release" counts from
    /// the next working day), so `addingWorkingDays(1, to: friday)` is the following Monday. `count` ≥ 1.
    public func addingWorkingDays(_ count: Int, to start: LocalDate) -> LocalDate {
        var date = start
        var left = max(count, 0)
        while left > 0 {
            date = date.adding(days: 1)
            if isWorkingDay(date) { left -= 1 }
        }
        return date
    }

    /// The number of working days in the inclusive range `from...to` (0 when `to` is before `from`).
    public func workingDays(from: LocalDate, through to: LocalDate) -> Int {
        guard from <= to else { return 0 }
        var n = 0
        var d = from
        while d <= to {
            if isWorkingDay(d) { n += 1 }
            d = d.adding(days: 1)
        }
        return n
    }
}
