import Foundation
import SkillCertCore
import Testing

@Suite("Exam planning rules")
struct ExamPlanningTests {
    let ratios = StaffingRatios.common

    @Test("theory: one invigilator per 15 candidates and at least 2 per room; a supervisor per session")
    func theoryRatio() {
        #expect(StaffingRule.required(part: .theory, candidates: 10, ratios: ratios) == (.invigilator, 2))
        #expect(StaffingRule.required(part: .theory, candidates: 31, ratios: ratios) == (.invigilator, 3))
        let short = StaffingRule.problems(part: .theory, rooms: [.init(name: "第1考场", candidates: 31, staff: [.invigilator: 2])],
                                          supervisors: 0, ratios: ratios)
        #expect(short.map(\.code) == ["understaffed", "no_supervisor"])
        #expect(short[0].messageZH.contains("31 名考生需要至少 3 名监考员"))
        #expect(StaffingRule.problems(part: .theory, rooms: [.init(name: "第1考场", candidates: 31, staff: [.invigilator: 3])],
                                      supervisors: 1, ratios: ratios).isEmpty)
    }

    @Test("skills: one examiner per 5 candidates, at least 3, always an odd number")
    func skillsRatio() {
        #expect(StaffingRule.required(part: .skills, candidates: 5, ratios: ratios) == (.examiner, 3))
        #expect(StaffingRule.required(part: .skills, candidates: 16, ratios: ratios) == (.examiner, 5))  // 4 → odd 5
        #expect(StaffingRule.required(part: .skills, candidates: 21, ratios: ratios) == (.examiner, 5))
        let even = StaffingRule.problems(part: .skills, rooms: [.init(name: "工位A", candidates: 5, staff: [.examiner: 4])],
                                         supervisors: 1, ratios: ratios)
        #expect(even.map(\.code) == ["even_panel"])
    }

    @Test("comprehensive review: a panel of an odd number, at least 3")
    func reviewPanel() {
        #expect(StaffingRule.required(part: .comprehensiveReview, candidates: 40, ratios: ratios) == (.examiner, 3))
        #expect(StaffingRule.problems(part: .comprehensiveReview, rooms: [.init(name: "答辩室", candidates: 8, staff: [.examiner: 2])],
                                      supervisors: 1, ratios: ratios).map(\.code) == ["understaffed"])
        #expect(StaffingRule.problems(part: .comprehensiveReview, rooms: [.init(name: "答辩室", candidates: 8, staff: [.examiner: 3])],
                                      supervisors: 1, ratios: ratios).isEmpty)
    }

    @Test("slots overlap when they share a minute; back to back is fine")
    func overlaps() {
        let day = LocalDate(iso: "2027-01-10")!
        let morning = TimeSlot(date: day, startMinute: 9 * 60, minutes: 90)
        #expect(morning.overlaps(TimeSlot(date: day, startMinute: 10 * 60, minutes: 60)))
        #expect(!morning.overlaps(TimeSlot(date: day, startMinute: 10 * 60 + 30, minutes: 60)))
        #expect(!morning.overlaps(TimeSlot(date: day.adding(days: 1), startMinute: 9 * 60, minutes: 90)))
        #expect(morning.timeText == "09:00–10:30" && TimeSlot.minute(of: "13:45") == 825 && TimeSlot.minute(of: "25:00") == nil)
    }

    @Test("seats respect capacity, keep one employer's candidates apart when possible, and repeat for a seed")
    func seats() throws {
        let employers = ["甲公司", "甲公司", "甲公司", "甲公司", "乙公司", "乙公司", "乙公司", "丙学校", "丙学校", "丁厂"]
        let candidates = employers.map { SeatAllocator.Candidate(id: UUID(), employer: $0) }
        let rooms = [SeatAllocator.Room(id: UUID(), capacity: 6), SeatAllocator.Room(id: UUID(), capacity: 6)]
        let seats = try SeatAllocator.allocate(candidates, rooms: rooms, seed: 42)
        #expect(seats.count == 10 && Set(seats.map(\.candidate)).count == 10)
        #expect(seats.filter { $0.room == rooms[0].id }.count <= 6)
        let employer = Dictionary(uniqueKeysWithValues: candidates.map { ($0.id, $0.employer) })
        for room in rooms {
            let order = seats.filter { $0.room == room.id }.sorted { $0.number < $1.number }.map { employer[$0.candidate]! }
            for (a, b) in zip(order, order.dropFirst()) { #expect(a != b, "neighbours from \(a)") }
        }
        #expect(try SeatAllocator.allocate(candidates, rooms: rooms, seed: 42) == seats)
        #expect(try SeatAllocator.allocate(candidates, rooms: rooms, seed: 43) != seats)
        #expect(throws: SeatAllocator.Failure.overCapacity(candidates: 10, seats: 8)) {
            try SeatAllocator.allocate(candidates, rooms: [.init(id: UUID(), capacity: 8)], seed: 1)
        }
    }

    @Test("ticket numbers carry plan, level and serial, with a check digit that catches a mistyped digit")
    func ticketNumbers() {
        let n = TicketNumber.make(planNumber: "2026-004", level: 4, serial: 17)
        #expect(n.hasPrefix("20260044000017") == false && n.count == 14 && n.hasPrefix("2026004400017"))
        #expect(TicketNumber.isValid(n))
        var digits = Array(n)
        digits[5] = digits[5] == "9" ? "0" : Character(String(digits[5].wholeNumberValue! + 1))
        #expect(!TicketNumber.isValid(String(digits)))
        let all = (1...5000).map { TicketNumber.make(planNumber: "2026-004", level: 4, serial: $0) }
        #expect(Set(all).count == 5000)
    }

    @Test("the staff draw is reproducible from its seed")
    func draw() {
        let pool = (1...20).map { "考评员\($0)" }
        #expect(StaffDraw.draw(pool, count: 3, seed: 7) == StaffDraw.draw(pool.reversed(), count: 3, seed: 7))
        #expect(StaffDraw.draw(pool, count: 3, seed: 7) != StaffDraw.draw(pool, count: 3, seed: 8))
    }
}
