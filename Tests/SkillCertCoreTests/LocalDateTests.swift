import Foundation
import Testing
@testable import SkillCertCore

@Suite("Dates")
struct LocalDateTests {
    @Test("parses valid ISO dates and rejects impossible or malformed ones")
    func parsing() {
        #expect(LocalDate(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(LocalDate(iso: "2026-02-29") == nil)
        #expect(LocalDate(iso: "2026-13-01") == nil)
        #expect(LocalDate(iso: "2026-1-01") == nil)
        #expect(LocalDate(iso: "2026-01-01T00:00") == nil)
        #expect(LocalDate(iso: "２０２６-01-01") == nil)
        #expect(LocalDate(iso: "") == nil)
    }

    @Test("day numbers round-trip and weekdays are right")
    func dayNumbers() throws {
        let epoch = try #require(LocalDate(iso: "1970-01-01"))
        #expect(epoch.dayNumber == 0)
        #expect(epoch.weekday == 4)  // Thursday
        let friday = try #require(LocalDate(iso: "2026-11-27"))
        #expect(friday.weekday == 5)
        for n in stride(from: -800_000, through: 800_000, by: 7919) {
            #expect(LocalDate(dayNumber: n).dayNumber == n)
        }
        #expect(friday.adding(days: 35).description == "2027-01-01")
    }

    @Test("adding months clamps to the end of a short month")
    func months() throws {
        let jan31 = try #require(LocalDate(iso: "2026-01-31"))
        #expect(jan31.adding(months: 1).description == "2026-02-28")
        #expect(jan31.adding(months: 13).description == "2027-02-28")
        #expect(jan31.adding(months: -2).description == "2025-11-30")
    }

    @Test("China local date of an instant is UTC+8")
    func chinaDate() {
        // 2026-11-27 16:30 UTC is already 2026-11-28 00:30 in Beijing.
        let instant = Date(timeIntervalSince1970: 1_795_797_000)
        #expect(instant.chinaLocalDate.description == "2026-11-28")
    }
}

