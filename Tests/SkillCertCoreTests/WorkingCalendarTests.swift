import Testing
@testable import SkillCertCore

@Suite("Working-day calendar")
struct WorkingCalendarTests {
    /// The 2026 National Day arrangement: 10-01…10-07 off, Saturday 10-10 worked (调休).
    let calendar = WorkingCalendar(exceptions:
        (1...7).map { CalendarException(date: LocalDate(year: 2026, month: 10, day: $0)!, kind: .holiday, name: "国庆节") }
        + [CalendarException(date: LocalDate(year: 2026, month: 10, day: 10)!, kind: .workday, name: "调休上班")])

    func d(_ s: String) -> LocalDate { LocalDate(iso: s)! }

    @Test("weekends rest, holidays rest, make-up Saturdays work")
    func kinds() {
        #expect(calendar.isWorkingDay(d("2026-09-30")))   // Wednesday
        #expect(!calendar.isWorkingDay(d("2026-10-01")))  // holiday, Thursday
        #expect(!calendar.isWorkingDay(d("2026-10-03")))  // holiday and Saturday
        #expect(calendar.isWorkingDay(d("2026-10-10")))   // make-up Saturday
        #expect(!calendar.isWorkingDay(d("2026-10-11")))  // ordinary Sunday
    }

    @Test("five working days from 2026-09-29 skip the whole holiday and count the make-up Saturday")
    func addingAcrossHoliday() {
        // Day 1: 09-30; then 10-08 (Thu), 10-09 (Fri), 10-10 (Sat, make-up), 10-12 (Mon).
        #expect(calendar.addingWorkingDays(5, to: d("2026-09-29")) == d("2026-10-12"))
        #expect(calendar.addingWorkingDays(1, to: d("2026-09-30")) == d("2026-10-08"))
        #expect(calendar.addingWorkingDays(0, to: d("2026-09-30")) == d("2026-09-30"))
    }

    @Test("counting working days in a range")
    func counting() {
        #expect(calendar.workingDays(from: d("2026-09-28"), through: d("2026-10-11")) == 3 + 3)  // 28,29,30 + 8,9,10
        #expect(calendar.workingDays(from: d("2026-10-11"), through: d("2026-10-01")) == 0)
    }

    @Test("without exceptions it is a plain Monday–Friday week")
    func plainWeek() {
        let plain = WorkingCalendar(exceptions: [])
        #expect(plain.addingWorkingDays(1, to: d("2026-11-27")) == d("2026-11-30"))  // Friday → Monday
        #expect(plain.workingDays(from: d("2026-11-23"), through: d("2026-11-29")) == 5)
    }
}
