import Testing
@testable import SkillCertCore

@Suite("Counting work time")
struct WorkTimeTests {
    func d(_ s: String) -> LocalDate { LocalDate(iso: s)! }
    func span(_ a: String, _ b: String) -> WorkTime.Span { .init(start: d(a), end: d(b)) }
    func work(_ from: String, _ to: String?, _ r: Relation = .same) -> ApplicantProfile.WorkPeriod {
        .init(relation: r, from: d(from), to: to.map(d))
    }

    @Test("whole months as the domain defines them")
    func wholeMonths() {
        #expect(WorkTime.wholeMonths(span("2016-07-01", "2020-06-30")) == 48)
        #expect(WorkTime.wholeMonths(span("2016-07-15", "2020-06-30")) == 47)
        // Jan 31 + 1 month is Feb 29 (clamped to the month's end), which is the end + 1 day: one whole month.
        #expect(WorkTime.wholeMonths(span("2020-01-31", "2020-02-28")) == 1)
        #expect(WorkTime.wholeMonths(span("2020-01-31", "2020-02-27")) == 0)
        #expect(WorkTime.wholeMonths(span("2026-11-27", "2026-11-27")) == 0)
    }

    @Test("overlapping and touching periods count once")
    func merging() {
        let asOf = d("2026-11-27")
        // 2016-07-01…2018-06-30 and 2017-01-01…2020-06-30 overlap: together 48 months, not 24 + 42.
        #expect(WorkTime.months(of: [work("2016-07-01", "2018-06-30"), work("2017-01-01", "2020-06-30")], asOf: asOf) == 48)
        // Touching periods join: 2016-07-01…2018-06-30 then 2018-07-01…2020-06-30 is 48 months.
        #expect(WorkTime.months(of: [work("2018-07-01", "2020-06-30"), work("2016-07-01", "2018-06-30")], asOf: asOf) == 48)
        // A gap keeps them apart: 2016-07-15…2018-06-30 (23) + 2018-07-15…2020-06-30 (23).
        #expect(WorkTime.months(of: [work("2016-07-15", "2018-06-30"), work("2018-07-15", "2020-06-30")], asOf: asOf) == 46)
    }

    @Test("an open-ended period runs to the evaluation date, and nothing counts past it")
    func openEnded() {
        #expect(WorkTime.months(of: [work("2016-07-01", nil)], asOf: d("2020-06-30")) == 48)
        #expect(WorkTime.months(of: [work("2016-07-01", "2030-01-01")], asOf: d("2020-06-30")) == 48)
    }

    @Test("work after a certificate counts only the days after its issue date")
    func afterCertificate() {
        let periods = [work("2010-01-01", nil)]
        // Issued 2020-06-30: counting starts 2020-07-01; to 2026-11-27 is 76 whole months.
        #expect(WorkTime.months(of: periods, asOf: d("2026-11-27"), after: d("2020-06-30")) == 76)
        // Work that ended before the certificate does not count at all.
        #expect(WorkTime.months(of: [work("2010-01-01", "2019-12-31")], asOf: d("2026-11-27"), after: d("2020-06-30")) == 0)
    }

    @Test("age in whole years")
    func age() {
        #expect(WorkTime.age(born: d("2010-11-27"), on: d("2026-11-27")) == 16)
        #expect(WorkTime.age(born: d("2010-11-28"), on: d("2026-11-27")) == 15)
        #expect(WorkTime.age(born: d("2008-02-29"), on: d("2024-02-28")) == 15)
    }
}
