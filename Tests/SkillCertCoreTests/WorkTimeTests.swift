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

@Suite("Counting at the edges")
struct WorkTimeEdgeTests {
    @Test("a period reaching the last representable date is counted, and quickly")
    func farFuture() {
        let start = LocalDate(iso: "2000-01-01")!
        let months = WorkTime.wholeMonths(.init(start: start, end: LocalDate(iso: "9999-12-31")!))
        #expect(months == 8000 * 12)  // 2000-01-01 to the end of 9999: exactly 8,000 years
    }

    @Test("a profile evaluated far in the future is refused, naming asOf")
    func asOfBounds() throws {
        var raw = RawApplicantProfile()
        raw.asOf = "9999-12-31"
        raw.work = [.init(relation: "same", from: "2010-01-01", to: nil)]
        #expect(throws: ValidationFailure.self) { _ = try raw.parse(today: LocalDate(iso: "2026-11-27")!) }
        do { _ = try raw.parse(today: LocalDate(iso: "2026-11-27")!) } catch let f as ValidationFailure {
            #expect(f.errors.map(\.field) == ["profile.asOf"])
        }
    }
}
