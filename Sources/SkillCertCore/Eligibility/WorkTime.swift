/// The counting rule for work periods (`shared/domain.md`): inclusive ranges, open ends run to `asOf`, overlapping
/// or touching periods merged first, each merged period counting its whole elapsed months.
public enum WorkTime {
    /// An inclusive range of days.
    public struct Span: Equatable, Sendable {
        public var start: LocalDate
        public var end: LocalDate
        public init(start: LocalDate, end: LocalDate) {
            self.start = start
            self.end = end
        }
    }

    /// Merges overlapping and touching spans (a span starting the day after another ends joins it).
    public static func merge(_ spans: [Span]) -> [Span] {
        var merged: [Span] = []
        for s in spans.filter({ $0.start <= $0.end }).sorted(by: { $0.start < $1.start }) {
            if let last = merged.last, s.start.dayNumber <= last.end.dayNumber + 1 {
                merged[merged.count - 1].end = max(last.end, s.end)
            } else {
                merged.append(s)
            }
        }
        return merged
    }

    /// Whole months of one span: the largest m with start + m months ≤ end + 1 day.
    public static func wholeMonths(_ span: Span) -> Int {
        let limit = span.end.adding(days: 1)
        // The calendar-month difference is the answer or one more; check both, so the work is bounded.
        var m = max(0, (limit.year - span.start.year) * 12 + (limit.month - span.start.month))
        while m > 0 && span.start.adding(months: m) > limit { m -= 1 }
        return m
    }

    /// Total whole months of the periods, counted once where they overlap, optionally only the days after `after`.
    public static func months(of periods: [ApplicantProfile.WorkPeriod], asOf: LocalDate, after: LocalDate? = nil) -> Int {
        let spans = periods.compactMap { p -> Span? in
            var start = p.from
            let end = min(p.to ?? asOf, asOf)
            if let after { start = max(start, after.adding(days: 1)) }
            return start <= end ? Span(start: start, end: end) : nil
        }
        return merge(spans).reduce(0) { $0 + wholeMonths($1) }
    }

    /// Whole years of age on `date`.
    public static func age(born: LocalDate, on date: LocalDate) -> Int {
        var years = date.year - born.year
        if (date.month, date.day) < (born.month, born.day) { years -= 1 }
        return years
    }
}
